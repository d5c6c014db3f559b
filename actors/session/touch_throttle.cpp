#include "actors/session/touch_throttle.hpp"

namespace rookery::session {

touch_throttle::decision touch_throttle::activity(int64_t now_ms) {
  decision d;
  if (!last_touch_ms_ || now_ms - *last_touch_ms_ >= window_ms_) {
    touched(now_ms);
    d.touch_now = true;
  } else if (!touch_pending_) {
    touch_pending_ = true;
    d.touch_in_ms = *last_touch_ms_ + window_ms_ - now_ms;
  }
  return d;
}

}  // namespace rookery::session
