#pragma once
// A transaction encoded once: the same immutable words go to the log and to apply, and are
// shared (not copied) between actors.
#include <memory>

#include "runtime/capnp/shared_message.hpp"
#include "schema/txn.capnp.h"

namespace rookery::request {

using txn_buffer = message_buffer;
using shared_txn = std::shared_ptr<const txn_buffer>;
using txn_reader = message_reader<schema::Txn>;

// A txn on its way to the log store.
struct log_entry {
  int64_t zxid;
  shared_txn txn;
};

}  // namespace rookery::request
