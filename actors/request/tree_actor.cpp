#include "actors/request/tree_actor.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "storage/tree_image.hpp"

namespace rookery::request {
namespace {

using self_ptr = caf::stateful_actor<tree_state>*;

// Session passwords guard re-attachment, so they come from a cryptographic generator:
// other clients see their own passwords and must not be able to predict this one.
std::string fresh_password() {
  std::string password(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(password.data()), static_cast<int>(password.size())) != 1)
    throw std::runtime_error("no randomness for a session password");
  return password;
}

// Carries out a pipeline step's output: persist, deliver, answer connects, inform the tracker.
void dispatch(self_ptr self, pipeline_output& out) {
  auto& st = self->state;
  if (!out.to_log.empty())
    self->send(st.roles.log, append_atom::value, std::make_shared<const std::vector<log_entry>>(std::move(out.to_log)));
  if (!out.items.empty())
    self->send(st.roles.watch_manager, outbox_atom::value,
               std::make_shared<std::vector<outbox_item>>(std::move(out.items)));
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
  auto batch = storage::take_image_batch(*st.machine->tree, st.machine->pipeline->last_applied_zxid());
  self->send(st.roles.snapshotter, image_atom::value, std::make_shared<const storage::image_batch>(std::move(batch)));
}

}  // namespace

caf::behavior tree_actor(caf::stateful_actor<tree_state>* self, std::shared_ptr<recovered_state> machine,
                         tree_roles roles, server_config config) {
  auto& st = self->state;
  st.machine = std::move(machine);
  st.roles = std::move(roles);
  st.snapshot_every = config.snapshot_every_txns;
  st.reap_interval_ms = config.container_check_interval_ms;
  self->delayed_send(self, std::chrono::milliseconds(st.reap_interval_ms), reap_atom::value);
  // Sessions recovered from disk get a full timeout from now, as ZooKeeper gives them.
  for (const auto& [id, session] : st.machine->tree->sessions())
    self->send(st.roles.tracker, opened_atom::value, id, session.timeout_ms);

  return {
      [=](hello_atom, connection_id c, caf::actor session) {
        self->state.connections[c] = session;
        self->send(self->state.roles.watch_manager, hello_atom::value, c, std::move(session));
      },
      [=](request_atom, const request_batch& batch) {
        pipeline_output out;
        int64_t now = wall_ms();
        auto message = batch.read();
        for (auto request : message.root().getRequests()) self->state.machine->pipeline->submit(request, now, out);
        dispatch(self, out);
      },
      [=](connect_atom, const connect_request_message& request) {
        pipeline_output out;
        auto message = request.read();
        self->state.machine->pipeline->connect(message.root(), fresh_password(), wall_ms(), out);
        dispatch(self, out);
      },
      [=](bye_atom, connection_id c) {
        pipeline_output out;
        self->state.machine->pipeline->connection_closed(c, out);
        dispatch(self, out);
        self->state.connections.erase(c);
      },
      [=](expire_atom, int64_t session) {
        pipeline_output out;
        self->state.machine->pipeline->expire_session(session, wall_ms(), out);
        dispatch(self, out);
      },
      [=](reap_atom) {
        pipeline_output out;
        self->state.machine->pipeline->reap(wall_ms(), out);
        dispatch(self, out);
        self->delayed_send(self, std::chrono::milliseconds(self->state.reap_interval_ms), reap_atom::value);
      },
      [=](durable_atom, int64_t zxid) {
        auto& pipeline = *self->state.machine->pipeline;
        int64_t before = pipeline.last_applied_zxid();
        pipeline_output out;
        pipeline.durable_through(zxid, out);
        dispatch(self, out);
        maybe_write_image(self, pipeline.last_applied_zxid() - before);
      },
      [=](log_failed_atom, int64_t first_zxid, const std::string& reason) {
        pipeline_output out;
        self->state.machine->pipeline->abandon_from(first_zxid, out);
        dispatch(self, out);
        spdlog::error("writes from zxid 0x{:x} refused: {}", first_zxid, reason);
      },
      [=](stats_atom, bool listings) {
        const auto& tree = *self->state.machine->tree;
        tree_stats stats;
        stats.last_zxid = self->state.machine->pipeline->last_applied_zxid();
        stats.node_count = static_cast<int64_t>(tree.node_count());
        stats.data_bytes = static_cast<int64_t>(tree.approximate_data_size());
        stats.sessions = static_cast<int64_t>(tree.sessions().size());
        stats.outstanding = static_cast<int64_t>(self->state.machine->pipeline->outstanding());
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
