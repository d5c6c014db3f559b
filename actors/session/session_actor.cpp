#include "actors/session/session_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "actors/session/four_letter_answer.hpp"

namespace rookery::session {
namespace {

using self_ptr = caf::stateful_actor<session_actor_state>*;

// ZooKeeper's sessionlessCnxnTimeout: a connection must complete its handshake in time.
constexpr auto handshake_limit = std::chrono::seconds(10);
using handshake_timeout_atom = caf::atom_constant<caf::atom("hstimeout")>;

void write_out(self_ptr self, std::string bytes) {
  if (bytes.empty() || !self->state.framer) return;
  self->send(self->state.framer, write_atom::value, std::move(bytes));
}

void log_note(const session_core& core, const session_note& note) {
  using kind = session_note::kind;
  switch (note.what) {
    case kind::request:
      spdlog::debug("session 0x{:x} request xid={} op={} ({} bytes)", core.session(), note.xid, note.opcode,
                    note.bytes);
      return;
    case kind::headerless_request:
      spdlog::warn("connection {} from {}: request of {} bytes has no header, closing", core.connection(),
                   core.peer(), note.bytes);
      return;
    case kind::malformed_connect:
      spdlog::warn("connection {} from {}: malformed ConnectRequest, closing", core.connection(), core.peer());
      return;
    case kind::auth_failed:
      spdlog::info("connection {}: authentication with scheme '{}' failed", core.connection(), note.scheme);
      return;
    case kind::malformed_auth: spdlog::info("connection {}: malformed auth packet", core.connection()); return;
    case kind::newer_zxid_seen:
      spdlog::info("connection {} from {}: client has seen a newer zxid than ours, closing", core.connection(),
                   core.peer());
      return;
    case kind::session_invalid:
      spdlog::info("connection {} from {}: session expired or invalid", core.connection(), core.peer());
      return;
    case kind::established:
      spdlog::info("session 0x{:x} established for {} (timeout {} ms)", core.session(), core.peer(),
                   core.timeout_ms());
      return;
    case kind::handshake_overdue:
      spdlog::info("connection {} from {}: no handshake within {} s, closing", core.connection(), core.peer(),
                   handshake_limit.count());
      return;
  }
}

// The framer flushes what was written, then closes the socket; the roles forget us.
void shut_down(self_ptr self, const admin::connection_view& figures) {
  auto& st = self->state;
  const session_core& core = *st.core;
  if (st.framer) self->send(st.framer, close_atom::value);
  self->send(st.roles.sequencer, bye_atom::value, core.connection());
  self->send(st.roles.listener, closed_atom::value, figures);
  if (core.claimed_session() != 0)
    self->send(st.roles.tracker, release_atom::value, core.claimed_session(), core.connection());
  if (core.session() != 0)
    spdlog::info("connection {} from {} closed (session 0x{:x})", core.connection(), core.peer(), core.session());
  self->quit();
}

// Carries out a step of the core, in the order session_output lists.
void carry_out(self_ptr self, session_output& out) {
  auto& st = self->state;
  for (const auto& note : out.notes) log_note(*st.core, note);
  if (out.claim) self->send(st.roles.tracker, claim_atom::value, *out.claim, st.core->connection());
  if (out.connect) self->send(st.roles.sequencer, connect_atom::value, std::move(*out.connect));
  if (out.touch) self->send(st.roles.tracker, touch_atom::value, st.core->session());
  if (out.touch_in_ms) self->delayed_send(self, std::chrono::milliseconds(*out.touch_in_ms), touch_atom::value);
  for (auto& batch : out.requests) self->send(st.roles.sequencer, request_atom::value, std::move(batch));
  write_out(self, std::move(out.to_client));
  if (out.delivered && st.framer)
    self->send(st.framer, write_atom::value, std::move(*out.delivered), std::move(out.undelivered));
  // A connection that ends is not read again: the framer closes it.
  if (out.pause_reading && st.framer && !out.end) {
    if (*out.pause_reading) self->send(st.framer, pause_atom::value);
    else self->send(st.framer, resume_atom::value);
  }
  if (out.end) shut_down(self, *out.end);
}

// What went wrong, for the log line.
std::string describe(const std::exception_ptr& fault) {
  try {
    std::rethrow_exception(fault);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

}  // namespace

caf::behavior session_actor(caf::stateful_actor<session_actor_state>* self, uint64_t connection, std::string peer,
                            std::shared_ptr<const server_config> config, server_roles roles) {
  auto& st = self->state;
  st.core.emplace(connection, std::move(peer), std::move(config), wall_ms(), spdlog::should_log(spdlog::level::debug));
  st.roles = std::move(roles);
  self->send(st.roles.sequencer, hello_atom::value, connection, caf::actor_cast<caf::actor>(self));
  self->delayed_send(self, handshake_limit, handshake_timeout_atom::value);
  // A fault while handling one connection ends that connection only. It is shut down as if its
  // client had gone, so the roles forget it, and it ends normally: the listener it is linked to
  // would otherwise go down with it, and every other connection with the listener.
  self->set_exception_handler([](caf::scheduled_actor* actor, std::exception_ptr& fault) -> caf::error {
    auto* self = static_cast<self_ptr>(actor);
    const session_core& core = *self->state.core;
    spdlog::error("connection {} from {}: internal error, closing the connection: {}", core.connection(),
                  core.peer(), describe(fault));
    session_output out;
    self->state.core->finish(out);
    carry_out(self, out);
    return caf::none;
  });

  // Each handler runs one step of the core and carries out its output.
  auto step = [self](auto&& run) {
    session_output out;
    run(*self->state.core, out);
    carry_out(self, out);
  };
  return {
      [=](attach_atom, caf::actor framer) { self->state.framer = std::move(framer); },
      [=](frames_atom, std::vector<std::string>& frames) {
        step([&](session_core& core, session_output& out) { core.read(frames, now_ms(self->clock()), out); });
      },
      [=](backlog_atom, bool backlogged) {
        step([&](session_core& core, session_output& out) { core.replies_backlogged(backlogged, now_ms(self->clock()), out); });
      },
      [=](touch_atom) { step([&](session_core& core, session_output& out) { core.touch_due(now_ms(self->clock()), out); }); },
      [=](word_atom, const std::string& word) {
        self->state.core->answering_word();
        answer_word(self, word, [self, step](std::string text) {
          step([&](session_core& core, session_output& out) { core.word_answered(std::move(text), out); });
        });
      },
      [=](connect_atom, const request::connect_result_message& result) {
        step([&](session_core& core, session_output& out) { core.connected(result, now_ms(self->clock()), out); });
      },
      [=](deliver_atom, const watch::deliveries_message& deliveries) {
        step([&](session_core& core, session_output& out) { core.deliver(deliveries, now_ms(self->clock()), wall_ms(), out); });
      },
      [=](kick_atom) {
        spdlog::info("connection {}: session 0x{:x} closed by the server", self->state.core->connection(),
                     self->state.core->session());
        step([&](session_core& core, session_output& out) { core.finish(out); });
      },
      [=](peer_gone_atom) {
        self->state.framer = nullptr;
        step([&](session_core& core, session_output& out) { core.finish(out); });
      },
      [=](stats_atom) { return self->state.core->figures(); },
      [=](reset_atom) { self->state.core->reset_figures(); },
      [=](handshake_timeout_atom) {
        step([&](session_core& core, session_output& out) { core.handshake_deadline(out); });
      },
  };
}

}  // namespace rookery::session
