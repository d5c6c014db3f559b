#include "actors/request/apply_core.hpp"

#include <cstdio>

#include "actors/request/capnp_acl.hpp"
#include "runtime/capnp/shared_message.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/path.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::request {

using storage::znode;
namespace err = zk::err;

struct apply_core::op_context {
  int64_t zxid;
  int64_t time_ms;
  int64_t session;
  acl::identities who;
  bool session_alive;
  std::vector<trigger> triggers;
};

namespace {

std::string text(capnp::Text::Reader t) { return std::string(as_view(t)); }

std::string data_of(capnp::Data::Reader d) { return std::string(as_chars(d)); }

bool is_special_path(std::string_view path) {
  return path == "/" || path == "/zookeeper" || path == "/zookeeper/quota" || path == "/zookeeper/config";
}

// Server-side paths must contain '/' and no NUL before ZooKeeper even looks at the parent.
bool plausible_path(std::string_view path) {
  return path.find('/') != std::string_view::npos && path.find('\0') == std::string_view::npos;
}

std::string sequence_suffix(int32_t counter) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%010d", counter);
  return digits;
}

bool version_matches(int32_t expected, int32_t actual) { return expected == -1 || expected == actual; }

std::string stat_body(const znode& node) {
  std::string body;
  jute::writer w(body);
  zk::write_stat(w, node.to_stat());
  return body;
}

}  // namespace

apply_result apply_core::apply(schema::Txn::Reader txn) {
  op_context ctx{txn.getZxid(), txn.getTimeMs(), txn.getSession(), read_identities(txn.getIdentities()), false, {}};
  ctx.session_alive = tree_.find_session(ctx.session) != nullptr;

  apply_result result;
  switch (txn.which()) {
    case schema::Txn::CREATE_SESSION: {
      auto session = txn.getCreateSession();
      tree_.add_session(ctx.session, session.getTimeoutMs(), data_of(session.getPassword()));
      result.session_opened = true;
      break;
    }
    case schema::Txn::CLOSE_SESSION:
      close_session(ctx, ctx.session, result);
      break;
    case schema::Txn::SINGLE: {
      auto outcome = apply_op(ctx, txn.getSingle());
      result.error = outcome.error;
      if (outcome.error == err::ok) result.body = std::move(outcome.body);
      break;
    }
    case schema::Txn::MULTI:
      apply_multi(ctx, txn.getMulti(), result);
      break;
  }
  result.triggers = std::move(ctx.triggers);
  return result;
}

apply_core::op_outcome apply_core::apply_op(op_context& ctx, schema::Op::Reader op) {
  switch (op.which()) {
    case schema::Op::CREATE: return create(ctx, op.getCreate());
    case schema::Op::DELETE: return remove(ctx, op.getDelete());
    case schema::Op::SET_DATA: return set_data(ctx, op.getSetData());
    case schema::Op::SET_ACL: return set_acl(ctx, op.getSetAcl());
    case schema::Op::CHECK: return check(ctx, op.getCheck());
    case schema::Op::REAP: return reap(ctx, text(op.getReap()));
  }
  return {err::marshalling_error, 0, {}};
}

