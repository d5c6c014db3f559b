#pragma once
// The session tracker: owns expiry deadlines and which connection currently holds each
// session. Expiry becomes a closeSession txn proposed by the request sequencer; the holder is closed.
#include <caf/all.hpp>

#include <unordered_map>
#include <unordered_set>

#include "actors/session/session_expiry.hpp"

namespace rookery::session {

struct tracker_state {
  session_expiry expiry{1};
  std::unordered_map<int64_t, caf::actor> holders;
  // Expired sessions whose closeSession is not applied yet: a connection that re-attaches
  // in that window must be closed too once the close is applied.
  std::unordered_set<int64_t> expiring;
  caf::actor sequencer;
  int32_t tick_ms = 0;
  static inline const char* name = "session-tracker";
};

caf::behavior tracker_actor(caf::stateful_actor<tracker_state>* self, int32_t tick_ms);

}  // namespace rookery::session
