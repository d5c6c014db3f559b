#pragma once
// The request sequencer of a standalone server: keeps each connection's requests in order,
// turns writes into transactions with increasing zxids for the log, and once the log has
// them on disk tells the tree to commit them, followed by the reads that waited behind them
// (read-your-writes, FIFO replies). It never reads the tree: what it must know about sessions
// it learns from the txns it proposes. This is where a ZAB leader's proposals will start.
// Pure: no clock (time is an argument), no I/O.
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/request/pipeline_outputs.hpp"
#include "actors/request/tree_commands.hpp"
#include "actors/request/write_encoder.hpp"

namespace rookery::request {

// A session whose closeSession could not be logged: the tracker tracks it again.
struct session_rearm {
  int64_t session;
  int32_t timeout_ms;
};

struct sequencer_output {
  std::vector<log_entry> to_log;
  tree_commands commands;
  std::vector<session_rearm> rearm;
};

class sequencer_core {
 public:
  // `live_sessions`: id -> timeout of the sessions the recovered tree holds.
  sequencer_core(write_settings settings, int64_t last_zxid, int64_t first_session_id,
                 std::unordered_map<int64_t, int32_t> live_sessions);

  // Reads the requests in place in the session actor's message, which waiting reads keep.
  void submit(const request_batch& batch, int64_t now_ms, sequencer_output& out);
  // `password` is fresh randomness from the caller, used when a new session is created.
  void connect(const connect_request_message& request, const std::string& password, int64_t now_ms,
               sequencer_output& out);
  void connection_closed(connection_id connection);
  // Expiry decided by the session tracker.
  void expire_session(int64_t session, int64_t now_ms, sequencer_output& out);
  // Reaping asks the tree which containers and TTL nodes are due, outside the command stream:
  // one question at a time (false: one is still out), then reap() with its answer proposes
  // their removal, except for paths whose removal was committed while the question was out
  // (the answer may predate it).
  bool begin_reap_scan();
  void reap(const std::vector<std::string>& candidates, int64_t now_ms, sequencer_output& out);
  // The log has everything up to `zxid` on disk: commit it.
  void durable_through(int64_t zxid, sequencer_output& out);
  // The log could not persist txns from `first_zxid` on (map or disk full): they are
  // refused with SYSTEMERROR, never committed, and their zxids are reused. The log commits
  // in order, so everything before `first_zxid` has been reported durable already.
  void abandon_from(int64_t first_zxid, sequencer_output& out);

  int64_t last_proposed_zxid() const { return last_proposed_; }
  std::size_t outstanding() const { return pending_.size(); }

 private:
  struct pending_txn {
    int64_t zxid;
    shared_txn txn;
    connection_id connection;  // 0 for internal txns (expiry, reaping)
    int32_t xid;
    int32_t opcode;
  };
  // A write of the connection (its txn) or a read waiting behind one.
  struct queued {
    int64_t zxid;  // a write's txn
    int64_t session;
    std::optional<request_command> read;
  };
  struct connection_state {
    std::deque<queued> waiting;
    // The identities this connection's requests carried last. They change only with auth,
    // so they travel and are decoded only then.
    std::shared_ptr<const acl::identities> who = std::make_shared<const acl::identities>();
  };

  txn_stamp stamp(int64_t session, int64_t now_ms, const acl::identities* who) const;
  void propose(shared_txn txn, connection_id connection, int32_t xid, int32_t opcode, sequencer_output& out);
  // Forgets what an ended txn held: its session's closing mark, its reaped path.
  void settle(const pending_txn& txn, bool committed);
  void release_reads(connection_state& state, sequencer_output& out);
  bool closing(int64_t session) const { return closing_.count(session) > 0; }

  write_settings settings_;
  int64_t last_proposed_;
  int64_t last_committed_;
  int64_t next_session_id_;
  std::deque<pending_txn> pending_;
  std::unordered_map<connection_id, connection_state> connections_;
  // Sessions created (or proposed) and not closed, with their timeouts.
  std::unordered_map<int64_t, int32_t> sessions_;
  // Sessions whose closeSession is proposed but not committed: they can no longer re-attach.
  std::set<int64_t> closing_;
  std::set<std::string> reaping_;
  bool reap_scan_out_ = false;
  std::set<std::string> reaped_during_scan_;
};

}  // namespace rookery::request
