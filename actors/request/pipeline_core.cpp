#include "actors/request/pipeline_core.hpp"

#include "actors/request/capnp_identities.hpp"
#include "actors/request/write_encoder.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::request {

pipeline_core::pipeline_core(storage::data_tree& tree, write_settings write_settings, read_settings read_settings,
                             int64_t last_zxid, int64_t first_session_id)
    : tree_(tree),
      apply_(tree),
      write_settings_(write_settings),
      read_settings_(read_settings),
      last_applied_(last_zxid),
      last_proposed_(last_zxid),
      next_session_id_(first_session_id) {}

txn_stamp pipeline_core::stamp(int64_t session, int64_t now_ms, const acl::identities* who) {
  return txn_stamp{last_proposed_ + 1, now_ms, session, who, write_settings_.ttl_nodes_enabled};
}

void pipeline_core::propose(shared_txn txn, connection_id connection, int32_t xid, int32_t opcode,
                            pipeline_output& out) {
  ++last_proposed_;
  pending_.push_back({last_proposed_, txn, connection, xid, opcode});
  out.to_log.push_back({last_proposed_, std::move(txn)});
}

client_request pipeline_core::kept(const request_view& request, std::shared_ptr<const acl::identities> who) {
  client_request copy{request.connection,        request.session, request.xid,  request.opcode,
                      std::string(request.body), std::move(who),   std::nullopt, request.close_after};
  if (request.ready_reply) copy.ready_reply.emplace(*request.ready_reply);
  return copy;
}

pipeline_core::request_view pipeline_core::view_of(const client_request& request) {
  request_view view{request.connection, request.session,   request.xid,  request.opcode,
                    request.body,       request.who.get(), std::nullopt, request.close_after};
  if (request.ready_reply) view.ready_reply = *request.ready_reply;
  return view;
}

void pipeline_core::submit(schema::ClientRequest::Reader sent, int64_t now_ms, pipeline_output& out) {
  auto& state = connections_[sent.getConnection()];
  request_view request{sent.getConnection(), sent.getSession(), sent.getXid(), sent.getOpcode(),
                       as_chars(sent.getBody()), nullptr, std::nullopt, sent.getCloseAfter()};
  // A ready reply needs no identities (the session actor sends none with it).
  if (sent.getReply().isReady()) request.ready_reply = as_chars(sent.getReply().getReady());
  else {
    if (sent.hasIdentities()) state.who = std::make_shared<const acl::identities>(read_identities(sent.getIdentities()));
    request.who = state.who.get();
  }

  if (!request.ready_reply && is_write_opcode(request.opcode)) {
    jute::reader body(request.body);
    shared_txn txn;
    try {
      txn = encode_write(request.opcode, body, stamp(request.session, now_ms, request.who));
    } catch (const jute::decode_error&) {
      // Not a txn after all: answered in order like a read. serve() builds the error reply,
      // so its zxid is taken when it is sent and is never older than the write replies
      // queued before it (§3.5: reply zxids are monotonic).
    }
    if (txn) {
      if (request.opcode == zk::op::close_session) closing_.insert(request.session);
      propose(std::move(txn), request.connection, request.xid, request.opcode, out);
      state.waiting.push_back({true, last_proposed_, {}});
      return;
    }
  }
  if (state.waiting.empty()) serve(request, out);
  else state.waiting.push_back({false, 0, kept(request, request.ready_reply ? nullptr : state.who)});
}

