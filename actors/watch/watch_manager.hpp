#pragma once
// The watch manager: hosts the outbox router (the watch registry and the sorting of the
// tree's replies and events into each connection's deliveries) and sends every session actor
// its deliveries.
#include <caf/all.hpp>

#include <unordered_map>

#include "actors/watch/outbox_router.hpp"

namespace rookery::watch {

struct watch_manager_state {
  outbox_router router;
  std::unordered_map<connection_id, caf::actor> connections;
  static inline const char* name = "watch-manager";
};

caf::behavior watch_manager(caf::stateful_actor<watch_manager_state>* self);

}  // namespace rookery::watch
