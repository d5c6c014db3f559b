#pragma once
// The log store: appends proposed txns to LMDB. Everything that arrives while a commit is
// in progress waits in the mailbox and goes into the next one, so under load one fsync
// covers many writes (group commit). Runs detached: a commit blocks its thread.
#include <caf/all.hpp>

#include <memory>
#include <vector>

#include "actors/request/txn_buffer.hpp"
#include "storage/log_store.hpp"

namespace rookery::log {

struct log_state {
  // Kept first so it is destroyed last: the store lives inside it.
  std::shared_ptr<storage::lmdb_env> env;
  std::unique_ptr<storage::log_store> store;
  std::vector<request::log_entry> batch;
  bool flush_scheduled = false;
  // After a failed commit the sequencer abandons every txn from the failed one on and reuses
  // their zxids; appends already on their way must not land behind the gap.
  int64_t expected_next = 0;
  caf::actor proposer;  // who appends, and is told what is durable
  uint64_t commits = 0;
  uint64_t records = 0;
  static inline const char* name = "log-store";
};

caf::behavior log_actor(caf::stateful_actor<log_state>* self, std::shared_ptr<storage::lmdb_env> env);

}  // namespace rookery::log