void pipeline_core::serve(const request_view& request, pipeline_output& out) {
  if (request.ready_reply) {
    out.items.push_back(reply_item{request.connection, std::string(*request.ready_reply), request.close_after});
    return;
  }
  if (is_write_opcode(request.opcode)) {
    // Only a write whose record failed to decode in submit() gets here.
    std::string frame;
    zk::append_header_frame(frame, request.xid, last_applied_, zk::err::marshalling_error);
    out.items.push_back(reply_item{request.connection, std::move(frame), request.close_after});
    return;
  }
  // ZooKeeper checks the session of every request, reads included: a session that is
  // closed, or whose close is on its way, gets SESSIONEXPIRED.
  const bool session_gone = !tree_.find_session(request.session) || closing_.count(request.session);
  if (session_gone && checks_session(request.opcode, read_settings_)) {
    std::string frame;
    zk::append_header_frame(frame, request.xid, last_applied_, zk::err::session_expired);
    out.items.push_back(reply_item{request.connection, std::move(frame), request.close_after});
    return;
  }
  read_request read{request.xid, request.opcode, request.body, request.who, request.session, last_applied_};
  read_output result = serve_read(tree_, read, read_settings_);
  // Registration travels ahead of the reply, so no change can slip in between.
  for (auto& registration : result.watches)
    out.items.push_back(watch_item{request.connection, std::move(registration)});
  if (result.query) {
    out.items.push_back(query_item{request.connection, std::move(*result.query), last_applied_});
  } else {
    out.items.push_back(reply_item{request.connection, std::move(result.frames), result.close_after});
  }
}

void pipeline_core::release_reads(connection_state& state, pipeline_output& out) {
  while (!state.waiting.empty() && !state.waiting.front().is_write) {
    serve(view_of(state.waiting.front().request), out);
    state.waiting.pop_front();
  }
}

void pipeline_core::connect(schema::ConnectRequest::Reader request, const std::string& password, int64_t now_ms,
                            pipeline_output& out) {
  connect_result result;
  result.connection = request.getConnection();
  // A client that has seen a newer state than ours must go elsewhere (or wait).
  if (request.getLastZxidSeen() > last_applied_) {
    out.connects.push_back(result);
    return;
  }
  const int64_t asked = request.getSession();
  if (asked == 0) {
    auto& state = connections_[request.getConnection()];
    state.connect_timeout_ms = request.getTimeoutMs();
    state.connect_password = password;
    // Never hand out an id that is alive, whatever the clock did across a restart.
    while (tree_.find_session(next_session_id_)) ++next_session_id_;
    int64_t session = next_session_id_++;
    propose(encode_create_session(stamp(session, now_ms, nullptr), request.getTimeoutMs(), password),
            request.getConnection(), 0, zk::op::create_session, out);
    return;
  }
  const storage::session_record* record = tree_.find_session(asked);
  if (!record || closing_.count(asked) || record->password != as_chars(request.getPassword())) {
    result.outcome = connect_result::status::invalid;
    out.connects.push_back(result);
    return;
  }
  result.outcome = connect_result::status::accepted;
  result.session = asked;
  result.timeout_ms = request.getTimeoutMs();
  result.password = record->password;
  out.connects.push_back(result);
  out.sessions.push_back({true, asked, request.getTimeoutMs()});
}

void pipeline_core::connection_closed(connection_id connection, pipeline_output& out) {
  connections_.erase(connection);
  out.items.push_back(forget_item{connection});
}

void pipeline_core::expire_session(int64_t session, int64_t now_ms, pipeline_output& out) {
  if (!tree_.find_session(session) || !closing_.insert(session).second) return;
  propose(encode_close_session(stamp(session, now_ms, nullptr)), 0, 0, zk::op::close_session, out);
}

void pipeline_core::reap(int64_t now_ms, pipeline_output& out) {
  auto propose_reap = [&](const std::string& path) {
    if (!reaping_.insert(path).second) return;
    propose(encode_reap(stamp(0, now_ms, nullptr), path), 0, 0, zk::op::delete_container, out);
  };
  for (const auto& path : tree_.containers()) {
    const storage::znode* node = tree_.find(path);
    if (node && node->num_children() == 0 && node->child_creations > 0) propose_reap(path);
  }
  for (const auto& path : tree_.ttl_nodes()) {
    const storage::znode* node = tree_.find(path);
    if (node && node->num_children() == 0 && now_ms - node->mtime > storage::ttl_of_owner(node->owner))
      propose_reap(path);
  }
}

