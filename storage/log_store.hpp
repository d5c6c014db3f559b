#pragma once

#include "storage/lmdb_env.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace rookery::storage {

struct log_record {
  int64_t zxid;
  std::string_view bytes;
};

// The durable transaction log: zxid -> the transaction bytes exactly as the
// leader encoded them. Entries at or below the snapshot image's zxid are
// removed by snapshot_image::write.
class log_store {
 public:
  explicit log_store(lmdb_env& env);

  // Writes the whole batch in one transaction with one commit (one fsync),
  // so a caller may ACK every record in it once this returns. zxids must be
  // strictly increasing and greater than last_zxid(), else
  // std::invalid_argument and nothing is written. An empty batch is a no-op.
  void append(const std::vector<log_record>& batch);

  // Highest zxid ever made durable here (appended, or covered by a snapshot
  // image); 0 for a fresh store. Survives truncation of the log.
  int64_t last_zxid() const;

  // Calls fn for each entry with zxid > `zxid`, ascending. The bytes are
  // valid only during the call (they point into the map).
  void for_each_after(int64_t zxid, const std::function<void(int64_t, std::string_view)>& fn) const;

  // Entries currently held (not counting truncated ones).
  std::size_t size() const;

 private:
  lmdb_env& env_;
};

}  // namespace rookery::storage
