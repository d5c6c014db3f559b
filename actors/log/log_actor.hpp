#pragma once
// The log store: appends proposed txns to the journal. Everything that arrives while a commit
// is in progress waits in the mailbox and goes into the next one, so under load one fdatasync
// covers many writes (group commit). Runs detached: a commit blocks its thread.
#include <caf/all.hpp>

#include <memory>
#include <vector>

#include "actors/request/txn_buffer.hpp"
#include "storage/txn_journal.hpp"

namespace rookery::log {

struct log_state {
  // Shared only until bootstrap lets go of it: the journal is not thread-safe.
  std::shared_ptr<storage::txn_journal> journal;
  std::vector<request::log_entry> batch;
  std::vector<storage::log_record> records;  // the batch's views, reused between commits
  bool flush_scheduled = false;
  // After a failed commit the sequencer abandons every txn from the failed one on and reuses
  // their zxids; appends already on their way must not land behind the gap.
  int64_t expected_next = 0;
  caf::actor proposer;  // who appends, and is told what is durable
  uint64_t commits = 0;
  uint64_t records_logged = 0;
  static inline const char* name = "log-store";
};

// `last_zxid`: where the recovered state ends (the image may be ahead of the journal).
// The snapshotter reports with covered_atom how far the image reaches, which lets the
// journal delete what it no longer needs.
caf::behavior log_actor(caf::stateful_actor<log_state>* self, std::shared_ptr<storage::txn_journal> journal,
                        int64_t last_zxid);

}  // namespace rookery::log