void pipeline_core::durable_through(int64_t zxid, pipeline_output& out) {
  while (!pending_.empty() && pending_.front().zxid <= zxid) {
    apply_pending(pending_.front(), out);
    pending_.pop_front();
  }
}

void pipeline_core::replay(const txn_buffer& txn) {
  txn_reader reader(txn);
  auto root = reader.root();
  apply_.apply(root);
  last_applied_ = last_proposed_ = root.getZxid();
}

void pipeline_core::apply_pending(const pending_txn& txn, pipeline_output& out) {
  txn_reader reader(*txn.txn);
  auto root = reader.root();
  apply_result result = apply_.apply(root);
  last_applied_ = txn.zxid;

  // Events go out before any reply that reflects the change, the writer's own included.
  for (auto& fired : result.triggers) out.items.push_back(trigger_item{std::move(fired), txn.zxid});
  if (result.session_opened) out.sessions.push_back({true, root.getSession(), root.getCreateSession().getTimeoutMs()});
  if (result.session_closed) {
    closing_.erase(root.getSession());
    out.sessions.push_back({false, root.getSession(), 0});
  }
  if (txn.opcode == zk::op::delete_container && root.isSingle() && root.getSingle().isReap())
    reaping_.erase(std::string(as_view(root.getSingle().getReap())));
  if (txn.connection == 0) return;

  auto state = connections_.find(txn.connection);
  if (state == connections_.end()) return;  // the connection went away; its replies with it
  if (txn.opcode == zk::op::create_session) {
    connect_result connected{connect_result::status::accepted, txn.connection, root.getSession(),
                             state->second.connect_timeout_ms, state->second.connect_password};
    out.connects.push_back(std::move(connected));
    return;
  }
  std::string frame;
  jute::writer w(frame);
  auto start = zk::begin_reply(w, txn.xid, txn.zxid, result.error);
  if (result.error == zk::err::ok) frame += result.body;
  w.end_frame(start);
  out.items.push_back(reply_item{txn.connection, std::move(frame), txn.opcode == zk::op::close_session});

  auto& waiting = state->second.waiting;
  if (!waiting.empty() && waiting.front().is_write && waiting.front().zxid == txn.zxid) waiting.pop_front();
  release_reads(state->second, out);
}

void pipeline_core::abandon_from(int64_t first_zxid, pipeline_output& out) {
  auto first = pending_.begin();
  while (first != pending_.end() && first->zxid < first_zxid) ++first;
  for (auto txn = first; txn != pending_.end(); ++txn) {
    txn_reader reader(*txn->txn);
    auto root = reader.root();
    if (root.isCloseSession()) {
      closing_.erase(root.getSession());
      // The tracker stopped tracking an expired session; re-arm it so expiry is retried.
      const auto* session = tree_.find_session(root.getSession());
      if (txn->connection == 0 && session) out.sessions.push_back({true, root.getSession(), session->timeout_ms});
    }
    if (root.isSingle() && root.getSingle().isReap()) reaping_.erase(std::string(as_view(root.getSingle().getReap())));
    auto state = connections_.find(txn->connection);
    if (txn->connection == 0 || state == connections_.end()) continue;
    if (txn->opcode == zk::op::create_session) {
      connect_result refused;
      refused.connection = txn->connection;
      out.connects.push_back(refused);
      continue;
    }
    std::string frame;
    zk::append_header_frame(frame, txn->xid, last_applied_, zk::err::system_error);
    out.items.push_back(reply_item{txn->connection, std::move(frame), false});
    auto& waiting = state->second.waiting;
    if (!waiting.empty() && waiting.front().is_write && waiting.front().zxid == txn->zxid) waiting.pop_front();
    release_reads(state->second, out);
  }
  pending_.erase(first, pending_.end());
  last_proposed_ = first_zxid - 1;
}

}  // namespace rookery::request
