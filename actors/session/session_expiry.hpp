#pragma once
// Session expiry deadlines, bucketed by tick like ZooKeeper's ExpiryQueue: a session expires
// between `timeout` and `timeout + tick` after it was last heard from, and a check costs
// only the buckets that are due. Pure: the caller passes the time.
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

namespace rookery::session {

class session_expiry {
 public:
  explicit session_expiry(int32_t tick_ms) : tick_ms_(tick_ms > 0 ? tick_ms : 1) {}

  // Starts tracking (or re-arms with a new timeout, as a reconnect does).
  void open(int64_t session, int32_t timeout_ms, int64_t now_ms);
  void touch(int64_t session, int64_t now_ms);
  void close(int64_t session);
  // Sessions whose deadline has passed; they are no longer tracked.
  std::vector<int64_t> expire(int64_t now_ms);

  bool tracks(int64_t session) const { return sessions_.count(session) != 0; }
  std::size_t size() const { return sessions_.size(); }
  int32_t timeout_of(int64_t session) const;
  // Deadline buckets for the dump four-letter word.
  const std::map<int64_t, std::set<int64_t>>& buckets() const { return buckets_; }

 private:
  struct entry {
    int32_t timeout_ms;
    int64_t deadline_ms;
  };
  int64_t deadline_for(int64_t now_ms, int32_t timeout_ms) const;
  void move_to(int64_t session, entry& e, int64_t deadline_ms);

  int32_t tick_ms_;
  std::unordered_map<int64_t, entry> sessions_;
  std::map<int64_t, std::set<int64_t>> buckets_;
};

}  // namespace rookery::session
