#include "actors/session/tracker_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"

namespace rookery::session {
namespace {

using self_ptr = caf::stateful_actor<tracker_state>*;

// Carries out a step's output: propose the expiries, close the kicked connections.
void dispatch(self_ptr self, const tracker_output& out) {
  auto& st = self->state;
  for (int64_t session : out.expire) {
    spdlog::info("session 0x{:x} expired", session);
    if (st.sequencer) self->send(st.sequencer, expire_atom::value, session);
  }
  for (connection_id holder : out.kick) {
    auto connection = st.connections.find(holder);
    if (connection != st.connections.end()) self->send(connection->second, kick_atom::value);
  }
}

}  // namespace

caf::behavior tracker_actor(caf::stateful_actor<tracker_state>* self, int32_t tick_ms) {
  self->state.core = tracker_core(tick_ms);
  self->state.tick_ms = tick_ms;
  self->send(self, tick_atom::value);
  return {
      [=](caf::actor sequencer) { self->state.sequencer = std::move(sequencer); },
      [=](opened_atom, int64_t session, int32_t timeout_ms) {
        self->state.core.opened(session, timeout_ms, now_ms(self->clock()));
      },
      [=](rearm_atom, int64_t session, int32_t timeout_ms) {
        self->state.core.rearm(session, timeout_ms, now_ms(self->clock()));
      },
      [=](closed_atom, int64_t session) { dispatch(self, self->state.core.closed(session)); },
      [=](claim_atom, int64_t session, connection_id holder) {
        self->state.connections[holder] = caf::actor_cast<caf::actor>(self->current_sender());
        dispatch(self, self->state.core.claim(session, holder));
      },
      // A connection's release is the last message it sends: once it is gone there is nobody to kick.
      [=](release_atom, int64_t session, connection_id holder) {
        self->state.core.release(session, holder);
        self->state.connections.erase(holder);
      },
      [=](touch_atom, int64_t session) { self->state.core.touch(session, now_ms(self->clock())); },
      [=](tick_atom) {
        dispatch(self, self->state.core.tick(now_ms(self->clock())));
        self->delayed_send(self, std::chrono::milliseconds(self->state.tick_ms), tick_atom::value);
      },
      [=](stats_atom) { return self->state.core.buckets(); },
  };
}

}  // namespace rookery::session
