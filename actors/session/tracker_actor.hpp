#pragma once
// The session tracker: a shell around tracker_core that reads the clock, ticks, and carries
// out the core's output: expired sessions go to the request sequencer as closeSession
// proposals, kicked connections are closed.
#include <caf/all.hpp>

#include <unordered_map>

#include "actors/session/tracker_core.hpp"

namespace rookery::session {

struct tracker_state {
  tracker_core core{1};
  // The session actor of each connection that claimed a session, to carry out kicks.
  std::unordered_map<connection_id, caf::actor> connections;
  caf::actor sequencer;
  int32_t tick_ms = 0;
  static inline const char* name = "session-tracker";
};

caf::behavior tracker_actor(caf::stateful_actor<tracker_state>* self, int32_t tick_ms);

}  // namespace rookery::session
