#include "actors/session/session_expiry.hpp"

namespace rookery::session {

int64_t session_expiry::deadline_for(int64_t now_ms, int32_t timeout_ms) const {
  // Round up to the next tick, so one bucket collects every session due in that tick.
  return ((now_ms + timeout_ms) / tick_ms_ + 1) * tick_ms_;
}

void session_expiry::move_to(int64_t session, entry& e, int64_t deadline_ms) {
  if (e.deadline_ms == deadline_ms) return;
  if (auto bucket = buckets_.find(e.deadline_ms); bucket != buckets_.end()) {
    bucket->second.erase(session);
    if (bucket->second.empty()) buckets_.erase(bucket);
  }
  e.deadline_ms = deadline_ms;
  buckets_[deadline_ms].insert(session);
}

void session_expiry::open(int64_t session, int32_t timeout_ms, int64_t now_ms) {
  auto [it, inserted] = sessions_.try_emplace(session, entry{timeout_ms, -1});
  it->second.timeout_ms = timeout_ms;
  (void)inserted;
  move_to(session, it->second, deadline_for(now_ms, timeout_ms));
}

void session_expiry::touch(int64_t session, int64_t now_ms) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  move_to(session, it->second, deadline_for(now_ms, it->second.timeout_ms));
}

void session_expiry::close(int64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (auto bucket = buckets_.find(it->second.deadline_ms); bucket != buckets_.end()) {
    bucket->second.erase(session);
    if (bucket->second.empty()) buckets_.erase(bucket);
  }
  sessions_.erase(it);
}

std::vector<int64_t> session_expiry::expire(int64_t now_ms) {
  std::vector<int64_t> expired;
  while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
    for (int64_t session : buckets_.begin()->second) {
      expired.push_back(session);
      sessions_.erase(session);
    }
    buckets_.erase(buckets_.begin());
  }
  return expired;
}

int32_t session_expiry::timeout_of(int64_t session) const {
  auto it = sessions_.find(session);
  return it == sessions_.end() ? 0 : it->second.timeout_ms;
}

}  // namespace rookery::session
