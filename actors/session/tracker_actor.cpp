#include "actors/session/tracker_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"

namespace rookery::session {

caf::behavior tracker_actor(caf::stateful_actor<tracker_state>* self, int32_t tick_ms) {
  self->state.expiry = session_expiry(tick_ms);
  self->state.tick_ms = tick_ms;
  self->send(self, tick_atom::value);
  return {
      [=](caf::actor sequencer) { self->state.sequencer = std::move(sequencer); },
      [=](opened_atom, int64_t session, int32_t timeout_ms) {
        // Also a re-arm after an expiry the log could not persist: the session lives on.
        self->state.expiring.erase(session);
        self->state.expiry.open(session, timeout_ms, now_ms());
      },
      [=](closed_atom, int64_t session) {
        auto& st = self->state;
        st.expiry.close(session);
        auto holder = st.holders.find(session);
        if (holder == st.holders.end()) {
          st.expiring.erase(session);
          return;
        }
        // A client's own close is answered before its connection closes; an expired
        // session's (re-attached) holder is closed here.
        if (st.expiring.erase(session)) self->send(holder->second, kick_atom::value);
        st.holders.erase(holder);
      },
      // A connection that ends gives up its claim, unless another connection took it over.
      [=](release_atom, int64_t session) {
        auto& holders = self->state.holders;
        auto holder = holders.find(session);
        if (holder != holders.end() && holder->second.address() == self->current_sender()) holders.erase(holder);
      },
      // A connection re-attaching a session: ZooKeeper closes the previous holder first,
      // even before the password is checked.
      [=](claim_atom, int64_t session) {
        auto holder = caf::actor_cast<caf::actor>(self->current_sender());
        auto& current = self->state.holders[session];
        if (current && current != holder) self->send(current, kick_atom::value);
        current = holder;
      },
      [=](touch_atom, int64_t session) { self->state.expiry.touch(session, now_ms()); },
      [=](tick_atom) {
        for (int64_t session : self->state.expiry.expire(now_ms())) {
          spdlog::info("session 0x{:x} expired", session);
          self->state.expiring.insert(session);
          if (self->state.sequencer) self->send(self->state.sequencer, expire_atom::value, session);
          auto holder = self->state.holders.find(session);
          if (holder != self->state.holders.end()) {
            self->send(holder->second, kick_atom::value);
            self->state.holders.erase(holder);
          }
        }
        self->delayed_send(self, std::chrono::milliseconds(self->state.tick_ms), tick_atom::value);
      },
      [=](stats_atom) { return self->state.expiry.buckets(); },
  };
}

}  // namespace rookery::session
