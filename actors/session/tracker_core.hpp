#pragma once
// The session tracker's policy: expiry deadlines, which connection holds each session, and
// when a holder must be closed (ZooKeeper's SessionTracker plus its connection bookkeeping).
// An expired session becomes a closeSession the sequencer proposes; until the tree applies
// it the session may still be re-attached, and that holder is closed with it.
// Pure: the caller passes the time and carries out the output.
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/session/session_expiry.hpp"

namespace rookery::session {

using connection_id = uint64_t;

struct tracker_output {
  std::vector<connection_id> kick;  // connections to close
  std::vector<int64_t> expire;      // sessions whose closeSession the sequencer should propose
};

class tracker_core {
 public:
  explicit tracker_core(int32_t tick_ms) : expiry_(tick_ms) {}

  // The session lives: created, recovered from disk, or re-attached (with a fresh timeout).
  // A re-attach does not cancel an expiry already on its way: that connection is closed
  // when the close is applied.
  void opened(int64_t session, int32_t timeout_ms, int64_t now_ms);
  // The session's closeSession could not be logged: it lives on, and a later close is the
  // client's own.
  void rearm(int64_t session, int32_t timeout_ms, int64_t now_ms);
  // The tree applied the session's closeSession.
  tracker_output closed(int64_t session);
  // A connection attaches or re-attaches the session.
  tracker_output claim(int64_t session, connection_id holder);
  // The connection ended.
  void release(int64_t session, connection_id holder);
  void touch(int64_t session, int64_t now_ms);
  tracker_output tick(int64_t now_ms);

  // Deadline buckets for the dump four-letter word.
  const std::map<int64_t, std::set<int64_t>>& buckets() const { return expiry_.buckets(); }

 private:
  session_expiry expiry_;
  std::unordered_map<int64_t, connection_id> holders_;
  // Expired sessions whose closeSession is not applied yet: a connection that re-attaches
  // in that window must be closed too once the close is applied.
  std::unordered_set<int64_t> expiring_;
};

}  // namespace rookery::session
