#pragma once
// The tree: hosts the replicated state machine and the request pipeline of a standalone
// server. Writes go to the log store and are applied when durable; every reply and event
// leaves through the watch manager; session changes go to the session tracker.
#include <caf/all.hpp>

#include <map>
#include <memory>
#include <unordered_map>

#include "actors/request/pipeline_core.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::request {

struct tree_roles {
  caf::actor watch_manager;
  caf::actor tracker;
  caf::actor log;
  caf::actor snapshotter;
};

// The tree and pipeline as recovered from disk at startup, handed to the actor.
struct recovered_state {
  std::unique_ptr<storage::data_tree> tree;
  std::unique_ptr<pipeline_core> pipeline;
};

struct tree_state {
  std::shared_ptr<recovered_state> machine;
  tree_roles roles;
  std::unordered_map<connection_id, caf::actor> connections;
  int32_t snapshot_every = 0;
  int32_t reap_interval_ms = 0;
  int64_t applied_since_image = 0;
  static inline const char* name = "tree";
};

// Figures the four-letter words report about the tree.
struct tree_stats {
  int64_t last_zxid = 0;
  int64_t node_count = 0;
  int64_t data_bytes = 0;
  int64_t sessions = 0;
  int64_t ephemerals = 0;
  int64_t outstanding = 0;
  std::map<int64_t, std::vector<std::string>> ephemerals_by_session;  // only when asked
};

caf::behavior tree_actor(caf::stateful_actor<tree_state>* self, std::shared_ptr<recovered_state> machine,
                         tree_roles roles, server_config config);

}  // namespace rookery::request

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::tree_stats)
