#include "runtime/net/client_listener.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "runtime/net/frame_splitter.hpp"

namespace rookery::net {
namespace {

struct framer_state {
  std::unique_ptr<frame_splitter> splitter;
  caf::actor session;
  static inline const char* name = "framer";
};

// Moves bytes between one socket and its session actor, cut into whole frames.
caf::behavior framer(caf::io::stateful_broker<framer_state>* self, caf::io::connection_handle handle,
                     caf::actor session, std::shared_ptr<const server_config> config) {
  self->state.session = session;
  self->state.splitter = std::make_unique<frame_splitter>(config->max_frame_bytes, &known_four_letter_words());
  // The first read takes exactly four bytes: they may be a four-letter word, and reading
  // no further keeps a half-close from `echo srvr | nc` unseen until the answer is out.
  self->configure_read(handle, caf::io::receive_policy::exactly(4));
  self->trigger(handle, 1);
  self->send(session, attach_atom::value, caf::actor_cast<caf::actor>(self));
  auto close = [=] {
    self->flush(handle);
    self->close(handle);
    self->quit();
  };
  return {
      [=](const caf::io::new_data_msg& msg) {
        std::vector<std::string> frames;
        auto status = self->state.splitter->feed(std::string_view(msg.buf.data(), msg.buf.size()), frames);
        if (!frames.empty()) self->send(self->state.session, frames_atom::value, std::move(frames));
        if (status == frame_splitter::status::ok) {
          self->configure_read(handle, caf::io::receive_policy::at_most(64 * 1024));
          self->trigger(handle);
        }
        if (status == frame_splitter::status::four_letter_word) {
          self->send(self->state.session, word_atom::value, self->state.splitter->word());
        } else if (status == frame_splitter::status::bad_length) {
          spdlog::warn("connection from {}: frame length {} out of range, closing", self->remote_addr(handle),
                       self->state.splitter->bad_length());
          self->send(self->state.session, peer_gone_atom::value);
          self->close(handle);
          self->quit();
        }
      },
      [=](write_atom, const std::string& bytes) {
        auto& buffer = self->wr_buf(handle);
        buffer.insert(buffer.end(), bytes.begin(), bytes.end());
        self->flush(handle);
      },
      [=](close_atom) { close(); },
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
        self->monitor(forked);
        self->link_to(forked);
        ++st.per_address[address];
        st.address_of[forked.address()] = address;
      },
      // Answered once the port is bound: startup waits for it.
      [=](stats_atom) { return static_cast<int64_t>(self->state.address_of.size()); },
  };
}

}  // namespace rookery::net
