#pragma once
// One per client connection: carries out its session core (the handshake, the connection's
// identities, keeping its requests in order on their way to the request sequencer, the replies
// and ACL-filtered events it writes back through its framer broker) and answers four-letter
// words.
#include <caf/all.hpp>

#include <memory>
#include <optional>
#include <string>

#include "actors/session/session_core.hpp"
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
  std::optional<session_core> core;  // built by session_actor: CAF default-constructs the state
  server_roles roles;
  caf::actor framer;
  static inline const char* name = "session";
};

caf::behavior session_actor(caf::stateful_actor<session_actor_state>* self, uint64_t connection, std::string peer,
                            std::shared_ptr<const server_config> config, server_roles roles);

}  // namespace rookery::session
