#include "actors/request/sequencer_actor.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"

namespace rookery::request {
namespace {

using self_ptr = caf::stateful_actor<sequencer_state>*;

// Session passwords guard re-attachment, so they come from a cryptographic generator:
// other clients see their own passwords and must not be able to predict this one.
std::string fresh_password() {
  std::string password(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(password.data()), static_cast<int>(password.size())) != 1)
    throw std::runtime_error("no randomness for a session password");
  return password;
}

// Carries out a step's output: persist, commit and answer, inform the tracker.
void dispatch(self_ptr self, sequencer_output& out) {
  auto& st = self->state;
  if (!out.to_log.empty())
    self->send(st.roles.log, append_atom::value, std::make_shared<const std::vector<log_entry>>(std::move(out.to_log)));
  if (!out.commands.empty())
    self->send(st.roles.tree, commands_atom::value, std::make_shared<const tree_commands>(std::move(out.commands)));
  for (const auto& rearm : out.rearm) self->send(st.roles.tracker, rearm_atom::value, rearm.session, rearm.timeout_ms);
}

}  // namespace

caf::behavior sequencer_actor(caf::stateful_actor<sequencer_state>* self, sequencer_core core,
                              sequencer_roles roles, server_config config) {
  auto& st = self->state;
  st.core = std::make_unique<sequencer_core>(std::move(core));
  st.roles = std::move(roles);
  st.reap_interval_ms = config.container_check_interval_ms;
  self->delayed_send(self, std::chrono::milliseconds(st.reap_interval_ms), reap_atom::value);

  // Each handler runs one step of the core and carries out its output.
  auto step = [self](auto&& run) {
    sequencer_output out;
    run(*self->state.core, out);
    dispatch(self, out);
  };
  return {
      // Passed on in stream order, so the tree knows a connection before its first command.
      [=](hello_atom, connection_id c, caf::actor session) {
        self->send(self->state.roles.tree, hello_atom::value, c, std::move(session));
      },
      [=](request_atom, const request_batch& batch) {
        step([&](sequencer_core& core, sequencer_output& out) { core.submit(batch, wall_ms(), out); });
      },
      [=](connect_atom, const connect_request_message& request) {
        step([&](sequencer_core& core, sequencer_output& out) {
          core.connect(request, fresh_password(), wall_ms(), out);
        });
      },
      [=](bye_atom, connection_id c) {
        self->state.core->connection_closed(c);
        self->send(self->state.roles.tree, bye_atom::value, c);
      },
      [=](expire_atom, int64_t session) {
        step([&](sequencer_core& core, sequencer_output& out) { core.expire_session(session, wall_ms(), out); });
      },
      [=](reap_atom) {
        // The tree finds what is due; the proposals start here, like every other txn.
        if (self->state.core->begin_reap_scan())
          self->request(self->state.roles.tree, caf::infinite, reap_atom::value, wall_ms())
              .then([=](const std::vector<std::string>& candidates) {
                step([&](sequencer_core& core, sequencer_output& out) { core.reap(candidates, wall_ms(), out); });
              });
        self->delayed_send(self, std::chrono::milliseconds(self->state.reap_interval_ms), reap_atom::value);
      },
      [=](durable_atom, int64_t zxid) {
        step([&](sequencer_core& core, sequencer_output& out) { core.durable_through(zxid, out); });
      },
      [=](log_failed_atom, int64_t first_zxid, const std::string& reason) {
        step([&](sequencer_core& core, sequencer_output& out) { core.abandon_from(first_zxid, out); });
        spdlog::error("writes from zxid 0x{:x} refused: {}", first_zxid, reason);
      },
      [=](stats_atom, bool listings) {
        const auto outstanding = static_cast<int64_t>(self->state.core->outstanding());
        return self->delegate(self->state.roles.tree, stats_atom::value, listings, outstanding);
      },
  };
}

}  // namespace rookery::request
