#include "actors/request/sequencer_core.hpp"

#include "actors/request/capnp_acl.hpp"
#include "runtime/zk/protocol.hpp"

namespace rookery::request {

sequencer_core::sequencer_core(write_settings settings, int64_t last_zxid, int64_t first_session_id,
                               std::unordered_map<int64_t, int32_t> live_sessions)
    : settings_(settings),
      last_proposed_(last_zxid),
      last_committed_(last_zxid),
      next_session_id_(first_session_id),
      sessions_(std::move(live_sessions)) {}

txn_stamp sequencer_core::stamp(int64_t session, int64_t now_ms, const acl::identities* who) const {
  return txn_stamp{last_proposed_ + 1, now_ms, session, who, settings_.ttl_nodes_enabled};
}

void sequencer_core::propose(shared_txn txn, connection_id connection, int32_t xid, int32_t opcode,
                             sequencer_output& out) {
  ++last_proposed_;
  pending_.push_back({last_proposed_, txn, connection, xid, opcode});
  out.to_log.push_back({last_proposed_, std::move(txn)});
}

void sequencer_core::submit(const request_batch& batch, int64_t now_ms, sequencer_output& out) {
  auto message = batch.read();
  auto requests = message.root().getRequests();
  for (uint32_t index = 0; index < requests.size(); ++index) {
    auto sent = requests[index];
    auto& state = connections_[sent.getConnection()];
    const int64_t session = sent.getSession();
    // A ready reply needs no identities (the session actor sends none with it).
    const bool ready = sent.getReply().isReady();
    if (!ready && sent.hasIdentities())
      state.who = std::make_shared<const acl::identities>(read_identities(sent.getIdentities()));

    if (!ready && is_write_opcode(sent.getOpcode())) {
      jute::reader body(as_chars(sent.getBody()));
      shared_txn txn;
      try {
        txn = encode_write(sent.getOpcode(), body, stamp(session, now_ms, state.who.get()));
      } catch (const jute::decode_error&) {
        // Not a txn after all: answered in order like a read. The tree builds the error
        // reply, so its zxid is taken when it is sent and is never older than the write
        // replies queued before it (§3.5: reply zxids are monotonic).
      }
      if (txn) {
        if (sent.getOpcode() == zk::op::close_session) closing_.insert(session);
        propose(std::move(txn), sent.getConnection(), sent.getXid(), sent.getOpcode(), out);
        state.waiting.push_back({last_proposed_, session, std::nullopt});
        continue;
      }
    }
    request_command command{batch, index, ready ? nullptr : state.who, false};
    if (state.waiting.empty()) {
      command.session_closing = closing(session);
      out.commands.push_back(std::move(command));
    } else {
      state.waiting.push_back({0, session, std::move(command)});
    }
  }
}

void sequencer_core::release_reads(connection_state& state, sequencer_output& out) {
  while (!state.waiting.empty() && state.waiting.front().read) {
    auto& first = state.waiting.front();
    // Decided now, not when the read arrived: a close proposed meanwhile counts.
    first.read->session_closing = closing(first.session);
    out.commands.push_back(std::move(*first.read));
    state.waiting.pop_front();
  }
}

void sequencer_core::connect(const connect_request_message& request, const std::string& password, int64_t now_ms,
                             sequencer_output& out) {
  auto message = request.read();
  auto root = message.root();
  const int64_t asked = root.getSession();
  // A client that has seen a newer state than the tree's gets no session here; the tree
  // refuses it with the re-attach checks.
  if (asked != 0 || root.getLastZxidSeen() > last_committed_) {
    out.commands.push_back(attach_command{request, closing(asked)});
    return;
  }
  connections_.try_emplace(root.getConnection());
  // Never hand out an id that is alive, whatever the clock did across a restart.
  while (sessions_.count(next_session_id_)) ++next_session_id_;
  const int64_t session = next_session_id_++;
  sessions_[session] = root.getTimeoutMs();
  propose(encode_create_session(stamp(session, now_ms, nullptr), root.getTimeoutMs(), password),
          root.getConnection(), 0, zk::op::create_session, out);
}

void sequencer_core::connection_closed(connection_id connection) { connections_.erase(connection); }

void sequencer_core::expire_session(int64_t session, int64_t now_ms, sequencer_output& out) {
  if (!sessions_.count(session) || !closing_.insert(session).second) return;
  propose(encode_close_session(stamp(session, now_ms, nullptr)), 0, 0, zk::op::close_session, out);
}

bool sequencer_core::begin_reap_scan() {
  if (reap_scan_out_) return false;
  reap_scan_out_ = true;
  return true;
}

void sequencer_core::reap(const std::vector<std::string>& candidates, int64_t now_ms, sequencer_output& out) {
  reap_scan_out_ = false;
  for (const auto& path : candidates) {
    if (reaped_during_scan_.count(path) || !reaping_.insert(path).second) continue;
    propose(encode_reap(stamp(0, now_ms, nullptr), path), 0, 0, zk::op::delete_container, out);
  }
  reaped_during_scan_.clear();
}

void sequencer_core::settle(const pending_txn& txn, bool committed) {
  if (txn.opcode != zk::op::close_session && txn.opcode != zk::op::create_session &&
      txn.opcode != zk::op::delete_container)
    return;
  txn_reader reader(*txn.txn);
  auto root = reader.root();
  if (root.isCloseSession()) {
    closing_.erase(root.getSession());
    if (committed) sessions_.erase(root.getSession());
  } else if (root.isCreateSession() && !committed) {
    sessions_.erase(root.getSession());
  } else if (root.isSingle() && root.getSingle().isReap()) {
    std::string path(as_view(root.getSingle().getReap()));
    reaping_.erase(path);
    if (committed && reap_scan_out_) reaped_during_scan_.insert(std::move(path));
  }
}

void sequencer_core::durable_through(int64_t zxid, sequencer_output& out) {
  while (!pending_.empty() && pending_.front().zxid <= zxid) {
    const pending_txn& txn = pending_.front();
    settle(txn, true);
    last_committed_ = txn.zxid;
    auto state = txn.connection == 0 ? connections_.end() : connections_.find(txn.connection);
    // A writer that has gone is not answered.
    const connection_id answer_to = state == connections_.end() ? 0 : txn.connection;
    out.commands.push_back(commit_command{txn.zxid, txn.txn, answer_to, txn.xid, txn.opcode});
    if (answer_to != 0) {
      auto& waiting = state->second.waiting;
      if (!waiting.empty() && !waiting.front().read && waiting.front().zxid == txn.zxid) waiting.pop_front();
      release_reads(state->second, out);
    }
    pending_.pop_front();
  }
}

void sequencer_core::abandon_from(int64_t first_zxid, sequencer_output& out) {
  auto first = pending_.begin();
  while (first != pending_.end() && first->zxid < first_zxid) ++first;
  for (auto txn = first; txn != pending_.end(); ++txn) {
    settle(*txn, false);
    // The session lives on. The tracker may have stopped tracking it (an expiry, or one that
    // came while a client's own close was pending): re-arm it so expiry is retried.
    if (txn->opcode == zk::op::close_session) {
      txn_reader reader(*txn->txn);
      auto timeout = sessions_.find(reader.root().getSession());
      if (timeout != sessions_.end()) out.rearm.push_back({timeout->first, timeout->second});
    }
    if (txn->connection == 0) continue;
    auto state = connections_.find(txn->connection);
    if (state == connections_.end()) continue;
    if (txn->opcode == zk::op::create_session) {
      out.commands.push_back(connect_refused_command{txn->connection});
      continue;
    }
    out.commands.push_back(refuse_command{txn->connection, txn->xid, zk::err::system_error});
    auto& waiting = state->second.waiting;
    if (!waiting.empty() && !waiting.front().read && waiting.front().zxid == txn->zxid) waiting.pop_front();
    release_reads(state->second, out);
  }
  pending_.erase(first, pending_.end());
  last_proposed_ = first_zxid - 1;
}

}  // namespace rookery::request
