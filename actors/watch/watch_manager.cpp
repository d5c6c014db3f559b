#include "actors/watch/watch_manager.hpp"

#include "actors/messages.hpp"
#include "runtime/admin/four_letter.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::watch {
namespace {

struct outbox_visitor {
  watch_manager_state& st;
  std::unordered_map<connection_id, std::vector<outgoing>>& out;
  std::vector<watch::delivery> fired;

  bool known(connection_id c) const { return st.connections.count(c) != 0; }

  void operator()(request::reply_item& item) {
    if (known(item.connection)) out[item.connection].push_back({std::move(item.frames), nullptr, item.close_after});
  }
  void operator()(request::watch_item& item) {
    if (known(item.connection)) st.watches.add(item.connection, item.registration.path, item.registration.kind);
  }
  void operator()(request::trigger_item& item) {
    fired.clear();
    st.watches.trigger(item.fired.type, item.fired.path, fired);
    if (fired.empty()) return;
    std::string frame = zk::notification_frame(static_cast<int32_t>(item.fired.type), item.fired.path, item.zxid);
    for (const auto& d : fired) out[d.connection].push_back({frame, item.fired.acl, false});
  }
  void operator()(request::query_item& item) {
    const auto& q = item.query;
    bool found = q.remove ? st.watches.remove(item.connection, q.path, q.type)
                          : st.watches.contains(item.connection, q.path, q.type);
    std::string frame;
    zk::append_header_frame(frame, q.xid, item.zxid, found ? zk::err::ok : zk::err::no_watcher);
    if (known(item.connection)) out[item.connection].push_back({std::move(frame), nullptr, false});
  }
  void operator()(request::forget_item& item) {
    st.watches.remove_connection(item.connection);
    st.connections.erase(item.connection);
    out.erase(item.connection);
  }
};

}  // namespace

caf::behavior watch_manager(caf::stateful_actor<watch_manager_state>* self) {
  return {
      [=](hello_atom, connection_id c, caf::actor session) { self->state.connections[c] = std::move(session); },
      [=](outbox_atom, const shared_outbox& items) {
        std::unordered_map<connection_id, std::vector<outgoing>> out;
        outbox_visitor visitor{self->state, out, {}};
        for (auto& item : *items) std::visit(visitor, item);
        for (auto& [c, deliveries] : out) {
          auto session = self->state.connections.find(c);
          if (session != self->state.connections.end())
            self->send(session->second, deliver_atom::value, std::move(deliveries));
        }
      },
      [=](stats_atom, bool listings) {
        const auto& w = self->state.watches;
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
