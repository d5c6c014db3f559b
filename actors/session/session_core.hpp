#pragma once
// The policy of one client connection, which its session actor carries out: the handshake and
// the connection's phases, requests passed on to the request sequencer in order (or held back
// while the server or the client is behind), replies and ACL-filtered events accounted for,
// and the session kept alive at the tracker. Pure: no clock (time is an argument), no I/O.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "actors/request/client_messages.hpp"
#include "actors/session/request_batcher.hpp"
#include "actors/session/touch_throttle.hpp"
#include "actors/watch/outbox_router.hpp"
#include "runtime/admin/four_letter.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::session {

// Something worth a log line: the core has no logger.
struct session_note {
  enum class kind {
    request,             // a frame became a request: xid, opcode, bytes (its body)
    headerless_request,  // closing: bytes (the frame)
    malformed_connect,   // closing
    auth_failed,         // scheme
    malformed_auth,
    newer_zxid_seen,  // the client has seen a newer zxid than ours: closing
    session_invalid,  // expired or unknown: closing after the answer
    established,
    handshake_overdue,  // closing
  };
  explicit session_note(kind what) : what(what) {}

  kind what;
  int32_t xid = 0;
  int32_t opcode = 0;
  std::size_t bytes = 0;
  std::string scheme;
};

// One step's output. The actor carries it out in this order, which keeps the order in which
// the core decided things for each receiver, and where it matters across receivers: a claim
// reaches the tracker before the connect that may open the session, a touch leaves before the
// batch holding the request behind it, the framer writes before it closes.
struct session_output {
  std::vector<session_note> notes;
  // Tell the tracker this connection holds the session.
  std::optional<int64_t> claim;
  std::optional<request::connect_request_message> connect;
  // Tell the tracker the session is alive; ask for touch_due() after touch_in_ms.
  bool touch = false;
  std::optional<int64_t> touch_in_ms;
  std::vector<request::request_batch> requests;
  std::string to_client;
  // Replies and events to write as they sit in the watch manager's message (no copy here):
  // all its frames but those listed (events this connection may not read).
  std::optional<watch::deliveries_message> delivered;
  std::vector<uint32_t> undelivered;
  // Ask the framer to pause (true) or resume (false) reading.
  std::optional<bool> pause_reading;
  // The connection is over, with its final figures: the framer closes after writing, the
  // roles forget the connection.
  std::optional<admin::connection_view> end;
};

class session_core {
 public:
  // answering_word: the first bytes were a four-letter word; its figures are being gathered.
  enum class phase { handshake, connecting, connected, answering_word, closing };

  // `peer` is "ip:port"; `accepted_wall_ms` is when the connection was accepted.
  // `note_requests`: note each request (the actor logs them only at debug level).
  session_core(uint64_t connection, std::string peer, std::shared_ptr<const server_config> config,
               int64_t accepted_wall_ms, bool note_requests);

  // Frames the framer read, in order.
  void read(std::vector<std::string>& frames, int64_t now_ms, session_output& out);
  // The sequencer's answer to the ConnectRequest.
  void connected(const request::connect_result_message& result, int64_t now_ms, session_output& out);
  // Replies and events for this connection, in order; `wall_ms` dates the last response.
  void deliver(const watch::deliveries_message& deliveries, int64_t now_ms, int64_t wall_ms, session_output& out);
  // The framer's send backlog: true while the client leaves its replies unread.
  void replies_backlogged(bool backlogged, int64_t now_ms, session_output& out);
  // The delayed touch an earlier output asked for is due.
  void touch_due(int64_t now_ms, session_output& out);
  // The time allowed for the handshake has passed.
  void handshake_deadline(session_output& out);
  // Ends the connection, once.
  void finish(session_output& out);
  // A four-letter word is answered instead: nothing else is read, and no timer ends the
  // connection while the figures are gathered; word_answered() writes the answer and ends it.
  void answering_word() { stage_ = phase::answering_word; }
  void word_answered(std::string text, session_output& out);

  phase stage() const { return stage_; }
  uint64_t connection() const { return connection_; }
  const std::string& peer() const { return peer_; }
  int64_t session() const { return figures_.session; }
  int32_t timeout_ms() const { return figures_.timeout_ms; }
  const server_config& config() const { return *config_; }
  // The session this connection asked the tracker for; 0 for none.
  int64_t claimed_session() const { return claimed_session_; }
  // This connection's figures for the four-letter words.
  admin::connection_view figures() const;
  void reset_figures() { figures_.reset_counters(); }

 private:
  void on_frame(std::string frame, int64_t now_ms, session_output& out);
  void handle_connect(const std::string& frame, session_output& out);
  void handle_request(std::string frame, int64_t now_ms, session_output& out);
  void authenticate(int32_t xid, std::string_view body, session_output& out);
  // A request of this connection, header filled in.
  request::client_request request_of(int32_t xid, int32_t opcode) const;
  void submit_ready_reply(int32_t xid, std::string frame, bool close_after, session_output& out);
  void touch(int64_t now_ms, session_output& out);
  void note_request(int32_t xid, int32_t opcode, int64_t now_ms);
  bool must_hold() const;
  void regulate_reading(session_output& out);
  void release_held_frames(int64_t now_ms, session_output& out);

  phase stage_ = phase::handshake;
  uint64_t connection_;
  std::string peer_;
  std::shared_ptr<const server_config> config_;
  bool note_requests_;
  bool client_sent_read_only_byte_ = false;
  int64_t claimed_session_ = 0;
  std::shared_ptr<const acl::identities> who_;
  // Frames read but not passed on yet: pipelined before the session existed, beyond
  // max_outstanding_requests, or while the client leaves its replies unread. While any wait
  // here the framer is asked to stop reading (it stops after at most one more read).
  std::deque<std::string> held_frames_;
  bool reading_paused_ = false;
  bool replies_backlogged_ = false;  // the client is not reading: pass no more requests on
  request_batcher batcher_;
  touch_throttle throttle_;
  // Arrival times of requests not yet answered (replies come back in order).
  std::deque<int64_t> arrivals_;
  admin::connection_view figures_;
};

}  // namespace rookery::session
