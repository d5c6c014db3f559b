#include "actors/request/outbox_messages.hpp"

#include <deque>

#include "actors/request/capnp_acl.hpp"

namespace rookery::request {
namespace {

static_assert(static_cast<int>(schema::WatchKind::STANDARD_DATA) == static_cast<int>(watch::watch_kind::standard_data) &&
                  static_cast<int>(schema::WatchKind::STANDARD_CHILD) ==
                      static_cast<int>(watch::watch_kind::standard_child) &&
                  static_cast<int>(schema::WatchKind::PERSISTENT) == static_cast<int>(watch::watch_kind::persistent) &&
                  static_cast<int>(schema::WatchKind::PERSISTENT_RECURSIVE) ==
                      static_cast<int>(watch::watch_kind::persistent_recursive),
              "schema WatchKind mirrors watch::watch_kind");

unsigned words_for(std::size_t bytes) { return static_cast<unsigned>((bytes + 7) / 8 + 1); }

// An upper bound of what one item takes, so the builder allocates once.
struct size_estimate {
  unsigned words = 4;
  void operator()(const reply_item& item) {
    words += 8 + (item.frames.size() < external_blob_bytes ? words_for(item.frames.size()) : 0);
  }
  void operator()(const watch_item& item) { words += 8 + words_for(item.registration.path.size()); }
  void operator()(const trigger_item& item) {
    words += 8 + words_for(item.fired.path.size());
    if (item.fired.acl)
      for (const auto& entry : *item.fired.acl)
        words += 4 + words_for(entry.who.scheme.size()) + words_for(entry.who.value.size());
  }
  void operator()(const query_item& item) { words += 8 + words_for(item.query.path.size()); }
  void operator()(const forget_item&) { words += 4; }
};

struct item_writer {
  schema::OutboxItem::Builder out;
  capnp::Orphanage orphanage;
  std::deque<std::string>& kept_frames;  // a deque: its elements never move
  void operator()(reply_item& item) {
    auto reply = out.initReply();
    reply.setConnection(item.connection);
    if (item.frames.size() < external_blob_bytes) {
      reply.setFrames(as_data(item.frames));
    } else {
      // Moving a string this large (never stored inline) keeps its bytes where they are.
      kept_frames.push_back(std::move(item.frames));
      reply.adoptFrames(orphanage.referenceExternalData(as_data(kept_frames.back())));
    }
    reply.setCloseAfter(item.close_after);
  }
  void operator()(const watch_item& item) {
    auto watch = out.initWatch();
    watch.setConnection(item.connection);
    watch.setPath(as_text(item.registration.path));
    watch.setKind(static_cast<schema::WatchKind>(item.registration.kind));
  }
  void operator()(const trigger_item& item) {
    auto fired = out.initTrigger();
    fired.setType(static_cast<int32_t>(item.fired.type));
    fired.setPath(as_text(item.fired.path));
    fired.setZxid(item.zxid);
    if (item.fired.acl) write_acl(fired.initReadAcl(static_cast<unsigned>(item.fired.acl->size())), *item.fired.acl);
  }
  void operator()(const query_item& item) {
    auto query = out.initQuery();
    query.setConnection(item.connection);
    query.setXid(item.query.xid);
    query.setPath(as_text(item.query.path));
    query.setType(static_cast<int32_t>(item.query.type));
    query.setRemove(item.query.remove);
    query.setZxid(item.zxid);
  }
  void operator()(const forget_item& item) { out.setForget(item.connection); }
};

}  // namespace

outbox_message encode_outbox(std::vector<outbox_item>&& items) {
  size_estimate estimate;
  for (const auto& item : items) std::visit(estimate, item);
  auto message = std::make_unique<capnp::MallocMessageBuilder>(estimate.words);
  auto kept_frames = std::make_shared<std::deque<std::string>>();
  auto list = message->initRoot<schema::Outbox>().initItems(static_cast<unsigned>(items.size()));
  for (unsigned i = 0; i < items.size(); ++i)
    std::visit(item_writer{list[i], message->getOrphanage(), *kept_frames}, items[i]);
  return outbox_message::keep(std::move(message), std::move(kept_frames));
}

}  // namespace rookery::request
