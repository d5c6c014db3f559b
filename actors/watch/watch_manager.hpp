#pragma once
// The watch manager: registers watches, turns each applied change into events for the
// connections watching it, and delivers every reply of the tree. Replies and events share
// this one ordered path, so an event always reaches a connection before any later reply
// that reflects its change.
#include <caf/all.hpp>

#include <unordered_map>

#include "actors/watch/watch_core.hpp"

namespace rookery::watch {

struct watch_manager_state {
  registry watches;
  std::unordered_map<connection_id, caf::actor> connections;
  static inline const char* name = "watch-manager";
};

caf::behavior watch_manager(caf::stateful_actor<watch_manager_state>* self);

}  // namespace rookery::watch