apply_core::op_outcome apply_core::create(op_context& ctx, schema::Create::Reader request) {
  const int32_t opcode = request.getOpcode();
  int32_t flags = request.getFlags();
  const int64_t ttl = request.getTtl();
  if (flags < zk::create_flags::persistent || flags > zk::create_flags::persistent_sequential_with_ttl)
    return {err::bad_arguments, 0, {}};
  const bool ttl_mode = flags == zk::create_flags::persistent_with_ttl ||
                        flags == zk::create_flags::persistent_sequential_with_ttl;
  if (ttl_mode && !request.getTtlNodesEnabled()) return {err::unimplemented, 0, {}};
  if (ttl_mode && (ttl <= 0 || ttl > storage::max_ttl_ms)) return {err::bad_arguments, 0, {}};
  if (!ttl_mode && opcode == zk::op::create_ttl && ttl >= 0) return {err::bad_arguments, 0, {}};
  if (ttl_mode && opcode != zk::op::create_ttl) return {err::bad_arguments, 0, {}};
  // Only createContainer makes a container; ZooKeeper's plain create ignores flag 4.
  const bool container = opcode == zk::op::create_container;
  if (!container && flags == zk::create_flags::container) flags = zk::create_flags::persistent;
  if (!ctx.session_alive) return {err::session_expired, 0, {}};

  std::string path = text(request.getPath());
  if (!plausible_path(path)) return {err::bad_arguments, 0, {}};
  auto fixed_acl = acl::fix_up(read_acl(request.getAcl()), ctx.who);
  if (!fixed_acl) return {err::invalid_acl, 0, {}};
  std::string parent_name(storage::parent_path(path));
  if (path.rfind('/') == 0) parent_name = "/";
  const znode* parent = tree_.find(parent_name);
  if (!parent) return {err::no_node, 0, {}};
  if (!acl::allowed(tree_.acl_of(*parent), acl::create, ctx.who)) return {err::no_auth, 0, {}};
  const bool sequential = flags == zk::create_flags::persistent_sequential ||
                          flags == zk::create_flags::ephemeral_sequential ||
                          flags == zk::create_flags::persistent_sequential_with_ttl;
  if (sequential) path += sequence_suffix(parent->child_creations);
  if (!zk::valid_path(path)) return {err::bad_arguments, 0, {}};
  if (tree_.find(path)) return {err::node_exists, 0, {}};
  if (storage::is_session_owner(parent->owner)) return {err::no_children_for_ephemerals, 0, {}};

  // createContainer makes a container whatever its flags: ZooKeeper writes a
  // CreateContainerTxn for op 19 and ignores the ephemeral bit (the sequential bit still counts).
  int64_t owner = 0;
  if (container) owner = storage::container_owner;
  else if (flags == zk::create_flags::ephemeral || flags == zk::create_flags::ephemeral_sequential) owner = ctx.session;
  else if (ttl_mode) owner = storage::ttl_owner(ttl);

  tree_.create(path, request.getDataIsNull() ? std::string() : data_of(request.getData()), request.getDataIsNull(),
               *fixed_acl, owner, ctx.zxid, ctx.time_ms);
  const znode* created = tree_.find(path);
  ctx.triggers.push_back({watch::event_type::node_created, path, tree_.shared_acl_of(*created)});
  ctx.triggers.push_back({watch::event_type::node_children_changed, parent_name, tree_.shared_acl_of(*tree_.find(parent_name))});

  op_outcome outcome;
  jute::writer w(outcome.body);
  w.write_ustring(path);
  if (opcode == zk::op::create) {
    outcome.result_type = zk::op::create;
  } else {
    outcome.result_type = zk::op::create2;
    zk::write_stat(w, created->to_stat());
  }
  return outcome;
}

apply_core::op_outcome apply_core::remove(op_context& ctx, schema::Delete::Reader request) {
  if (!ctx.session_alive) return {err::session_expired, 0, {}};
  std::string path = text(request.getPath());
  if (!plausible_path(path) || is_special_path(path)) return {err::bad_arguments, 0, {}};
  const znode* parent = tree_.find(storage::parent_path(path));
  if (!parent) return {err::no_node, 0, {}};
  if (!acl::allowed(tree_.acl_of(*parent), acl::remove, ctx.who)) return {err::no_auth, 0, {}};
  const znode* node = tree_.find(path);
  if (!node) return {err::no_node, 0, {}};
  if (!version_matches(request.getVersion(), node->version)) return {err::bad_version, 0, {}};
  if (node->num_children() > 0) return {err::not_empty, 0, {}};
  delete_node(ctx, path);
  return {err::ok, zk::op::remove, {}};
}

void apply_core::delete_node(op_context& ctx, const std::string& path) {
  std::string parent_name(storage::parent_path(path));
  ctx.triggers.push_back({watch::event_type::node_deleted, path, tree_.shared_acl_of(*tree_.find(path))});
  tree_.remove(path, ctx.zxid);
  ctx.triggers.push_back({watch::event_type::node_children_changed, parent_name, tree_.shared_acl_of(*tree_.find(parent_name))});
}

apply_core::op_outcome apply_core::set_data(op_context& ctx, schema::SetData::Reader request) {
  if (!ctx.session_alive) return {err::session_expired, 0, {}};
  std::string path = text(request.getPath());
  if (!zk::valid_path(path)) return {err::bad_arguments, 0, {}};
  const znode* node = tree_.find(path);
  if (!node) return {err::no_node, 0, {}};
  if (!acl::allowed(tree_.acl_of(*node), acl::write, ctx.who)) return {err::no_auth, 0, {}};
  if (!version_matches(request.getVersion(), node->version)) return {err::bad_version, 0, {}};
  tree_.set_data(path, request.getDataIsNull() ? std::string() : data_of(request.getData()), request.getDataIsNull(),
                 ctx.zxid, ctx.time_ms);
  node = tree_.find(path);
  ctx.triggers.push_back({watch::event_type::node_data_changed, path, tree_.shared_acl_of(*node)});
  return {err::ok, zk::op::set_data, stat_body(*node)};
}

