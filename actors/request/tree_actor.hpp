#pragma once
// The tree: hosts the state machine. It carries out the sequencer's ordered commands
// (commit a durable txn, answer a read, re-attach a session); every reply and event leaves
// through the watch manager, connect results go straight to the session actor, session
// changes to the session tracker, and every so many commits the changed nodes go to the
// snapshotter.
#include <caf/all.hpp>

#include <map>
#include <memory>
#include <unordered_map>

#include "actors/request/tree_core.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::request {

struct tree_roles {
  caf::actor watch_manager;
  caf::actor tracker;
  caf::actor snapshotter;
};

// The tree as recovered from disk at startup, handed to the actor.
struct recovered_tree {
  std::unique_ptr<storage::data_tree> tree;
  std::unique_ptr<tree_core> machine;
};

struct tree_state {
  std::shared_ptr<recovered_tree> recovered;
  tree_roles roles;
  std::unordered_map<connection_id, caf::actor> connections;
  int32_t snapshot_every = 0;
  int64_t applied_since_image = 0;
  static inline const char* name = "tree";
};

// Figures the four-letter words report about the tree and the pipeline before it.
struct tree_stats {
  int64_t last_zxid = 0;
  int64_t node_count = 0;
  int64_t data_bytes = 0;
  int64_t sessions = 0;
  int64_t ephemerals = 0;
  int64_t outstanding = 0;
  std::map<int64_t, std::vector<std::string>> ephemerals_by_session;  // only when asked
};

caf::behavior tree_actor(caf::stateful_actor<tree_state>* self, std::shared_ptr<recovered_tree> recovered,
                         tree_roles roles, server_config config);

}  // namespace rookery::request

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::tree_stats)
