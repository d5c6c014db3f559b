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
// incrementally. Together with the journal (txn_journal) it holds every
// durable transaction: recovery loads the image and replays the journal's
// records above the image's zxid, so journal segments the image covers may
// be deleted once an image write has committed, and a crash in between only
// leaves records that replay skips.
//
// Paths of any length are accepted; paths longer than LMDB's key limit
// (511 bytes) are stored under a hashed key with the path in the value.
class snapshot_image {
 public:
  explicit snapshot_image(lmdb_env& env);

  // One write transaction: applies the batch and records batch.zxid as the
  // image zxid. batch.zxid below zxid() throws std::invalid_argument.
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
