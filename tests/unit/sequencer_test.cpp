// The seam between the request sequencer and the tree: what the sequencer puts in the one
// ordered command stream, and when. The whole pipeline's behaviour (both cores back to back)
// is pipeline_test's; these cases look at the stream itself.
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "actors/request/sequencer_core.hpp"
#include "actors/request/tree_core.hpp"
#include "runtime/zk/protocol.hpp"
#include "tests/unit/support/reply_frames.hpp"
#include "tests/unit/support/request_bodies.hpp"

using namespace rookery;
using namespace rookery::test;
using request::connection_id;
using request::sequencer_output;
using request::tree_commands;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;
constexpr int64_t live_session = 0x0100000000000001;
constexpr int64_t first_new_session = 0x0200000000000001;
const std::string password(16, 'p');

request::client_request request_of(connection_id connection, int32_t xid, int32_t opcode, std::string body) {
  request::client_request r;
  r.connection = connection;
  r.session = live_session;
  r.xid = xid;
  r.opcode = opcode;
  r.body = std::move(body);
  r.who = std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}});
  return r;
}

request::request_batch batch_of(const std::vector<request::client_request>& requests) {
  std::shared_ptr<const acl::identities> none_sent;
  return request::encode_request_batch(requests, none_sent);
}

request::connect_request_message connect_of(connection_id connection, int64_t session, int64_t last_zxid_seen) {
  request::connect_request r;
  r.connection = connection;
  r.session = session;
  r.password = password;
  r.timeout_ms = 5000;
  r.last_zxid_seen = last_zxid_seen;
  return request::encode_connect_request(r);
}

// The stream as text: "commit 1 c1", "request 1 c1", "refuse c1", "attach", "refused c1".
std::vector<std::string> stream(const tree_commands& commands) {
  std::vector<std::string> out;
  for (const auto& command : commands) {
    if (auto c = std::get_if<request::commit_command>(&command))
      out.push_back("commit " + std::to_string(c->zxid) + " c" + std::to_string(c->connection));
    else if (auto r = std::get_if<request::request_command>(&command))
      out.push_back("request " + std::to_string(r->index) + (r->session_closing ? " closing" : ""));
    else if (auto f = std::get_if<request::refuse_command>(&command))
      out.push_back("refuse c" + std::to_string(f->connection) + " " + std::to_string(f->error));
    else if (std::holds_alternative<request::attach_command>(command))
      out.push_back("attach");
    else if (auto n = std::get_if<request::connect_refused_command>(&command))
      out.push_back("refused c" + std::to_string(n->connection));
  }
  return out;
}

using strings = std::vector<std::string>;

request::sequencer_core fresh_sequencer() {
  return request::sequencer_core(request::write_settings{}, 0, first_new_session, {{live_session, 5000}});
}

}  // namespace

TEST_CASE("a read waits behind its connection's write and follows its commit in the stream") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  auto batch = batch_of({request_of(1, 1, zk::op::create, create_body("/a")),
                         request_of(1, 2, zk::op::get_data, watch_body("/a"))});
  sequencer.submit(batch, t0, out);
  REQUIRE(out.to_log.size() == 1);
  CHECK(out.to_log[0].zxid == 1);
  CHECK(out.commands.empty());
  CHECK(sequencer.outstanding() == 1);

  // Another connection's read does not wait for it.
  sequencer_output other;
  sequencer.submit(batch_of({request_of(2, 1, zk::op::exists, watch_body("/a"))}), t0, other);
  CHECK(stream(other.commands) == strings{"request 0"});

  sequencer_output durable;
  sequencer.durable_through(1, durable);
  CHECK(stream(durable.commands) == strings{"commit 1 c1", "request 1"});
  // The read is the client's own bytes, passed on in place.
  auto& read = std::get<request::request_command>(durable.commands[1]);
  CHECK(&read.batch.buffer() == &batch.buffer());
  REQUIRE(read.who);
  CHECK(*read.who == acl::identities{{"ip", "127.0.0.1"}});
  CHECK(sequencer.outstanding() == 0);
}

