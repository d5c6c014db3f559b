#include "actors/session/session_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "actors/request/capnp_acl.hpp"
#include "actors/request/tree_actor.hpp"
#include "runtime/admin/four_letter.hpp"
#include "runtime/admin/process_figures.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/handshake.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::session {
namespace {

using self_ptr = caf::stateful_actor<session_actor_state>*;
using phase = session_actor_state::phase;

// ZooKeeper's sessionlessCnxnTimeout: a connection must complete its handshake in time.
constexpr auto handshake_limit = std::chrono::seconds(10);
using handshake_timeout_atom = caf::atom_constant<caf::atom("hstimeout")>;

void write_out(self_ptr self, std::string bytes) {
  if (bytes.empty() || !self->state.framer) return;
  self->send(self->state.framer, write_atom::value, std::move(bytes));
}

void send_requests(self_ptr self) {
  auto& st = self->state;
  if (st.unsent.empty()) return;
  self->send(st.roles.sequencer, request_atom::value, request::encode_request_batch(st.unsent, st.identities_sent));
  // Cleared, not moved from: the vector keeps its capacity for the next batch.
  st.unsent.clear();
  st.unsent_bytes = 0;
}

void queue_request(self_ptr self, request::client_request request) {
  // Batches stay far below Cap'n Proto's limits on one message (and the reader's traversal
  // limit), however many large frames one read or one release brings.
  constexpr std::size_t batch_bytes = 8 << 20;
  auto& st = self->state;
  st.unsent_bytes += request.body.size() + (request.ready_reply ? request.ready_reply->size() : 0);
  st.unsent.push_back(std::move(request));
  if (st.unsent_bytes >= batch_bytes) send_requests(self);
}

// The framer flushes what was written, then closes the socket; the roles forget us.
void shut_down(self_ptr self) {
  auto& st = self->state;
  send_requests(self);
  if (st.framer) self->send(st.framer, close_atom::value);
  self->send(st.roles.sequencer, bye_atom::value, st.connection);
  self->send(st.roles.listener, closed_atom::value, st.figures);
  if (st.claimed_session != 0) self->send(st.roles.tracker, release_atom::value, st.claimed_session, st.connection);
  if (st.session != 0) spdlog::info("connection {} from {} closed (session 0x{:x})", st.connection, st.peer, st.session);
  self->quit();
}

// Ends the connection, once.
void finish(self_ptr self) {
  if (self->state.stage == phase::closing) return;
  self->state.stage = phase::closing;
  shut_down(self);
}

void send_touch(self_ptr self) {
  auto& st = self->state;
  st.last_touch_ms = now_ms();
  self->send(st.roles.tracker, touch_atom::value, st.session);
}

// A touch per request would double the tracker's traffic, so touches go out at most every
// tenth of the timeout. One that falls inside that window is sent when it ends: the tracker
// may then see the session a little younger than it is (expiry a little late, as
// ZooKeeper's tick rounding allows), never older (expiry early).
void touch(self_ptr self) {
  auto& st = self->state;
  const int64_t window = st.timeout_ms / 10;
  const int64_t since = now_ms() - st.last_touch_ms;
  if (since >= window) return send_touch(self);
  if (st.touch_pending) return;
  st.touch_pending = true;
  self->delayed_send(self, std::chrono::milliseconds(window - since), touch_atom::value);
}

// Replies come back in request order, so the oldest arrival belongs to the next reply.
void note_request(self_ptr self, int32_t xid, int32_t opcode) {
  auto& st = self->state;
  st.arrivals.push_back(now_ms());
  st.figures.last_op = admin::op_mnemonic(opcode);
  if (xid >= 0) st.figures.last_xid = xid;
}

void submit_ready_reply(self_ptr self, int32_t xid, std::string frame, bool close_after) {
  request::client_request request;
  request.connection = self->state.connection;
  request.session = self->state.session;
  request.xid = xid;
  request.opcode = zk::op::auth;
  request.ready_reply = std::move(frame);
  request.close_after = close_after;
  queue_request(self, std::move(request));
}

// Auth is answered here (it changes this connection's identities) but still goes through
// the request pipeline so its reply keeps its place in the reply order, which kazoo relies on.
void authenticate(self_ptr self, int32_t xid, std::string_view body) {
  auto& st = self->state;
  std::optional<acl::identities> added;
  try {
    auto packet = zk::read_auth_packet(body);
    added = acl::authenticate(packet.scheme, packet.auth, st.peer.substr(0, st.peer.rfind(':')), st.config->super_digest);
    if (!added) spdlog::info("connection {}: authentication with scheme '{}' failed", st.connection, packet.scheme);
  } catch (const jute::decode_error&) {
    spdlog::info("connection {}: malformed auth packet", st.connection);
  }
  std::string frame;
  if (!added) {
    zk::append_header_frame(frame, xid, 0, zk::err::auth_failed);
    submit_ready_reply(self, xid, std::move(frame), true);
    return;
  }
  st.who = std::make_shared<const acl::identities>(acl::with_added(*st.who, std::move(*added)));
  zk::append_header_frame(frame, xid, 0, zk::err::ok);
  submit_ready_reply(self, xid, std::move(frame), false);
}

void handle_request(self_ptr self, std::string frame) {
  auto& st = self->state;
  if (frame.size() < 8) {
    spdlog::warn("connection {} from {}: request of {} bytes has no header, closing", st.connection, st.peer,
                 frame.size());
    return finish(self);
  }
  int32_t xid = jute::get_int(frame.data());
  int32_t opcode = jute::get_int(frame.data() + 4);
  spdlog::debug("session 0x{:x} request xid={} op={} ({} bytes)", st.session, xid, opcode, frame.size() - 8);
  touch(self);
  note_request(self, xid, opcode);
  if (opcode == zk::op::auth) return authenticate(self, xid, std::string_view(frame).substr(8));
  request::client_request request;
  request.connection = st.connection;
  request.session = st.session;
  request.xid = xid;
  request.opcode = opcode;
  frame.erase(0, 8);
  request.body = std::move(frame);
  request.who = st.who;
  queue_request(self, std::move(request));
}

void handle_connect(self_ptr self, const std::string& frame) {
  auto& st = self->state;
  auto record = zk::parse_connect_request(frame);
  if (!record) {
    spdlog::warn("connection {} from {}: malformed ConnectRequest, closing", st.connection, st.peer);
    return finish(self);
  }
  st.client_sent_read_only_byte = record->has_read_only_byte;
  request::connect_request request;
  request.connection = st.connection;
  request.session = record->session_id;
  request.password = record->password;
  request.timeout_ms = zk::negotiate_timeout(record->timeout_ms, st.config->effective_min_session_timeout(),
                                             st.config->effective_max_session_timeout());
  request.last_zxid_seen = record->last_zxid_seen;
  if (record->session_id != 0) {
    st.claimed_session = record->session_id;
    self->send(st.roles.tracker, claim_atom::value, record->session_id, st.connection);
  }
  st.stage = phase::connecting;
  self->send(st.roles.sequencer, connect_atom::value, request::encode_connect_request(request));
}

// Past this, requests wait in held_frames: too many already inside the server, or the
// client is not reading the replies it has.
bool must_hold(self_ptr self) {
  auto& st = self->state;
  return st.replies_backlogged || st.arrivals.size() >= static_cast<std::size_t>(st.config->max_outstanding_requests);
}

void on_frame(self_ptr self, std::string frame) {
  auto& st = self->state;
  ++st.figures.received;
  switch (st.stage) {
    case phase::handshake: return handle_connect(self, frame);
    case phase::connecting: st.held_frames.push_back(std::move(frame)); return;
    case phase::connected:
      if (!st.held_frames.empty() || must_hold(self)) {
        st.held_frames.push_back(std::move(frame));
        return;
      }
      return handle_request(self, std::move(frame));
    case phase::closing: return;
  }
}

// Reading stops while frames are held, so what one connection can make the server hold is
// bounded by its outstanding requests and what the framer reads before the pause reaches it.
void regulate_reading(self_ptr self) {
  auto& st = self->state;
  const bool pause = !st.held_frames.empty() && st.stage != phase::closing;
  if (pause == st.reading_paused || !st.framer) return;
  st.reading_paused = pause;
  if (pause) self->send(st.framer, pause_atom::value);
  else self->send(st.framer, resume_atom::value);
}

void release_held_frames(self_ptr self) {
  auto& st = self->state;
  while (!st.held_frames.empty() && st.stage == phase::connected && !must_hold(self)) {
    std::string frame = std::move(st.held_frames.front());
    st.held_frames.pop_front();
    handle_request(self, std::move(frame));
  }
  send_requests(self);
  regulate_reading(self);
}

void on_connected(self_ptr self, const request::connect_result_message& message) {
  auto& st = self->state;
  auto read = message.read();
  auto result = read.root();
  using outcome = schema::ConnectResult::Outcome;
  if (result.getOutcome() == outcome::REFUSED) {
    spdlog::info("connection {} from {}: client has seen a newer zxid than ours, closing", st.connection, st.peer);
    return finish(self);
  }
  if (result.getOutcome() == outcome::INVALID) {
    spdlog::info("connection {} from {}: session expired or invalid", st.connection, st.peer);
    write_out(self, zk::connect_response_frame(0, 0, std::string(), st.client_sent_read_only_byte));
    return finish(self);
  }
  st.session = result.getSession();
  st.timeout_ms = result.getTimeoutMs();
  st.figures.session = st.session;
  st.figures.timeout_ms = st.timeout_ms;
  st.stage = phase::connected;
  write_out(self, zk::connect_response_frame(st.timeout_ms, st.session, std::string(as_chars(result.getPassword())),
                                             st.client_sent_read_only_byte));
  st.claimed_session = st.session;
  self->send(st.roles.tracker, claim_atom::value, st.session, st.connection);
  spdlog::info("session 0x{:x} established for {} (timeout {} ms)", st.session, st.peer, st.timeout_ms);
  release_held_frames(self);
}

void on_deliver(self_ptr self, const watch::deliveries_message& message) {
  auto& st = self->state;
  auto read = message.read();
  auto deliveries = read.root().getItems();
  std::string bytes;
  bool close_after = false;
  const int64_t now = now_ms();
  const std::size_t waiting_before = st.arrivals.size();
  for (auto d : deliveries) {
    // ZooKeeper drops an event the receiver may not READ (the watch is still consumed).
    if (d.isEventReadAcl() && !acl::allowed(request::read_acl(d.getEventReadAcl()), acl::read, *st.who)) continue;
    ++st.figures.sent;
    const std::string_view frames = as_chars(d.getFrames());
    if (d.isReply() && !st.arrivals.empty()) {
      st.figures.latency.add(now - st.arrivals.front());
      st.arrivals.pop_front();
      // The reply's zxid sits after its length and xid.
      if (frames.size() >= 16) st.figures.last_zxid = jute::reader(frames.data() + 8, 8).read_long();
    }
    // The message's size bounds what it holds: one allocation for the whole write.
    if (bytes.empty()) bytes.reserve(message.buffer().size_in_words() * sizeof(capnp::word));
    bytes += frames;
    close_after = close_after || d.getCloseAfter();
  }
  if (st.arrivals.size() != waiting_before) st.figures.last_response_ms = wall_ms();
  write_out(self, std::move(bytes));
  if (close_after) finish(self);
  else release_held_frames(self);
}

void answer_word(self_ptr self, const std::string& word) {
  auto& st = self->state;
  // Closing already: nothing else is read, and no timer ends the connection while the
  // figures are gathered.
  st.stage = phase::closing;
  auto reply = [self](std::string text) {
    write_out(self, std::move(text));
    shut_down(self);
  };
  if (!st.config->four_letter_words.count(word)) return reply(admin::not_whitelisted(word));
  if (admin::is_static_word(word)) return reply(admin::render(word, admin::server_view{}, *st.config));
  if (admin::resets_stats(word)) {
    self->send(st.roles.listener, reset_atom::value);
    return reply(admin::render(word, admin::server_view{}, *st.config));
  }
  // Gathers figures from each role in turn, then renders.
  const bool listings = admin::needs_listings(word);
  auto view = std::make_shared<admin::server_view>();
  auto timeout = std::chrono::seconds(5);
  auto give_up = [reply](const caf::error&) { reply(std::string()); };
  auto finish_view = [=] {
    admin::fill_process_figures(*view, self->state.config->data_dir);
    self->request(self->state.roles.log, timeout, stats_atom::value)
        .then(
            [=](const std::pair<uint64_t, uint64_t>& log) {
              view->log_commits = static_cast<int64_t>(log.first);
              view->log_records = static_cast<int64_t>(log.second);
              reply(admin::render(word, *view, *self->state.config));
            },
            give_up);
  };
  auto with_sessions = [=] {
    if (!listings) return finish_view();
    self->request(self->state.roles.tracker, timeout, stats_atom::value)
        .then(
            [=](const std::map<int64_t, std::set<int64_t>>& buckets) {
              view->expiry_buckets = buckets;
              finish_view();
            },
            give_up);
  };
  auto with_connections = [=] {
    self->request(self->state.roles.listener, timeout, stats_atom::value)
        .then(
            [=](admin::listener_report& report) {
              view->clients = std::move(report.clients);
              view->retired = report.retired;
              view->uptime_ms = now_ms() - report.started_ms;
              for (const auto& c : view->clients) view->session_of_connection[c.connection] = c.session;
              with_sessions();
            },
            give_up);
  };
  auto with_watches = [=] {
    self->request(self->state.roles.watch_manager, timeout, stats_atom::value, listings)
        .then(
            [=](admin::watch_report& w) {
              view->watch_connections = w.connections;
              view->watch_paths = w.paths;
              view->data_watches = w.data_watches;
              view->total_watches = w.total;
              view->watches_by_connection = std::move(w.by_connection);
              view->watches_by_path = std::move(w.by_path);
              with_connections();
            },
            give_up);
  };
  self->request(st.roles.sequencer, timeout, stats_atom::value, listings)
      .then(
          [=](request::tree_stats& tree) {
            view->last_zxid = tree.last_zxid;
            view->node_count = tree.node_count;
            view->data_bytes = tree.data_bytes;
            view->sessions = tree.sessions;
            view->ephemerals = tree.ephemerals;
            view->outstanding = tree.outstanding;
            view->ephemerals_by_session = std::move(tree.ephemerals_by_session);
            with_watches();
          },
          give_up);
}

}  // namespace

