#pragma once
// Actor shells read the clock here and hand the time to their pure cores.
#include <caf/actor_clock.hpp>

#include <chrono>
#include <cstdint>

namespace rookery {

// Wall-clock milliseconds: txn times become znode ctime/mtime, which clients compare to
// their own clocks.
inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic milliseconds for deadlines (expiry must not jump with the wall clock), read from
// the actor system's clock: the steady clock in production, the manual time a test advances
// under CAF's test coordinator, so deadlines are tested without waiting.
inline int64_t now_ms(const caf::actor_clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

}  // namespace rookery
