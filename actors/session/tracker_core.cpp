#include "actors/session/tracker_core.hpp"

namespace rookery::session {

void tracker_core::opened(int64_t session, int32_t timeout_ms, int64_t now_ms) {
  expiry_.open(session, timeout_ms, now_ms);
}

void tracker_core::rearm(int64_t session, int32_t timeout_ms, int64_t now_ms) {
  expiring_.erase(session);
  expiry_.open(session, timeout_ms, now_ms);
}

tracker_output tracker_core::closed(int64_t session) {
  tracker_output out;
  expiry_.close(session);
  const bool expired = expiring_.erase(session) > 0;
  auto holder = holders_.find(session);
  if (holder == holders_.end()) return out;
  // A client's own close is answered before its connection closes; an expired session's
  // (re-attached) holder is closed here.
  if (expired) out.kick.push_back(holder->second);
  holders_.erase(holder);
  return out;
}

tracker_output tracker_core::claim(int64_t session, connection_id holder) {
  tracker_output out;
  // ZooKeeper closes the previous holder first, even before the password is checked.
  auto [current, first] = holders_.try_emplace(session, holder);
  if (!first && current->second != holder) {
    out.kick.push_back(current->second);
    current->second = holder;
  }
  return out;
}

void tracker_core::release(int64_t session, connection_id holder) {
  // A connection that ends gives up its claim, unless another connection took it over.
  auto current = holders_.find(session);
  if (current != holders_.end() && current->second == holder) holders_.erase(current);
}

void tracker_core::touch(int64_t session, int64_t now_ms) { expiry_.touch(session, now_ms); }

tracker_output tracker_core::tick(int64_t now_ms) {
  tracker_output out;
  for (int64_t session : expiry_.expire(now_ms)) {
    expiring_.insert(session);
    out.expire.push_back(session);
    auto holder = holders_.find(session);
    if (holder == holders_.end()) continue;
    out.kick.push_back(holder->second);
    holders_.erase(holder);
  }
  return out;
}

}  // namespace rookery::session
