#pragma once
// Moves the in-memory tree to and from the on-disk image: changed nodes and sessions become
// image records; at startup the records rebuild the tree.
#include "storage/data_tree.hpp"
#include "storage/snapshot_image.hpp"

namespace rookery::storage {

// Encodes everything changed since the last call, as of `zxid` (the last applied txn).
image_batch take_image_batch(data_tree& tree, int64_t zxid);
// Rebuilds `tree` from the image; returns the image's zxid.
int64_t load_image(const snapshot_image& image, data_tree& tree);

}  // namespace rookery::storage
