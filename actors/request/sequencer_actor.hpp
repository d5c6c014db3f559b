#pragma once
// The request sequencer: every session actor's requests and connects enter the pipeline
// here. Writes become txns for the log store; what the log reports durable is committed to
// the tree, in one ordered command stream with the reads that waited for it. Expiries from
// the session tracker and the periodic reaping of containers and TTL nodes become txns too.
#include <caf/all.hpp>

#include <memory>

#include "actors/request/sequencer_core.hpp"
#include "runtime/config/server_config.hpp"

namespace rookery::request {

struct sequencer_roles {
  caf::actor tree;
  caf::actor log;
  caf::actor tracker;
};

struct sequencer_state {
  std::unique_ptr<sequencer_core> core;
  sequencer_roles roles;
  int32_t reap_interval_ms = 0;
  static inline const char* name = "sequencer";
};

caf::behavior sequencer_actor(caf::stateful_actor<sequencer_state>* self, sequencer_core core,
                              sequencer_roles roles, server_config config);

}  // namespace rookery::request
