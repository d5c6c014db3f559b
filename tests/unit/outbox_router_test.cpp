// The watch manager's core: the tree's outbox (encoded as the tree actor sends it) sorted into
// each connection's deliveries, in order, with watches registered, fired and queried.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "actors/request/capnp_acl.hpp"
#include "actors/request/outbox_messages.hpp"
#include "actors/watch/outbox_router.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

using namespace rookery;
using request::outbox_item;
using watch::connection_id;

namespace {

// One delivery as text: "reply <frames>", "event <frames> acl <perms>:<scheme>:<id>", "+close".
using transcript = std::map<connection_id, std::vector<std::string>>;

transcript route(watch::outbox_router& router, const std::vector<outbox_item>& items,
                 std::vector<connection_id>* forgotten = nullptr) {
  auto copy = items;
  auto routed = router.route(request::encode_outbox(std::move(copy)));
  if (forgotten) *forgotten = routed.forgotten;
  transcript out;
  for (const auto& [c, deliveries] : routed.deliveries) {
    auto read = deliveries.read();
    for (auto d : read.root().getItems()) {
      std::string line = d.isReply() ? "reply " : "event ";
      line += std::string(as_chars(d.getFrames()));
      if (d.isEventReadAcl()) {
        line += " acl";
        for (const auto& e : request::read_acl(d.getEventReadAcl()))
          line += " " + std::to_string(e.perms) + ":" + e.who.scheme + ":" + e.who.value;
      }
      if (d.getCloseAfter()) line += " +close";
      out[c].push_back(line);
    }
  }
  return out;
}

std::string header(int32_t xid, int64_t zxid, int32_t error) {
  std::string frame;
  zk::append_header_frame(frame, xid, zxid, error);
  return frame;
}

request::trigger_item changed(const std::string& path, int64_t zxid, std::shared_ptr<const acl::list> acl) {
  return request::trigger_item{request::trigger{watch::event_type::node_data_changed, path, std::move(acl)}, zxid};
}

const auto digest_only = std::make_shared<const acl::list>(acl::list{{acl::read, {"digest", "u:x"}}});

}  // namespace

TEST_CASE("replies and events reach each connection in outbox order, events only where watched") {
  watch::outbox_router router;
  router.connected(1);
  router.connected(2);
  const std::string event = zk::notification_frame(3, "/a", 5);
  auto got = route(router, {
                               request::watch_item{1, {"/a", watch::watch_kind::standard_data}},
                               request::reply_item{1, "R1"},
                               request::reply_item{2, "R2"},
                               changed("/a", 5, digest_only),
                               request::reply_item{1, "R3", true},
                           });
  CHECK(got == transcript{{1, {"reply R1", "event " + event + " acl 1:digest:u:x", "reply R3 +close"}},
                          {2, {"reply R2"}}});
  // A standard watch fires once.
  CHECK(route(router, {changed("/a", 6, digest_only)}).empty());
}

TEST_CASE("unknown and forgotten connections get nothing and keep no watches") {
  watch::outbox_router router;
  router.connected(1);
  std::vector<connection_id> forgotten;
  auto got = route(router,
                   {
                       request::reply_item{3, "to nobody"},
                       request::watch_item{3, {"/a", watch::watch_kind::persistent}},
                       request::watch_item{1, {"/a", watch::watch_kind::persistent}},
                       request::reply_item{1, "R1"},
                       request::forget_item{1},
                       request::reply_item{1, "late"},
                   },
                   &forgotten);
  CHECK(got.empty());
  CHECK(forgotten == std::vector<connection_id>{1});
  CHECK(router.watches().total_watch_count() == 0);
  CHECK(route(router, {changed("/a", 7, digest_only)}).empty());
}

TEST_CASE("checkWatches and removeWatches are answered from the registry at the query's zxid") {
  watch::outbox_router router;
  router.connected(1);
  auto query = [](int32_t xid, bool remove) {
    return request::query_item{1, request::watch_query{xid, "/a", watch::watcher_type::data, remove}, 9};
  };
  auto got = route(router, {
                               request::watch_item{1, {"/a", watch::watch_kind::standard_data}},
                               query(7, false),
                               query(8, true),
                               query(10, false),
                           });
  CHECK(got == transcript{{1,
                           {"reply " + header(7, 9, zk::err::ok), "reply " + header(8, 9, zk::err::ok),
                            "reply " + header(10, 9, zk::err::no_watcher)}}});
}

TEST_CASE("large reply frames travel from the tree to the session without a copy") {
  watch::outbox_router router;
  router.connected(1);
  std::string large(64 * 1024, 'x');
  const char* original = large.data();
  std::vector<outbox_item> items;  // not an initializer list, which would copy the frames
  items.push_back(request::reply_item{1, std::move(large)});
  items.push_back(request::reply_item{1, "small"});
  watch::routing routed;
  {
    auto outbox = request::encode_outbox(std::move(items));
    auto outbox_read = outbox.read();
    auto in_outbox = outbox_read.root().getItems()[0].getReply().getFrames();
    CHECK(reinterpret_cast<const char*>(in_outbox.begin()) == original);
    routed = router.route(outbox);
  }
  // The outbox is gone here but for the deliveries that point into it.
  REQUIRE(routed.deliveries.size() == 1);
  auto read = routed.deliveries[0].second.read();
  auto delivered = read.root().getItems();
  REQUIRE(delivered.size() == 2);
  CHECK(reinterpret_cast<const char*>(delivered[0].getFrames().begin()) == original);
  CHECK(delivered[0].getFrames().size() == 64 * 1024);
  CHECK(as_chars(delivered[1].getFrames()) == "small");
}
