#include "actors/session/session_core.hpp"

#include "actors/request/capnp_acl.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/handshake.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::session {
namespace {

// "ip" of "ip:port".
std::string address_of(const std::string& peer) { return peer.substr(0, peer.rfind(':')); }

}  // namespace

session_core::session_core(uint64_t connection, std::string peer, std::shared_ptr<const server_config> config,
                           int64_t accepted_wall_ms, bool note_requests)
    : connection_(connection),
      peer_(std::move(peer)),
      config_(std::move(config)),
      note_requests_(note_requests),
      who_(std::make_shared<const acl::identities>(acl::identities{{"ip", address_of(peer_)}})) {
  figures_.peer = peer_;
  figures_.connection = connection;
  figures_.established_ms = accepted_wall_ms;
}

void session_core::read(std::vector<std::string>& frames, int64_t now_ms, session_output& out) {
  for (auto& frame : frames) on_frame(std::move(frame), now_ms, out);
  batcher_.flush(out.requests);
  regulate_reading(out);
}

void session_core::on_frame(std::string frame, int64_t now_ms, session_output& out) {
  ++figures_.received;
  switch (stage_) {
    case phase::handshake: return handle_connect(frame, out);
    case phase::connecting: held_frames_.push_back(std::move(frame)); return;
    case phase::connected:
      if (!held_frames_.empty() || must_hold()) {
        held_frames_.push_back(std::move(frame));
        return;
      }
      return handle_request(std::move(frame), now_ms, out);
    case phase::answering_word:
    case phase::closing: return;
  }
}

void session_core::handle_connect(const std::string& frame, session_output& out) {
  auto record = zk::parse_connect_request(frame);
  if (!record) {
    out.notes.emplace_back(session_note::kind::malformed_connect);
    return finish(out);
  }
  client_sent_read_only_byte_ = record->has_read_only_byte;
  request::connect_request request;
  request.connection = connection_;
  request.session = record->session_id;
  request.password = record->password;
  request.timeout_ms = zk::negotiate_timeout(record->timeout_ms, config_->effective_min_session_timeout(),
                                             config_->effective_max_session_timeout());
  request.last_zxid_seen = record->last_zxid_seen;
  if (record->session_id != 0) {
    claimed_session_ = record->session_id;
    out.claim = record->session_id;
  }
  stage_ = phase::connecting;
  out.connect = request::encode_connect_request(request);
}

void session_core::handle_request(std::string frame, int64_t now_ms, session_output& out) {
  if (frame.size() < 8) {
    out.notes.emplace_back(session_note::kind::headerless_request).bytes = frame.size();
    return finish(out);
  }
  int32_t xid = jute::get_int(frame.data());
  int32_t opcode = jute::get_int(frame.data() + 4);
  if (note_requests_) {
    auto& note = out.notes.emplace_back(session_note::kind::request);
    note.xid = xid;
    note.opcode = opcode;
    note.bytes = frame.size() - 8;
  }
  touch(now_ms, out);
  note_request(xid, opcode, now_ms);
  if (opcode == zk::op::auth) return authenticate(xid, std::string_view(frame).substr(8), out);
  request::client_request request = request_of(xid, opcode);
  frame.erase(0, 8);
  request.body = std::move(frame);
  request.who = who_;
  batcher_.add(std::move(request), out.requests);
}

// Auth is answered here (it changes this connection's identities) but still goes through
// the request pipeline so its reply keeps its place in the reply order, which kazoo relies on.
void session_core::authenticate(int32_t xid, std::string_view body, session_output& out) {
  std::optional<acl::identities> added;
  try {
    auto packet = zk::read_auth_packet(body);
    added = acl::authenticate(packet.scheme, packet.auth, address_of(peer_), config_->super_digest);
    if (!added) out.notes.emplace_back(session_note::kind::auth_failed).scheme = packet.scheme;
  } catch (const jute::decode_error&) {
    out.notes.emplace_back(session_note::kind::malformed_auth);
  }
  std::string frame;
  if (!added) {
    zk::append_header_frame(frame, xid, 0, zk::err::auth_failed);
    submit_ready_reply(xid, std::move(frame), true, out);
    return;
  }
  who_ = std::make_shared<const acl::identities>(acl::with_added(*who_, std::move(*added)));
  zk::append_header_frame(frame, xid, 0, zk::err::ok);
  submit_ready_reply(xid, std::move(frame), false, out);
}

request::client_request session_core::request_of(int32_t xid, int32_t opcode) const {
  request::client_request request;
  request.connection = connection_;
  request.session = figures_.session;
  request.xid = xid;
  request.opcode = opcode;
  return request;
}

void session_core::submit_ready_reply(int32_t xid, std::string frame, bool close_after, session_output& out) {
  request::client_request request = request_of(xid, zk::op::auth);
  request.ready_reply = std::move(frame);
  request.close_after = close_after;
  batcher_.add(std::move(request), out.requests);
}

void session_core::touch(int64_t now_ms, session_output& out) {
  auto decision = throttle_.activity(now_ms);
  if (decision.touch_now) out.touch = true;
  if (decision.touch_in_ms) out.touch_in_ms = decision.touch_in_ms;
}

