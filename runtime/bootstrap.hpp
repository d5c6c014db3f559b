#pragma once
#include "runtime/config/server_config.hpp"

namespace rookery {

// Recovers the tree from the data dir, spawns every role and serves until SIGTERM or
// SIGINT. Returns the process exit code.
int run_standalone_server(const server_config& config);

}  // namespace rookery
