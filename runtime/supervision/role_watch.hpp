#pragma once
// Fail-stop for a server's roles. A role that ends with an error (an exception escaped one of
// its handlers) leaves the server unable to answer; carrying on would hang every client that
// needs it. The server is stopped instead, and a restart recovers everything acknowledged
// from disk, as ZooKeeper exits on an internal error.
#include <caf/all.hpp>

#include <functional>
#include <string>
#include <vector>

namespace rookery::supervision {

struct watched_role {
  std::string name;
  caf::actor actor;
};

// Called from the watcher's thread with the role's name and why it ended.
using role_fault_handler = std::function<void(const std::string& role, const std::string& reason)>;

// Spawns an actor that monitors every role. An end by user_shutdown (the server shutting down)
// or a normal end is not a fault. Asked stats_atom, it answers the names of the roles still
// running.
caf::actor watch_roles(caf::actor_system& system, std::vector<watched_role> roles, role_fault_handler on_fault);

}  // namespace rookery::supervision