apply_core::op_outcome apply_core::set_acl(op_context& ctx, schema::SetAcl::Reader request) {
  if (!ctx.session_alive) return {err::session_expired, 0, {}};
  std::string path = text(request.getPath());
  if (!zk::valid_path(path)) return {err::bad_arguments, 0, {}};
  auto fixed_acl = acl::fix_up(read_acl(request.getAcl()), ctx.who);
  if (!fixed_acl) return {err::invalid_acl, 0, {}};
  const znode* node = tree_.find(path);
  if (!node) return {err::no_node, 0, {}};
  if (!acl::allowed(tree_.acl_of(*node), acl::admin, ctx.who)) return {err::no_auth, 0, {}};
  if (!version_matches(request.getVersion(), node->aversion)) return {err::bad_version, 0, {}};
  tree_.set_acl(path, *fixed_acl);
  return {err::ok, zk::op::set_acl, stat_body(*tree_.find(path))};
}

apply_core::op_outcome apply_core::check(op_context& ctx, schema::Check::Reader request) {
  if (!ctx.session_alive) return {err::session_expired, 0, {}};
  std::string path = text(request.getPath());
  if (!zk::valid_path(path)) return {err::bad_arguments, 0, {}};
  const znode* node = tree_.find(path);
  if (!node) return {err::no_node, 0, {}};
  if (!acl::allowed(tree_.acl_of(*node), acl::read, ctx.who)) return {err::no_auth, 0, {}};
  if (!version_matches(request.getVersion(), node->version)) return {err::bad_version, 0, {}};
  return {err::ok, zk::op::check, {}};
}

apply_core::op_outcome apply_core::reap(op_context& ctx, const std::string& path) {
  // The reaper decided on an older tree: apply again checks that the node still qualifies.
  const znode* node = tree_.find(path);
  if (!node || node->num_children() > 0) return {err::no_node, 0, {}};
  bool expired = false;
  if (storage::is_container_owner(node->owner)) expired = node->child_creations > 0;
  else if (storage::is_ttl_owner(node->owner)) expired = ctx.time_ms - node->mtime > storage::ttl_of_owner(node->owner);
  if (!expired) return {err::bad_version, 0, {}};
  delete_node(ctx, path);
  return {err::ok, zk::op::remove, {}};
}

void apply_core::apply_multi(op_context& ctx, capnp::List<schema::Op>::Reader ops, apply_result& result) {
  std::vector<op_outcome> outcomes;
  outcomes.reserve(ops.size());
  tree_.begin_undo();
  std::size_t failed_at = ops.size();
  for (unsigned i = 0; i < ops.size(); ++i) {
    outcomes.push_back(apply_op(ctx, ops[i]));
    if (outcomes.back().error != err::ok) {
      failed_at = i;
      break;
    }
  }
  jute::writer w(result.body);
  auto write_error = [&](int32_t code) {
    w.write_int(zk::op::error);
    w.write_bool(false);
    w.write_int(code);
    w.write_int(code);
  };
  if (failed_at < ops.size()) {
    tree_.rollback_undo();
    ctx.triggers.clear();
    for (std::size_t i = 0; i < ops.size(); ++i)
      write_error(i < failed_at ? err::ok : i == failed_at ? outcomes[i].error : err::runtime_inconsistency);
  } else {
    tree_.commit_undo();
    for (auto& outcome : outcomes) {
      w.write_int(outcome.result_type);
      w.write_bool(false);
      w.write_int(err::ok);
      result.body += outcome.body;
    }
  }
  w.write_int(zk::op::error);
  w.write_bool(true);
  w.write_int(-1);
}

void apply_core::close_session(op_context& ctx, int64_t session, apply_result& result) {
  if (const storage::session_record* record = tree_.find_session(session)) {
    // Copy: deleting an ephemeral edits the session's own set.
    std::vector<std::string> ephemerals(record->ephemerals.begin(), record->ephemerals.end());
    for (const auto& path : ephemerals) delete_node(ctx, path);
    tree_.remove_session(session);
  }
  result.session_closed = true;
}

}  // namespace rookery::request
