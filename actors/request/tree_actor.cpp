#include "actors/request/tree_actor.hpp"

#include "actors/messages.hpp"
#include "actors/request/outbox_messages.hpp"
#include "storage/tree_image.hpp"

namespace rookery::request {
namespace {

using self_ptr = caf::stateful_actor<tree_state>*;

// Carries out a step's output: deliver, answer connects, inform the tracker.
void dispatch(self_ptr self, tree_output& out) {
  auto& st = self->state;
  if (!out.items.empty())
    self->send(st.roles.watch_manager, outbox_atom::value, encode_outbox(std::move(out.items)));
  for (const auto& result : out.connects) {
    auto connection = st.connections.find(result.connection);
    if (connection != st.connections.end())
      self->send(connection->second, connect_atom::value, encode_connect_result(result));
  }
  for (const auto& change : out.sessions) {
    if (change.opened) self->send(st.roles.tracker, opened_atom::value, change.session, change.timeout_ms);
    else self->send(st.roles.tracker, closed_atom::value, change.session);
  }
}

void maybe_write_image(self_ptr self, int64_t applied) {
  auto& st = self->state;
  st.applied_since_image += applied;
  if (st.applied_since_image < st.snapshot_every) return;
  st.applied_since_image = 0;
  auto batch = storage::take_image_batch(*st.recovered->tree, st.recovered->machine->last_applied_zxid());
  self->send(st.roles.snapshotter, image_atom::value, std::make_shared<const storage::image_batch>(std::move(batch)));
}

}  // namespace

caf::behavior tree_actor(caf::stateful_actor<tree_state>* self, std::shared_ptr<recovered_tree> recovered,
                         tree_roles roles, server_config config) {
  auto& st = self->state;
  st.recovered = std::move(recovered);
  st.roles = std::move(roles);
  st.snapshot_every = config.snapshot_every_txns;
  // Sessions recovered from disk get a full timeout from now, as ZooKeeper gives them.
  for (const auto& [id, timeout_ms] : st.recovered->machine->live_sessions())
    self->send(st.roles.tracker, opened_atom::value, id, timeout_ms);

  return {
      [=](hello_atom, connection_id c, caf::actor session) {
        self->state.connections[c] = session;
        self->send(self->state.roles.watch_manager, hello_atom::value, c, std::move(session));
      },
      [=](commands_atom, const shared_tree_commands& commands) {
        auto& machine = *self->state.recovered->machine;
        const int64_t before = machine.last_applied_zxid();
        tree_output out;
        machine.execute(*commands, out);
        dispatch(self, out);
        maybe_write_image(self, machine.last_applied_zxid() - before);
      },
      [=](bye_atom, connection_id c) {
        tree_output out;
        self->state.recovered->machine->connection_closed(c, out);
        dispatch(self, out);
        self->state.connections.erase(c);
      },
      [=](reap_atom, int64_t now_ms) { return self->state.recovered->machine->reap_candidates(now_ms); },
      [=](stats_atom, bool listings, int64_t outstanding) {
        const auto& tree = *self->state.recovered->tree;
        tree_stats stats;
        stats.last_zxid = self->state.recovered->machine->last_applied_zxid();
        stats.node_count = static_cast<int64_t>(tree.node_count());
        stats.data_bytes = static_cast<int64_t>(tree.approximate_data_size());
        stats.sessions = static_cast<int64_t>(tree.sessions().size());
        stats.outstanding = outstanding;
        for (const auto& [id, session] : tree.sessions()) {
          stats.ephemerals += static_cast<int64_t>(session.ephemerals.size());
          if (listings && !session.ephemerals.empty())
            stats.ephemerals_by_session[id].assign(session.ephemerals.begin(), session.ephemerals.end());
        }
        return stats;
      },
  };
}

}  // namespace rookery::request
