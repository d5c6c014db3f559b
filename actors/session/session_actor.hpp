#pragma once
// One per client connection: the handshake, the connection's identities, keeping its
// requests in order on their way to the request sequencer, and writing replies and ACL-filtered events
// back through its framer broker.
#include <caf/all.hpp>

#include <deque>
#include <memory>
#include <string>

#include "actors/acl/acl_core.hpp"
#include "actors/request/client_messages.hpp"
#include "runtime/admin/four_letter.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::session {

struct server_roles {
  caf::actor sequencer;  // the request pipeline's entry
  caf::actor tracker;
  caf::actor watch_manager;
  caf::actor log;
  caf::actor listener;
};

struct session_actor_state {
  enum class phase { handshake, connecting, connected, closing };
  phase stage = phase::handshake;
  uint64_t connection = 0;
  std::string peer;
  std::shared_ptr<const server_config> config;
  server_roles roles;
  caf::actor framer;
  bool client_sent_read_only_byte = false;
  int64_t session = 0;
  int64_t claimed_session = 0;  // the session this connection asked the tracker for
  int32_t timeout_ms = 0;
  std::shared_ptr<const acl::identities> who;
  // Frames read but not passed on yet: pipelined before the session existed, beyond
  // max_outstanding_requests, or while the client leaves its replies unread. While any wait
  // here the framer is asked to stop reading (it stops after at most one more read).
  std::deque<std::string> held_frames;
  bool reading_paused = false;
  bool replies_backlogged = false;  // the client is not reading: pass no more requests on
  std::vector<request::client_request> unsent;  // decoded, sent to the sequencer as one batch
  std::size_t unsent_bytes = 0;
  std::shared_ptr<const acl::identities> identities_sent;  // what the sequencer holds for us
  int64_t last_touch_ms = 0;
  bool touch_pending = false;  // a throttled touch is scheduled
  // Arrival times of requests not yet answered (replies come back in order).
  std::deque<int64_t> arrivals;
  admin::connection_view figures;
  static inline const char* name = "session";
};

caf::behavior session_actor(caf::stateful_actor<session_actor_state>* self, uint64_t connection, std::string peer,
                            std::shared_ptr<const server_config> config, server_roles roles);

}  // namespace rookery::session
