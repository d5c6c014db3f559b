#include "actors/request/tree_core.hpp"

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include "actors/request/write_encoder.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::request {
namespace {

std::string zxid_gap_message(int64_t last, int64_t next) {
  char text[128];
  std::snprintf(text, sizeof text, "the log jumps from zxid 0x%" PRIx64 " to 0x%" PRIx64 ": records are missing",
                static_cast<uint64_t>(last), static_cast<uint64_t>(next));
  return text;
}

}  // namespace

tree_core::tree_core(storage::data_tree& tree, read_settings settings, int64_t last_zxid)
    : tree_(tree), apply_(tree), settings_(settings), last_applied_(last_zxid) {}

void tree_core::execute(const tree_commands& commands, tree_output& out) {
  // Consecutive requests mostly come from one batch: read its list once (every read of a
  // list pointer counts the whole list against the reader's traversal limit).
  const message_buffer* batch = nullptr;
  std::optional<message_reader<schema::RequestBatch>> batch_reader;
  capnp::List<schema::ClientRequest>::Reader requests;
  for (const auto& command : commands) {
    if (auto to_commit = std::get_if<commit_command>(&command)) {
      commit(*to_commit, out);
    } else if (auto request = std::get_if<request_command>(&command)) {
      if (&request->batch.buffer() != batch) {
        batch = &request->batch.buffer();
        batch_reader.emplace(*batch);
        requests = batch_reader->root().getRequests();
      }
      serve(requests[request->index], *request, out);
    } else if (auto refuse = std::get_if<refuse_command>(&command)) {
      error_reply(refuse->connection, refuse->xid, refuse->error, false, out);
    } else if (auto to_attach = std::get_if<attach_command>(&command)) {
      attach(*to_attach, out);
    } else if (auto refused = std::get_if<connect_refused_command>(&command)) {
      connect_result result;
      result.connection = refused->connection;
      out.connects.push_back(std::move(result));
    }
  }
}

void tree_core::error_reply(connection_id connection, int32_t xid, int32_t error, bool close_after,
                            tree_output& out) const {
  std::string frame;
  zk::append_header_frame(frame, xid, last_applied_, error);
  out.items.push_back(reply_item{connection, std::move(frame), close_after});
}

void tree_core::serve(schema::ClientRequest::Reader request, const request_command& command, tree_output& out) {
  const connection_id connection = request.getConnection();
  const bool close_after = request.getCloseAfter();
  if (request.getReply().isReady()) {
    out.items.push_back(reply_item{connection, std::string(as_chars(request.getReply().getReady())), close_after});
    return;
  }
  const int32_t opcode = request.getOpcode();
  // Only a write whose record did not decode is sent here.
  if (is_write_opcode(opcode)) return error_reply(connection, request.getXid(), zk::err::marshalling_error, close_after, out);
  // ZooKeeper checks the session of every request, reads included: a session that is
  // closed, or whose close is on its way, gets SESSIONEXPIRED.
  const bool session_gone = command.session_closing || !tree_.find_session(request.getSession());
  if (session_gone && checks_session(opcode, settings_))
    return error_reply(connection, request.getXid(), zk::err::session_expired, close_after, out);

  read_request read{request.getXid(),   opcode, as_chars(request.getBody()), command.who.get(),
                    request.getSession(), last_applied_};
  read_output result = serve_read(tree_, read, settings_);
  // Registration travels ahead of the reply, so no change can slip in between.
  for (auto& registration : result.watches) out.items.push_back(watch_item{connection, std::move(registration)});
  if (result.query) out.items.push_back(query_item{connection, std::move(*result.query), last_applied_});
  else out.items.push_back(reply_item{connection, std::move(result.frames), result.close_after});
}

void tree_core::attach(const attach_command& command, tree_output& out) {
  auto message = command.request.read();
  auto request = message.root();
  connect_result result;
  result.connection = request.getConnection();
  // A client that has seen a newer state than ours must go elsewhere (or wait).
  if (request.getLastZxidSeen() > last_applied_) {
    out.connects.push_back(std::move(result));
    return;
  }
  const storage::session_record* record = tree_.find_session(request.getSession());
  if (!record || command.session_closing || record->password != as_chars(request.getPassword())) {
    result.outcome = connect_result::status::invalid;
    out.connects.push_back(std::move(result));
    return;
  }
  result.outcome = connect_result::status::accepted;
  result.session = request.getSession();
  result.timeout_ms = request.getTimeoutMs();
  result.password = record->password;
  out.connects.push_back(std::move(result));
  out.sessions.push_back({true, request.getSession(), request.getTimeoutMs()});
}

void tree_core::commit(const commit_command& command, tree_output& out) {
  txn_reader reader(*command.txn);
  auto root = reader.root();
  apply_result result = apply_.apply(root);
  last_applied_ = command.zxid;

  // Events go out before any reply that reflects the change, the writer's own included.
  for (auto& fired : result.triggers) out.items.push_back(trigger_item{std::move(fired), command.zxid});
  if (result.session_opened) out.sessions.push_back({true, root.getSession(), root.getCreateSession().getTimeoutMs()});
  if (result.session_closed) out.sessions.push_back({false, root.getSession(), 0});
  if (command.connection == 0) return;

  if (command.opcode == zk::op::create_session) {
    auto created = root.getCreateSession();
    out.connects.push_back({connect_result::status::accepted, command.connection, root.getSession(),
                            created.getTimeoutMs(), std::string(as_chars(created.getPassword()))});
    return;
  }
  std::string frame;
  jute::writer w(frame);
  auto start = zk::begin_reply(w, command.xid, command.zxid, result.error);
  if (result.error == zk::err::ok) frame += result.body;
  w.end_frame(start);
  out.items.push_back(reply_item{command.connection, std::move(frame), command.opcode == zk::op::close_session});
}

void tree_core::connection_closed(connection_id connection, tree_output& out) {
  out.items.push_back(forget_item{connection});
}

std::vector<std::string> tree_core::reap_candidates(int64_t now_ms) const {
  std::vector<std::string> due;
  for (const auto& path : tree_.containers()) {
    const storage::znode* node = tree_.find(path);
    if (node && node->num_children() == 0 && node->child_creations > 0) due.push_back(path);
  }
  for (const auto& path : tree_.ttl_nodes()) {
    const storage::znode* node = tree_.find(path);
    if (node && node->num_children() == 0 && now_ms - node->mtime > storage::ttl_of_owner(node->owner))
      due.push_back(path);
  }
  return due;
}

void tree_core::replay(const txn_buffer& txn) {
  txn_reader reader(txn);
  auto root = reader.root();
  if (root.getZxid() != last_applied_ + 1)
    throw std::runtime_error(zxid_gap_message(last_applied_, root.getZxid()));
  apply_.apply(root);
  last_applied_ = root.getZxid();
}

std::unordered_map<int64_t, int32_t> tree_core::live_sessions() const {
  std::unordered_map<int64_t, int32_t> sessions;
  for (const auto& [id, session] : tree_.sessions()) sessions.emplace(id, session.timeout_ms);
  return sessions;
}

}  // namespace rookery::request
