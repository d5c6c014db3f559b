#include "actors/session/four_letter_answer.hpp"

#include "actors/clock.hpp"
#include "actors/messages.hpp"
#include "actors/request/tree_actor.hpp"
#include "runtime/admin/four_letter.hpp"
#include "runtime/admin/process_figures.hpp"

namespace rookery::session {

void answer_word(caf::stateful_actor<session_actor_state>* self, const std::string& word,
                 std::function<void(std::string)> reply) {
  auto& st = self->state;
  if (!st.core->config().four_letter_words.count(word)) return reply(admin::not_whitelisted(word));
  if (admin::is_static_word(word)) return reply(admin::render(word, admin::server_view{}, st.core->config()));
  if (admin::resets_stats(word)) {
    self->send(st.roles.listener, reset_atom::value);
    return reply(admin::render(word, admin::server_view{}, st.core->config()));
  }
  // Gathers figures from each role in turn, then renders.
  const bool listings = admin::needs_listings(word);
  auto view = std::make_shared<admin::server_view>();
  auto timeout = std::chrono::seconds(5);
  auto give_up = [reply](const caf::error&) { reply(std::string()); };
  auto finish_view = [=] {
    admin::fill_process_figures(*view, self->state.core->config().data_dir, self->state.core->config().log_dir());
    self->request(self->state.roles.log, timeout, stats_atom::value)
        .then(
            [=](const std::pair<uint64_t, uint64_t>& log) {
              view->log_commits = static_cast<int64_t>(log.first);
              view->log_records = static_cast<int64_t>(log.second);
              reply(admin::render(word, *view, self->state.core->config()));
            },
            give_up);
  };
  auto with_sessions = [=] {
    if (!listings) return finish_view();
    self->request(self->state.roles.tracker, timeout, stats_atom::value)
        .then(
            [=](const std::map<int64_t, std::set<int64_t>>& buckets) {
              view->expiry_buckets = buckets;
              finish_view();
            },
            give_up);
  };
  auto with_connections = [=] {
    self->request(self->state.roles.listener, timeout, stats_atom::value)
        .then(
            [=](admin::listener_report& report) {
              view->clients = std::move(report.clients);
              view->retired = report.retired;
              view->uptime_ms = now_ms(self->clock()) - report.started_ms;
              for (const auto& c : view->clients) view->session_of_connection[c.connection] = c.session;
              with_sessions();
            },
            give_up);
  };
  auto with_watches = [=] {
    self->request(self->state.roles.watch_manager, timeout, stats_atom::value, listings)
        .then(
            [=](admin::watch_report& w) {
              view->watch_connections = w.connections;
              view->watch_paths = w.paths;
              view->data_watches = w.data_watches;
              view->total_watches = w.total;
              view->watches_by_connection = std::move(w.by_connection);
              view->watches_by_path = std::move(w.by_path);
              with_connections();
            },
            give_up);
  };
  self->request(st.roles.sequencer, timeout, stats_atom::value, listings)
      .then(
          [=](request::tree_stats& tree) {
            view->last_zxid = tree.last_zxid;
            view->node_count = tree.node_count;
            view->data_bytes = tree.data_bytes;
            view->sessions = tree.sessions;
            view->ephemerals = tree.ephemerals;
            view->outstanding = tree.outstanding;
            view->ephemerals_by_session = std::move(tree.ephemerals_by_session);
            with_watches();
          },
          give_up);
}

}  // namespace rookery::session
