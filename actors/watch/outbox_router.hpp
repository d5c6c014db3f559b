#pragma once
// The watch manager's core: reads the tree's outbox in order, keeps the watch registry, and
// sorts replies and fired events into what each connection is sent. One ordered path for
// both is what makes an event reach a connection before any later reply that reflects its
// change. Pure: messages in, messages out.
#include <unordered_set>
#include <utility>
#include <vector>

#include "actors/watch/watch_core.hpp"
#include "runtime/capnp/shared_message.hpp"
#include "schema/outbox.capnp.h"

namespace rookery::watch {

using deliveries_message = shared_message<schema::Deliveries>;

// Calls `write` with the frames of each delivery in order, skipping the positions listed in
// `undelivered` (ascending): what the connection is finally sent.
template <class Write>
void for_each_delivered(const deliveries_message& message, const std::vector<uint32_t>& undelivered, Write&& write) {
  auto read = message.read();
  auto items = read.root().getItems();
  auto skip = undelivered.begin();
  for (uint32_t i = 0; i < items.size(); ++i) {
    if (skip != undelivered.end() && *skip == i) {
      ++skip;
      continue;
    }
    write(as_chars(items[i].getFrames()));
  }
}

struct routing {
  // Each connection's deliveries from one outbox, in outbox order.
  std::vector<std::pair<connection_id, deliveries_message>> deliveries;
  // Connections the outbox said have gone.
  std::vector<connection_id> forgotten;
};

class outbox_router {
 public:
  // Replies and watches are taken only for connections the router knows.
  void connected(connection_id c) { connections_.insert(c); }

  // Large reply frames are referenced in the outbox, which the deliveries keep alive.
  routing route(const shared_message<schema::Outbox>& outbox);

  const registry& watches() const { return watches_; }

 private:
  registry watches_;
  std::unordered_set<connection_id> connections_;
};

}  // namespace rookery::watch
