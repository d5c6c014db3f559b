#pragma once

#include "storage/lmdb_env.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rookery::storage {

// What changed in the tree and session table between the image's zxid and
// `zxid`, as final states: a path (or session) should appear in at most one
// of its two lists. Erasing an absent path or session is not an error.
struct image_batch {
  int64_t zxid;
  std::vector<std::pair<std::string, std::string>> upserted_nodes;  // path -> record
  std::vector<std::string> erased_nodes;
  std::vector<std::pair<int64_t, std::string>> upserted_sessions;  // session id -> record
  std::vector<int64_t> erased_sessions;
};

// On-disk image of the tree and the session table at one zxid, updated
// incrementally. The image and the log live in the same lmdb_env, so moving
// the image forward and dropping the log entries it now covers is one
// atomic commit: after a crash there is always image + log = every durable
// transaction, with no gap and no double-apply.
//
// Paths of any length are accepted; paths longer than LMDB's key limit
// (511 bytes) are stored under a hashed key with the path in the value.
class snapshot_image {
 public:
  explicit snapshot_image(lmdb_env& env);

  // One write transaction: applies the batch, deletes every log entry with
  // zxid <= batch.zxid, and records batch.zxid as the image zxid (and as the
  // log's last zxid if the log was behind it, e.g. after a SNAP from the
  // leader). batch.zxid below zxid() throws std::invalid_argument.
  void write(const image_batch& batch);

  // 0 for a fresh store.
  int64_t zxid() const;

  // Each runs in one read transaction, so it sees one consistent image even
  // while writes continue. Order is unspecified (nodes come roughly in path
  // byte order, long paths last-ish; do not rely on it). The views are valid
  // only during the call.
  void for_each_node(const std::function<void(std::string_view path, std::string_view record)>& fn) const;
  void for_each_session(const std::function<void(int64_t id, std::string_view record)>& fn) const;

  std::size_t node_count() const;
  std::size_t session_count() const;

 private:
  lmdb_env& env_;
};

}  // namespace rookery::storage