void session_core::touch_due(int64_t now_ms, session_output& out) {
  throttle_.delay_over();
  if (stage_ != phase::connected) return;
  throttle_.touched(now_ms);
  out.touch = true;
}

// Replies come back in request order, so the oldest arrival belongs to the next reply.
void session_core::note_request(int32_t xid, int32_t opcode, int64_t now_ms) {
  arrivals_.push_back(now_ms);
  figures_.last_op = admin::op_mnemonic(opcode);
  if (xid >= 0) figures_.last_xid = xid;
}

// Past this, requests wait in held_frames: too many already inside the server, or the
// client is not reading the replies it has.
bool session_core::must_hold() const {
  return replies_backlogged_ || arrivals_.size() >= static_cast<std::size_t>(config_->max_outstanding_requests);
}

// Reading stops while frames are held, so what one connection can make the server hold is
// bounded by its outstanding requests and what the framer reads before the pause reaches it.
void session_core::regulate_reading(session_output& out) {
  const bool pause = !held_frames_.empty() && stage_ != phase::closing && stage_ != phase::answering_word;
  if (pause == reading_paused_) return;
  reading_paused_ = pause;
  out.pause_reading = pause;
}

void session_core::release_held_frames(int64_t now_ms, session_output& out) {
  while (!held_frames_.empty() && stage_ == phase::connected && !must_hold()) {
    std::string frame = std::move(held_frames_.front());
    held_frames_.pop_front();
    handle_request(std::move(frame), now_ms, out);
  }
  batcher_.flush(out.requests);
  regulate_reading(out);
}

void session_core::replies_backlogged(bool backlogged, int64_t now_ms, session_output& out) {
  replies_backlogged_ = backlogged;
  if (!backlogged) release_held_frames(now_ms, out);
}

void session_core::connected(const request::connect_result_message& message, int64_t now_ms, session_output& out) {
  auto read = message.read();
  auto result = read.root();
  using outcome = schema::ConnectResult::Outcome;
  if (result.getOutcome() == outcome::REFUSED) {
    out.notes.emplace_back(session_note::kind::newer_zxid_seen);
    return finish(out);
  }
  if (result.getOutcome() == outcome::INVALID) {
    out.notes.emplace_back(session_note::kind::session_invalid);
    out.to_client = zk::connect_response_frame(0, 0, std::string(), client_sent_read_only_byte_);
    return finish(out);
  }
  figures_.session = result.getSession();
  figures_.timeout_ms = result.getTimeoutMs();
  throttle_.set_timeout(figures_.timeout_ms);
  stage_ = phase::connected;
  out.to_client = zk::connect_response_frame(figures_.timeout_ms, figures_.session, std::string(as_chars(result.getPassword())),
                                             client_sent_read_only_byte_);
  claimed_session_ = figures_.session;
  out.claim = figures_.session;
  out.notes.emplace_back(session_note::kind::established);
  release_held_frames(now_ms, out);
}

void session_core::deliver(const watch::deliveries_message& message, int64_t now_ms, int64_t wall_ms,
                           session_output& out) {
  auto read = message.read();
  auto deliveries = read.root().getItems();
  bool close_after = false;
  const std::size_t waiting_before = arrivals_.size();
  for (uint32_t i = 0; i < deliveries.size(); ++i) {
    auto d = deliveries[i];
    // The connection ends with the reply that closes it (closeSession, a failed auth, an
    // unknown opcode): ZooKeeper writes nothing after it, not even replies to requests the
    // client pipelined behind it.
    if (close_after) {
      out.undelivered.push_back(i);
      continue;
    }
    // ZooKeeper drops an event the receiver may not READ (the watch is still consumed).
    if (d.isEventReadAcl() && !request::allowed(d.getEventReadAcl(), acl::read, *who_)) {
      out.undelivered.push_back(i);
      continue;
    }
    ++figures_.sent;
    const std::string_view frames = as_chars(d.getFrames());
    if (d.isReply() && !arrivals_.empty()) {
      figures_.latency.add(now_ms - arrivals_.front());
      arrivals_.pop_front();
      // The reply's zxid sits after its length and xid.
      if (frames.size() >= 16) figures_.last_zxid = jute::reader(frames.data() + 8, 8).read_long();
    }
    close_after = d.getCloseAfter();
  }
  out.delivered = message;
  if (arrivals_.size() != waiting_before) figures_.last_response_ms = wall_ms;
  if (close_after) finish(out);
  else release_held_frames(now_ms, out);
}

void session_core::handshake_deadline(session_output& out) {
  if (stage_ != phase::handshake && stage_ != phase::connecting) return;
  out.notes.emplace_back(session_note::kind::handshake_overdue);
  finish(out);
}

void session_core::word_answered(std::string text, session_output& out) {
  out.to_client = std::move(text);
  finish(out);
}

void session_core::finish(session_output& out) {
  if (stage_ == phase::closing) return;
  stage_ = phase::closing;
  batcher_.flush(out.requests);
  out.end = figures();
}

admin::connection_view session_core::figures() const {
  auto figures = figures_;
  figures.queued = static_cast<int64_t>(arrivals_.size());
  return figures;
}

}  // namespace rookery::session
