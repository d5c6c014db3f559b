#include "actors/watch/watch_manager.hpp"

#include "actors/messages.hpp"
#include "runtime/admin/four_letter.hpp"

namespace rookery::watch {

caf::behavior watch_manager(caf::stateful_actor<watch_manager_state>* self) {
  return {
      [=](hello_atom, connection_id c, caf::actor session) {
        self->state.router.connected(c);
        self->state.connections[c] = std::move(session);
      },
      [=](outbox_atom, const request::outbox_message& outbox) {
        auto& st = self->state;
        auto routed = st.router.route(outbox);
        for (auto& [c, deliveries] : routed.deliveries) {
          auto session = st.connections.find(c);
          if (session != st.connections.end()) self->send(session->second, deliver_atom::value, std::move(deliveries));
        }
        for (connection_id c : routed.forgotten) st.connections.erase(c);
      },
      [=](stats_atom, bool listings) {
        const auto& w = self->state.router.watches();
        admin::watch_report report;
        report.connections = static_cast<int64_t>(w.data_watch_connection_count());
        report.paths = static_cast<int64_t>(w.data_watch_path_count());
        report.data_watches = static_cast<int64_t>(w.data_watch_count());
        report.total = static_cast<int64_t>(w.total_watch_count());
        if (listings) {
          report.by_connection = w.data_watches_by_connection();
          report.by_path = w.data_watches_by_path();
        }
        return report;
      },
  };
}

}  // namespace rookery::watch
