#include "runtime/net/client_listener.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <optional>

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "runtime/net/frame_splitter.hpp"
#include "runtime/net/send_backlog.hpp"

namespace rookery::net {
namespace {

struct framer_state {
  enum class phase { first_bytes, streaming, done };
  phase stage = phase::first_bytes;
  std::unique_ptr<frame_splitter> splitter;
  std::optional<send_backlog> backlog;
  // Reply bytes handed to the socket's buffers and not yet written to the kernel.
  uint64_t unsent_bytes = 0;
  bool session_paused = false;  // the session actor holds requests
  bool reading_on = false;      // unlimited reading requested (else one last read at most)
  // The stream stopped reading on its own and no data came since: a resume in the same
  // multiplexer pass may have been lost, so it is repeated (see rearm_reading).
  bool passivated = false;
  int rearms = 0;
  caf::actor session;
  static inline const char* name = "framer";
};

using rearm_atom = caf::atom_constant<caf::atom("rearm")>;

// Moves bytes between one socket and its session actor, cut into whole frames.
//
// Reading is paused and resumed through activity tokens only. CAF 0.17 applies a stream's
// "stop reading" at the end of a multiplexer pass, so halt() followed by trigger() in one pass
// loses the trigger (or leaves the stream believing it reads while it does not). Instead a
// pause grants one last read, after which the stream passivates itself inside that read; a
// resume that may have landed in the same pass as such a passivation is repeated a few times
// (trigger() on a reading stream changes nothing).
caf::behavior framer(caf::io::stateful_broker<framer_state>* self, caf::io::connection_handle handle,
                     caf::actor session, std::shared_ptr<const server_config> config) {
  using phase = framer_state::phase;
  self->state.session = session;
  self->state.splitter = std::make_unique<frame_splitter>(config->max_frame_bytes, &known_four_letter_words());
  self->state.backlog = send_backlog::for_limits(static_cast<uint64_t>(config->max_frame_bytes),
                                                 static_cast<uint64_t>(config->max_outstanding_requests));
  // Transfer reports keep unsent_bytes exact: flush() only schedules the write.
  self->ack_writes(handle, true);
  // Until the first four bytes are in (they may be a four-letter word) the socket is read one
  // read at a time: a half-close from `echo srvr | nc -N` then stays unseen until the answer
  // is out, and the word's trailing newline is taken in the same read, so closing afterwards
  // finds no unread input (which would make the kernel reset the connection and discard the
  // answer at the client: `echo ruok | nc` without -N).
  self->configure_read(handle, caf::io::receive_policy::at_most(64 * 1024));
  self->trigger(handle, 1);
  self->send(session, attach_atom::value, caf::actor_cast<caf::actor>(self));
  auto update_reading = [=] {
    auto& st = self->state;
    if (st.stage != phase::streaming) return;
    const bool wanted = !st.session_paused && !st.backlog->paused();
    if (wanted == st.reading_on) return;
    st.reading_on = wanted;
    if (!wanted) {
      self->trigger(handle, 1);
      return;
    }
    self->trigger(handle);
    if (st.passivated) {
      st.rearms = 0;
      self->delayed_send(self, std::chrono::milliseconds(1), rearm_atom::value);
    }
  };
  // Ends the connection at once, dropping what the client did not read: a graceful close
  // would keep those buffers (and the socket) until the client reads them, which it may never
  // do. Shutting the socket down makes the pending write fail, which frees the stream.
  auto abort_connection = [=] {
    self->wr_buf(handle).clear();
    ::shutdown(static_cast<int>(handle.id()), SHUT_RDWR);
    self->send(self->state.session, peer_gone_atom::value);
    self->close(handle);
    self->quit();
  };
  // After bytes were put in the socket's buffer: send them, and apply flow control.
  auto queued = [=](std::size_t bytes) {
    auto& st = self->state;
    if (bytes == 0) return;
    self->flush(handle);
    st.unsent_bytes += bytes;
    switch (st.backlog->after_queue(st.unsent_bytes)) {
      case send_backlog::action::pause:
        // Requests already read are held back too, or their replies would keep coming.
        self->send(st.session, backlog_atom::value, true);
        update_reading();
        break;
      case send_backlog::action::close:
        spdlog::warn("connection from {}: {} reply bytes unread by the client, closing", self->remote_addr(handle),
                     st.unsent_bytes);
        abort_connection();
        break;
      default: break;
    }
  };
  return {
      [=](const caf::io::new_data_msg& msg) {
        auto& st = self->state;
        if (st.stage == phase::done) return;
        st.passivated = false;
        std::vector<std::string> frames;
        auto status = st.splitter->feed(std::string_view(msg.buf.data(), msg.buf.size()), frames);
        if (!frames.empty()) self->send(st.session, frames_atom::value, std::move(frames));
        if (status == frame_splitter::status::ok && st.stage == phase::first_bytes) {
          if (st.splitter->first_word_undecided()) {
            self->trigger(handle, 1);
          } else {
            st.stage = phase::streaming;
            update_reading();
          }
        }
        if (status == frame_splitter::status::four_letter_word) {
          st.stage = phase::done;
          self->send(st.session, word_atom::value, st.splitter->word());
        } else if (status == frame_splitter::status::bad_length) {
          st.stage = phase::done;
          spdlog::warn("connection from {}: frame length {} out of range, closing", self->remote_addr(handle),
                       st.splitter->bad_length());
          self->send(st.session, peer_gone_atom::value);
          // Closing the scribe inside its own new_data handler crashes CAF 0.17: stop
          // reading now and close from a later message.
          self->halt(handle);
          self->send(self, close_atom::value);
        }
      },
      [=](write_atom, const std::string& bytes) {
        self->wr_buf(handle).insert(self->wr_buf(handle).end(), bytes.begin(), bytes.end());
        queued(bytes.size());
      },
      // Replies and events straight from the watch manager's message: copied once, here.
      [=](write_atom, const watch::deliveries_message& deliveries, const std::vector<uint32_t>& undelivered) {
        auto& buffer = self->wr_buf(handle);
        std::size_t bytes = 0;
        watch::for_each_delivered(deliveries, undelivered, [&](std::string_view frames) {
          buffer.insert(buffer.end(), frames.begin(), frames.end());
          bytes += frames.size();
        });
        queued(bytes);
      },
      [=](const caf::io::data_transferred_msg& msg) {
        auto& st = self->state;
        st.unsent_bytes = msg.remaining;
        if (st.backlog->after_transfer(st.unsent_bytes) != send_backlog::action::resume) return;
        self->send(st.session, backlog_atom::value, false);
        update_reading();
      },
      [=](pause_atom) {
        self->state.session_paused = true;
        update_reading();
      },
      [=](resume_atom) {
        self->state.session_paused = false;
        update_reading();
      },
      [=](rearm_atom) {
        auto& st = self->state;
        if (st.stage != phase::streaming || !st.reading_on || !st.passivated) return;
        self->trigger(handle);
        if (++st.rearms < 5) self->delayed_send(self, std::chrono::milliseconds(1 << (2 * st.rearms)), rearm_atom::value);
      },
      [=](close_atom) {
        self->flush(handle);
        self->close(handle);
        self->quit();
      },
      // Runs inside the read that used up the last token: the stream stops reading.
      [=](const caf::io::connection_passivated_msg&) {
        if (self->state.stage == phase::streaming) self->state.passivated = true;
      },
      [=](const caf::io::connection_closed_msg&) {
        self->send(self->state.session, peer_gone_atom::value);
        self->quit();
      },
  };
}

}  // namespace

caf::behavior client_listener(caf::io::stateful_broker<listener_state>* self,
                              std::shared_ptr<const server_config> config, session::server_roles roles) {
  self->state.config = config;
  self->state.roles = roles;
  self->state.roles.listener = caf::actor_cast<caf::actor>(self);
  self->state.started_ms = now_ms(self->clock());
  auto doorman = self->add_tcp_doorman(config->client_port, config->client_host.c_str(), true);
  if (!doorman) {
    spdlog::critical("cannot listen on {}:{}: {}", config->client_host, config->client_port,
                     self->system().render(doorman.error()));
    self->quit(doorman.error());
    return {};
  }
  spdlog::info("listening for clients on {}:{}", config->client_host, config->client_port);
  self->set_down_handler([=](const caf::down_msg& down) {
    auto& st = self->state;
    st.sessions.erase(down.source);
    auto found = st.address_of.find(down.source);
    if (found == st.address_of.end()) return;
    if (--st.per_address[found->second] <= 0) st.per_address.erase(found->second);
    st.address_of.erase(found);
  });
  return {
      [=](const caf::io::new_connection_msg& msg) {
        auto& st = self->state;
        std::string address = self->remote_addr(msg.handle);
        std::string peer = address + ":" + std::to_string(self->remote_port(msg.handle));
        int32_t limit = st.config->max_connections_per_address;
        if (limit > 0 && st.per_address[address] >= limit) {
          spdlog::warn("refusing connection from {}: {} connections from that address already", peer, limit);
          self->close(msg.handle);
          return;
        }
        uint64_t connection = ++st.next_connection;
        spdlog::info("connection {} accepted from {}", connection, peer);
        // Linked, so shutting the listener down ends every connection with it.
        auto session = self->spawn<caf::linked>(session::session_actor, connection, peer, st.config, st.roles);
        auto forked = self->fork(framer, msg.handle, session, st.config);
        self->monitor(session);
        st.sessions.emplace(session.address(), session);
        self->monitor(forked);
        self->link_to(forked);
        ++st.per_address[address];
        st.address_of[forked.address()] = address;
      },
      [=](closed_atom, const admin::connection_view& gone) {
        auto& retired = self->state.retired;
        retired.received += gone.received;
        retired.sent += gone.sent;
        retired.latency.merge(gone.latency);
      },
      [=](reset_atom) {
        self->state.retired = admin::connection_totals{};
        for (const auto& [address, session] : self->state.sessions) self->send(session, reset_atom::value);
      },
      // Every live connection's figures. Startup also waits for this answer, so it knows
      // the port is bound.
      [=](stats_atom) -> caf::result<admin::listener_report> {
        auto& st = self->state;
        auto report = std::make_shared<admin::listener_report>();
        report->retired = st.retired;
        report->started_ms = st.started_ms;
        if (st.sessions.empty()) return *report;
        auto promise = self->make_response_promise<admin::listener_report>();
        auto waiting = std::make_shared<std::size_t>(st.sessions.size());
        auto one_done = [=]() mutable {
          if (--*waiting == 0) promise.deliver(std::move(*report));
        };
        for (const auto& [address, session] : st.sessions) {
          self->request(session, std::chrono::seconds(2), stats_atom::value)
              .then([=](const admin::connection_view& view) mutable {
                report->clients.push_back(view);
                one_done();
              },
                    [=](const caf::error&) mutable { one_done(); });
        }
        return promise;
      },
  };
}

}  // namespace rookery::net
