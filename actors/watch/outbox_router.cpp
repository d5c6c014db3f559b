#include "actors/watch/outbox_router.hpp"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::watch {
namespace {

struct pending_delivery {
  std::string_view frames;
  std::optional<capnp::List<schema::Acl>::Reader> event_read_acl;
  bool close_after = false;
  // In the outbox (a reply), not among the frames built while routing: only those can be
  // referenced by the deliveries, which keep the outbox alive.
  bool in_outbox = false;
};

bool referenced(const pending_delivery& item) { return item.in_outbox && item.frames.size() >= external_blob_bytes; }

deliveries_message encode(const std::vector<pending_delivery>& items,
                          const std::shared_ptr<const message_buffer>& outbox) {
  unsigned words = 4;
  for (const auto& item : items) {
    words += 6 + (referenced(item) ? 0 : static_cast<unsigned>(item.frames.size() / 8));
    if (item.event_read_acl) words += static_cast<unsigned>(item.event_read_acl->totalSize().wordCount) + 1;
  }
  auto message = std::make_unique<capnp::MallocMessageBuilder>(words);
  bool references_outbox = false;
  auto list = message->initRoot<schema::Deliveries>().initItems(static_cast<unsigned>(items.size()));
  for (unsigned i = 0; i < items.size(); ++i) {
    auto out = list[i];
    if (referenced(items[i])) {
      out.adoptFrames(message->getOrphanage().referenceExternalData(as_data(items[i].frames)));
      references_outbox = true;
    } else {
      out.setFrames(as_data(items[i].frames));
    }
    if (items[i].event_read_acl) out.setEventReadAcl(*items[i].event_read_acl);
    else out.setReply();
    out.setCloseAfter(items[i].close_after);
  }
  // Kept alive only by the deliveries that point into it: a slow reader of small replies
  // must not pin another connection's large ones.
  return deliveries_message::keep(std::move(message), references_outbox ? outbox : nullptr);
}

}  // namespace

routing outbox_router::route(const shared_message<schema::Outbox>& message) {
  auto read = message.read();
  auto outbox = read.root();
  routing result;
  std::unordered_map<connection_id, std::vector<pending_delivery>> out;
  std::deque<std::string> built;  // a deque: views into it stay valid as it grows
  std::vector<delivery> fired;
  auto known = [&](connection_id c) { return connections_.count(c) != 0; };

  for (auto item : outbox.getItems()) {
    switch (item.which()) {
      case schema::OutboxItem::REPLY: {
        auto reply = item.getReply();
        if (known(reply.getConnection()))
          out[reply.getConnection()].push_back({as_chars(reply.getFrames()), std::nullopt, reply.getCloseAfter(), true});
        break;
      }
      case schema::OutboxItem::WATCH: {
        auto watch = item.getWatch();
        if (known(watch.getConnection()))
          watches_.add(watch.getConnection(), as_view(watch.getPath()), static_cast<watch_kind>(watch.getKind()));
        break;
      }
      case schema::OutboxItem::TRIGGER: {
        auto change = item.getTrigger();
        fired.clear();
        watches_.trigger(static_cast<event_type>(change.getType()), as_view(change.getPath()), fired);
        if (fired.empty()) break;
        built.push_back(zk::notification_frame(change.getType(), as_view(change.getPath()), change.getZxid()));
        for (const auto& d : fired) out[d.connection].push_back({built.back(), change.getReadAcl(), false});
        break;
      }
      case schema::OutboxItem::QUERY: {
        auto query = item.getQuery();
        const connection_id c = query.getConnection();
        const auto type = static_cast<watcher_type>(query.getType());
        const bool found = query.getRemove() ? watches_.remove(c, as_view(query.getPath()), type)
                                             : watches_.contains(c, as_view(query.getPath()), type);
        if (!known(c)) break;
        built.emplace_back();
        zk::append_header_frame(built.back(), query.getXid(), query.getZxid(), found ? zk::err::ok : zk::err::no_watcher);
        out[c].push_back({built.back(), std::nullopt, false});
        break;
      }
      case schema::OutboxItem::FORGET: {
        const connection_id c = item.getForget();
        watches_.remove_connection(c);
        connections_.erase(c);
        out.erase(c);
        result.forgotten.push_back(c);
        break;
      }
    }
  }
  result.deliveries.reserve(out.size());
  for (const auto& [c, items] : out) result.deliveries.emplace_back(c, encode(items, message.shared_buffer()));
  return result;
}

}  // namespace rookery::watch
