#include "actors/request/write_encoder.hpp"

#include "actors/request/capnp_acl.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::request {
namespace {

schema::Txn::Builder start_txn(capnp::MallocMessageBuilder& message, const txn_stamp& stamp) {
  auto txn = message.initRoot<schema::Txn>();
  txn.setZxid(stamp.zxid);
  txn.setTimeMs(stamp.time_ms);
  txn.setSession(stamp.session);
  if (stamp.who) write_identities(txn.initIdentities(static_cast<unsigned>(stamp.who->size())), *stamp.who);
  return txn;
}

template <class Builder>
void copy_acl(jute::reader& in, Builder&& init_list) {
  auto acl = zk::read_acl_list(in).value_or(acl::list{});
  write_acl(init_list(static_cast<unsigned>(acl.size())), acl);
}

template <class Builder>
void read_create(jute::reader& in, int32_t opcode, bool ttl_nodes_enabled, Builder create) {
  create.setOpcode(opcode);
  create.setPath(as_text(in.read_path()));
  auto data = in.read_buffer();
  create.setDataIsNull(!data);
  if (data) create.setData(as_data(*data));
  copy_acl(in, [&](unsigned n) { return create.initAcl(n); });
  create.setFlags(in.read_int());
  create.setTtl(opcode == zk::op::create_ttl ? in.read_long() : -1);
  create.setTtlNodesEnabled(ttl_nodes_enabled);
}

// Decodes one op of a multi or a top-level write into `op`.
void read_op(jute::reader& in, int32_t opcode, bool ttl_nodes_enabled, schema::Op::Builder op) {
  switch (opcode) {
    case zk::op::create:
    case zk::op::create2:
    case zk::op::create_container:
    case zk::op::create_ttl:
      read_create(in, opcode, ttl_nodes_enabled, op.initCreate());
      return;
    case zk::op::remove: {
      auto remove = op.initDelete();
      remove.setPath(as_text(in.read_path()));
      remove.setVersion(in.read_int());
      return;
    }
    case zk::op::set_data: {
      auto set = op.initSetData();
      set.setPath(as_text(in.read_ustring()));
      auto data = in.read_buffer();
      set.setDataIsNull(!data);
      if (data) set.setData(as_data(*data));
      set.setVersion(in.read_int());
      return;
    }
    case zk::op::set_acl: {
      auto set = op.initSetAcl();
      set.setPath(as_text(in.read_ustring()));
      copy_acl(in, [&](unsigned n) { return set.initAcl(n); });
      set.setVersion(in.read_int());
      return;
    }
    case zk::op::check: {
      auto check = op.initCheck();
      check.setPath(as_text(in.read_path()));
      check.setVersion(in.read_int());
      return;
    }
    default:
      throw jute::decode_error("opcode not allowed here");
  }
}

// Inside a multi ZooKeeper derives a create's opcode from its flags (Op.Create.getOpcode), so
// op 1 with the container flag makes a container and reports a type-15 result (§8.1).
void derive_multi_create_opcode(schema::Op::Builder op) {
  if (!op.isCreate()) return;
  auto create = op.getCreate();
  if (create.getOpcode() == zk::op::create && create.getFlags() == zk::create_flags::container)
    create.setOpcode(zk::op::create_container);
}

bool allowed_in_multi(int32_t opcode) {
  switch (opcode) {
    case zk::op::create:
    case zk::op::create2:
    case zk::op::create_container:
    case zk::op::create_ttl:
    case zk::op::remove:
    case zk::op::set_data:
    case zk::op::check:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_write_opcode(int32_t opcode) {
  // check is only a txn inside a multi; setACL is one only outside it.
  return (allowed_in_multi(opcode) && opcode != zk::op::check) || opcode == zk::op::set_acl ||
         opcode == zk::op::multi || opcode == zk::op::close_session;
}

shared_txn encode_write(int32_t opcode, jute::reader& body, const txn_stamp& stamp) {
  // One first segment sized to the request: the default (8 KiB) would be allocated and
  // zeroed for every small write.
  capnp::MallocMessageBuilder message(static_cast<unsigned>(body.remaining() / sizeof(capnp::word)) + 64);
  auto txn = start_txn(message, stamp);
  if (opcode == zk::op::close_session) {
    txn.setCloseSession();
  } else if (opcode == zk::op::multi) {
    // The record has no count: collect op types first, then decode into a sized list.
    jute::reader scan = body;
    std::vector<int32_t> types;
    for (;;) {
      int32_t type = body.read_int();
      bool done = body.read_bool();
      body.read_int();
      if (done) break;
      if (!allowed_in_multi(type)) throw jute::decode_error("op not allowed in multi");
      types.push_back(type);
      // Decode into a scratch message just to advance past this op's record.
      capnp::MallocMessageBuilder scratch(256);
      read_op(body, type, stamp.ttl_nodes_enabled, scratch.initRoot<schema::Op>());
    }
    auto list = txn.initMulti(static_cast<unsigned>(types.size()));
    for (unsigned i = 0; i < types.size(); ++i) {
      scan.read_int();
      scan.read_bool();
      scan.read_int();
      read_op(scan, types[i], stamp.ttl_nodes_enabled, list[i]);
      derive_multi_create_opcode(list[i]);
    }
  } else {
    read_op(body, opcode, stamp.ttl_nodes_enabled, txn.initSingle());
  }
  return txn_buffer::flatten(message);
}

shared_txn encode_create_session(const txn_stamp& stamp, int32_t timeout_ms, const std::string& password) {
  capnp::MallocMessageBuilder message(64);
  auto txn = start_txn(message, stamp);
  auto session = txn.initCreateSession();
  session.setTimeoutMs(timeout_ms);
  session.setPassword(as_data(password));
  return txn_buffer::flatten(message);
}

shared_txn encode_close_session(const txn_stamp& stamp) {
  capnp::MallocMessageBuilder message(64);
  start_txn(message, stamp).setCloseSession();
  return txn_buffer::flatten(message);
}

shared_txn encode_reap(const txn_stamp& stamp, const std::string& path) {
  capnp::MallocMessageBuilder message(64);
  start_txn(message, stamp).initSingle().setReap(as_text(path));
  return txn_buffer::flatten(message);
}

}  // namespace rookery::request
