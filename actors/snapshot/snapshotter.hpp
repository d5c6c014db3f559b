#pragma once
// Keeps the on-disk tree image current: the tree hands over the nodes and sessions changed
// since the last batch; one LMDB transaction writes them, and then the log store hears how
// far the image reaches, so it can delete what the image covers. A failed write is merged
// into the next batch, so nothing is skipped.
#include <caf/all.hpp>

#include <map>
#include <memory>
#include <optional>

#include "storage/snapshot_image.hpp"

namespace rookery::snapshot {

struct snapshotter_state {
  // Kept first so it is destroyed last: the store lives inside it.
  std::shared_ptr<storage::lmdb_env> env;
  std::unique_ptr<storage::snapshot_image> image;
  // Changes not yet written: a later batch overrides an earlier one per key.
  std::map<std::string, std::optional<std::string>> nodes;
  std::map<int64_t, std::optional<std::string>> sessions;
  int64_t zxid = 0;
  caf::actor log_store;
  static inline const char* name = "snapshotter";
};

caf::behavior snapshotter(caf::stateful_actor<snapshotter_state>* self, std::shared_ptr<storage::lmdb_env> env,
                          caf::actor log_store);

}  // namespace rookery::snapshot