caf::behavior session_actor(caf::stateful_actor<session_actor_state>* self, uint64_t connection, std::string peer,
                            std::shared_ptr<const server_config> config, server_roles roles) {
  auto& st = self->state;
  st.connection = connection;
  st.peer = std::move(peer);
  st.config = std::move(config);
  st.roles = std::move(roles);
  st.figures.peer = st.peer;
  st.figures.connection = connection;
  st.figures.established_ms = wall_ms();
  st.who = std::make_shared<const acl::identities>(acl::identities{{"ip", st.peer.substr(0, st.peer.rfind(':'))}});
  self->send(st.roles.sequencer, hello_atom::value, connection, caf::actor_cast<caf::actor>(self));
  self->delayed_send(self, handshake_limit, handshake_timeout_atom::value);
  return {
      [=](attach_atom, caf::actor framer) { self->state.framer = std::move(framer); },
      [=](frames_atom, std::vector<std::string>& frames) {
        for (auto& frame : frames) on_frame(self, std::move(frame));
        send_requests(self);
        regulate_reading(self);
      },
      [=](backlog_atom, bool backlogged) {
        self->state.replies_backlogged = backlogged;
        if (!backlogged) release_held_frames(self);
      },
      [=](touch_atom) {
        self->state.touch_pending = false;
        if (self->state.stage == phase::connected) send_touch(self);
      },
      [=](word_atom, const std::string& word) { answer_word(self, word); },
      [=](connect_atom, const request::connect_result_message& result) { on_connected(self, result); },
      [=](deliver_atom, const watch::deliveries_message& deliveries) { on_deliver(self, deliveries); },
      [=](kick_atom) {
        spdlog::info("connection {}: session 0x{:x} closed by the server", self->state.connection, self->state.session);
        finish(self);
      },
      [=](peer_gone_atom) {
        self->state.framer = nullptr;
        finish(self);
      },
      [=](stats_atom) {
        auto figures = self->state.figures;
        figures.queued = static_cast<int64_t>(self->state.arrivals.size());
        return figures;
      },
      [=](reset_atom) { self->state.figures.reset_counters(); },
      [=](handshake_timeout_atom) {
        if (self->state.stage != phase::handshake && self->state.stage != phase::connecting) return;
        spdlog::info("connection {} from {}: no handshake within {} s, closing", self->state.connection,
                     self->state.peer, handshake_limit.count());
        finish(self);
      },
  };
}

}  // namespace rookery::session
