#pragma once
// The client port: a broker that accepts connections (refusing addresses over their
// limit) and forks one framer broker per connection, paired with a session actor. Brokers
// only move bytes; all protocol work happens in the session actor and behind it.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <map>
#include <memory>

#include "actors/session/session_actor.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::net {

struct listener_state {
  std::shared_ptr<const server_config> config;
  session::server_roles roles;
  uint64_t next_connection = 0;
  std::map<std::string, int32_t> per_address;
  std::map<caf::actor_addr, std::string> address_of;
  std::map<caf::actor_addr, caf::actor> sessions;
  admin::connection_totals retired;
  int64_t started_ms = 0;
  static inline const char* name = "client-listener";
};

caf::behavior client_listener(caf::io::stateful_broker<listener_state>* self,
                              std::shared_ptr<const server_config> config, session::server_roles roles);

}  // namespace rookery::net
