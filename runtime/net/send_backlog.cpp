#include "runtime/net/send_backlog.hpp"

#include <algorithm>

namespace rookery::net {

send_backlog send_backlog::for_limits(uint64_t max_frame_bytes, uint64_t max_outstanding) {
  constexpr uint64_t mib = 1 << 20;
  uint64_t pause = std::max<uint64_t>(4 * mib, 4 * max_frame_bytes);
  uint64_t replies_in_flight = 2 * max_outstanding * max_frame_bytes;
  return send_backlog(pause, pause / 4, std::max({64 * mib, 16 * pause, pause + replies_in_flight}));
}

send_backlog::action send_backlog::after_queue(uint64_t waiting) {
  if (waiting > close_bytes_) return action::close;
  if (!paused_ && waiting > pause_bytes_) {
    paused_ = true;
    return action::pause;
  }
  return action::none;
}

send_backlog::action send_backlog::after_transfer(uint64_t remaining) {
  if (paused_ && remaining < resume_bytes_) {
    paused_ = false;
    return action::resume;
  }
  return action::none;
}

}  // namespace rookery::net
