#pragma once
// When a session actor tells the tracker that its session is alive.
//
// A touch per request would double the tracker's traffic, so touches go out at most every
// tenth of the timeout. One that falls inside that window is sent when it ends: the tracker
// may then see the session a little younger than it is (expiry a little late, as
// ZooKeeper's tick rounding allows), never older (expiry early).
#include <cstdint>
#include <optional>

namespace rookery::session {

class touch_throttle {
 public:
  struct decision {
    bool touch_now = false;
    std::optional<int64_t> touch_in_ms;  // a delayed touch to schedule
  };

  void set_timeout(int32_t timeout_ms) { window_ms_ = timeout_ms / 10; }
  // The session was active at `now_ms`.
  decision activity(int64_t now_ms);
  // The delayed touch is due; the caller sends it (touched) unless the connection is closing.
  void delay_over() { touch_pending_ = false; }
  void touched(int64_t now_ms) { last_touch_ms_ = now_ms; }

 private:
  int64_t window_ms_ = 0;
  std::optional<int64_t> last_touch_ms_;  // none yet: the first activity touches at once
  bool touch_pending_ = false;            // a delayed touch is scheduled
};

}  // namespace rookery::session