TEST_CASE("a read released after its session's close was proposed is marked closing") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  sequencer.submit(batch_of({request_of(1, 1, zk::op::create, create_body("/a")),
                             request_of(1, 2, zk::op::get_data, watch_body("/a"))}),
                   t0, out);
  sequencer.expire_session(live_session, t0, out);
  sequencer.expire_session(live_session, t0, out);  // already closing: proposed once
  REQUIRE(out.to_log.size() == 2);

  sequencer_output durable;
  sequencer.durable_through(2, durable);
  CHECK(stream(durable.commands) == strings{"commit 1 c1", "request 1 closing", "commit 2 c0"});

  // Closed: no second expiry, and a re-attach is the tree's to refuse (session gone).
  sequencer_output after;
  sequencer.expire_session(live_session, t0, after);
  sequencer.connect(connect_of(3, live_session, 2), password, t0, after);
  CHECK(after.to_log.empty());
  CHECK(stream(after.commands) == strings{"attach"});
  CHECK_FALSE(std::get<request::attach_command>(after.commands[0]).session_closing);
}

TEST_CASE("a writer that has gone is not answered") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  sequencer.submit(batch_of({request_of(1, 1, zk::op::create, create_body("/a"))}), t0, out);
  sequencer.connection_closed(1);
  sequencer.durable_through(1, out);
  CHECK(stream(out.commands) == strings{"commit 1 c0"});
}

TEST_CASE("new sessions get ids no live or proposed session has, and lose them when refused") {
  request::sequencer_core sequencer(request::write_settings{}, 0, live_session, {{live_session, 5000}});
  sequencer_output out;
  sequencer.connect(connect_of(1, 0, 0), password, t0, out);
  sequencer.connect(connect_of(2, 0, 0), password, t0, out);
  REQUIRE(out.to_log.size() == 2);
  auto session_of = [](const request::log_entry& entry) {
    request::txn_reader reader(*entry.txn);
    return reader.root().getSession();
  };
  CHECK(session_of(out.to_log[0]) == live_session + 1);
  CHECK(session_of(out.to_log[1]) == live_session + 2);

  // The log fails: both connects are refused and their ids are free again.
  sequencer_output failed;
  sequencer.abandon_from(1, failed);
  CHECK(stream(failed.commands) == strings{"refused c1", "refused c2"});
  CHECK(sequencer.last_proposed_zxid() == 0);
  sequencer_output none;
  sequencer.expire_session(live_session + 1, t0, none);
  CHECK(none.to_log.empty());

  // A client that has seen more than was committed is left to the tree to refuse.
  sequencer_output ahead;
  sequencer.connect(connect_of(3, 0, 7), password, t0, ahead);
  CHECK(ahead.to_log.empty());
  CHECK(stream(ahead.commands) == strings{"attach"});
}

TEST_CASE("an expiry the log could not persist is handed back to the tracker") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  sequencer.expire_session(live_session, t0, out);
  sequencer.submit(batch_of({request_of(1, 1, zk::op::create, create_body("/a")),
                             request_of(1, 2, zk::op::exists, watch_body("/a"))}),
                   t0, out);
  sequencer_output failed;
  sequencer.abandon_from(1, failed);
  REQUIRE(failed.rearm.size() == 1);
  CHECK(failed.rearm[0].session == live_session);
  CHECK(failed.rearm[0].timeout_ms == 5000);
  CHECK(stream(failed.commands) ==
        strings{"refuse c1 " + std::to_string(zk::err::system_error), "request 1"});
  // No longer closing: the tracker may expire it again.
  sequencer_output again;
  sequencer.expire_session(live_session, t0, again);
  CHECK(again.to_log.size() == 1);
}

// A sequencer and a tree back to back, with one session open on connection 1.
struct empty_server {
  storage::data_tree tree;
  request::tree_core machine{tree, request::read_settings{}, 0};
  request::sequencer_core sequencer{request::write_settings{}, 0, first_new_session, {}};
  int64_t session = 0;

  empty_server() {
    sequencer_output opened;
    sequencer.connect(connect_of(1, 0, 0), password, t0, opened);
    sequencer.durable_through(1, opened);
    request::tree_output connected;
    machine.execute(opened.commands, connected);
    REQUIRE(connected.connects.size() == 1);
    CHECK(connected.connects[0].outcome == request::connect_result::status::accepted);
    CHECK(connected.connects[0].password == password);
    session = connected.connects[0].session;
  }
};

