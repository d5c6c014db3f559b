#pragma once
// The tree as a state machine: applies the txns the sequencer commits, in zxid order, and
// answers the reads, re-attaches and refusals it sends in between, against the state reached
// at that point of the stream. Pure: commands in, items for the watch manager, connect
// results and session changes out.
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/request/apply_core.hpp"
#include "actors/request/pipeline_outputs.hpp"
#include "actors/request/read_core.hpp"
#include "actors/request/tree_commands.hpp"

namespace rookery::request {

struct tree_output {
  std::vector<outbox_item> items;
  std::vector<connect_result> connects;
  std::vector<session_change> sessions;
};

class tree_core {
 public:
  tree_core(storage::data_tree& tree, read_settings settings, int64_t last_zxid);

  void execute(const tree_commands& commands, tree_output& out);
  void connection_closed(connection_id connection, tree_output& out);
  // Containers and TTL nodes due for removal at `now_ms`; re-checked when their removal
  // is applied.
  std::vector<std::string> reap_candidates(int64_t now_ms) const;
  // Replays a txn read back from the log at startup (no replies). A standalone server's
  // zxids are dense, so a txn that does not follow the last one means records the log lost
  // or hid: std::runtime_error (the ensemble will let a new epoch restart the count).
  void replay(const txn_buffer& txn);

  int64_t last_applied_zxid() const { return last_applied_; }
  // id -> timeout of every live session.
  std::unordered_map<int64_t, int32_t> live_sessions() const;
  const storage::data_tree& tree() const { return tree_; }

 private:
  void commit(const commit_command& command, tree_output& out);
  void serve(schema::ClientRequest::Reader request, const request_command& command, tree_output& out);
  void attach(const attach_command& command, tree_output& out);
  // A reply that is only a header: an error, at the zxid the tree has reached.
  void error_reply(connection_id connection, int32_t xid, int32_t error, bool close_after, tree_output& out) const;

  storage::data_tree& tree_;
  apply_core apply_;
  read_settings settings_;
  int64_t last_applied_;
};

}  // namespace rookery::request