TEST_CASE("the tree answers each command against the state it has reached") {
  empty_server s;
  auto& [tree, machine, sequencer, session] = s;

  auto on_session = [&](request::client_request r) {
    r.session = session;
    return r;
  };
  // getData before and after the create, in one stream: NONODE, then the node.
  sequencer_output out;
  sequencer.submit(batch_of({on_session(request_of(2, 1, zk::op::get_data, watch_body("/a")))}), t0, out);
  sequencer.submit(batch_of({on_session(request_of(1, 1, zk::op::create, create_body("/a"))),
                             on_session(request_of(1, 2, zk::op::get_data, watch_body("/a")))}),
                   t0, out);
  sequencer.durable_through(2, out);
  request::tree_output answered;
  machine.execute(out.commands, answered);
  std::vector<std::pair<int32_t, int32_t>> replies;  // xid, err per reply
  for (const auto& item : answered.items)
    if (auto reply = std::get_if<request::reply_item>(&item))
      for (const auto& f : frames_of(reply->frames)) replies.emplace_back(f.xid, f.err);
  CHECK(replies == std::vector<std::pair<int32_t, int32_t>>{{1, zk::err::no_node}, {1, zk::err::ok}, {2, zk::err::ok}});
  CHECK(machine.last_applied_zxid() == 2);
  CHECK(tree.find("/a") != nullptr);
}

TEST_CASE("a client's own close the log could not persist hands the session back to the tracker") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  sequencer.submit(batch_of({request_of(1, 1, zk::op::close_session, ""),
                             request_of(1, 2, zk::op::exists, watch_body("/a"))}),
                   t0, out);
  // The tracker expires the session meanwhile: the close already on its way covers it.
  sequencer.expire_session(live_session, t0, out);
  REQUIRE(out.to_log.size() == 1);

  sequencer_output failed;
  sequencer.abandon_from(1, failed);
  // The tracker may have stopped tracking it, so it is re-armed, and the read released
  // behind the refused close no longer counts the session as closing.
  REQUIRE(failed.rearm.size() == 1);
  CHECK(failed.rearm[0].session == live_session);
  CHECK(stream(failed.commands) == strings{"refuse c1 " + std::to_string(zk::err::system_error), "request 1"});
}

TEST_CASE("a reap committed while the tree was being asked is not proposed again") {
  auto sequencer = fresh_sequencer();
  sequencer_output out;
  REQUIRE(sequencer.begin_reap_scan());
  sequencer.reap({"/c"}, t0, out);
  REQUIRE(out.to_log.size() == 1);

  // The next question goes out while the removal of /c is pending; the tree answers before
  // it applies it, the answer arrives after the commit.
  REQUIRE(sequencer.begin_reap_scan());
  CHECK_FALSE(sequencer.begin_reap_scan());  // one question at a time
  sequencer.durable_through(1, out);
  sequencer_output stale;
  sequencer.reap({"/c", "/d"}, t0, stale);
  REQUIRE(stale.to_log.size() == 1);
  request::txn_reader reader(*stale.to_log[0].txn);
  CHECK(as_view(reader.root().getSingle().getReap()) == "/d");

  // A later answer that still lists /c is believed: it was re-created and emptied again.
  REQUIRE(sequencer.begin_reap_scan());
  sequencer_output later;
  sequencer.reap({"/c"}, t0, later);
  CHECK(later.to_log.size() == 1);
}

TEST_CASE("a batch of thousands of reads is served in one pass") {
  empty_server s;

  // Past what one reader may traverse if the request list were read once per request.
  std::vector<request::client_request> reads;
  for (int32_t xid = 1; xid <= 20000; ++xid) {
    auto r = request_of(1, xid, zk::op::exists, watch_body("/zookeeper"));
    r.session = s.session;
    reads.push_back(std::move(r));
  }
  sequencer_output out;
  s.sequencer.submit(batch_of(reads), t0, out);
  request::tree_output answered;
  s.machine.execute(out.commands, answered);
  CHECK(answered.items.size() == reads.size());
}
