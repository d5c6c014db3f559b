// The session actor's core: what a connection does with a frame in each phase, when it holds
// frames back and asks its framer to stop reading, how its requests are batched for the
// sequencer, how replies and ACL-filtered events are accounted for, and when the tracker is
// told the session is alive.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/request/capnp_acl.hpp"
#include "actors/session/session_core.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/handshake.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

using namespace rookery;
using session::session_core;
using session::session_note;
using session::session_output;
using phase = session_core::phase;
using outcome = request::connect_result::status;

namespace {

constexpr uint64_t connection = 7;
constexpr int64_t session_id = 0x0100000000000001;
constexpr int32_t timeout_ms = 10000;
constexpr int64_t window_ms = timeout_ms / 10;
constexpr int64_t t0 = 5'000'000;          // steady clock
constexpr int64_t wall = 1'700'000'000'000;  // wall clock
const std::string password(16, 'p');

// What the connection is finally sent after a step: the core's own bytes, then the
// deliveries it lets through.
std::string written(const session_output& out) {
  std::string bytes = out.to_client;
  if (out.delivered)
    watch::for_each_delivered(*out.delivered, out.undelivered, [&](std::string_view frames) { bytes += frames; });
  return bytes;
}

// A request frame as the framer passes it on: xid, opcode, then the record.
std::string request_frame(int32_t xid, const std::string& body = "record", int32_t opcode = zk::op::get_data) {
  std::string frame;
  jute::writer w(frame);
  w.write_int(xid);
  w.write_int(opcode);
  return frame + body;
}

std::string connect_frame(int64_t session = 0) {
  std::string frame;
  jute::writer w(frame);
  w.write_int(0);  // protocol version
  w.write_long(0);  // last zxid seen
  w.write_int(timeout_ms);
  w.write_long(session);
  w.write_buffer(std::string_view(session ? password : std::string(16, '\0')));
  w.write_bool(false);
  return frame;
}

std::string auth_frame(int32_t xid, const std::string& scheme, const std::string& auth) {
  std::string body;
  jute::writer w(body);
  w.write_int(0);
  w.write_ustring(scheme);
  w.write_buffer(std::string_view(auth));
  return request_frame(xid, body, zk::op::auth);
}

std::string reply_frame(int32_t xid, int64_t zxid, int32_t error = zk::err::ok) {
  std::string frame;
  zk::append_header_frame(frame, xid, zxid, error);
  return frame;
}

struct delivery {
  std::string frames;
  std::optional<acl::list> event_read_acl;  // none: a reply
  bool close_after = false;
};

delivery reply(std::string frames, bool close_after = false) { return {std::move(frames), std::nullopt, close_after}; }
delivery event(std::string frames, acl::list read_acl) { return {std::move(frames), std::move(read_acl), false}; }

watch::deliveries_message deliveries_of(const std::vector<delivery>& items) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<schema::Deliveries>().initItems(static_cast<unsigned>(items.size()));
  for (unsigned i = 0; i < items.size(); ++i) {
    list[i].setFrames(as_data(items[i].frames));
    if (items[i].event_read_acl)
      request::write_acl(list[i].initEventReadAcl(static_cast<unsigned>(items[i].event_read_acl->size())),
                         *items[i].event_read_acl);
    else list[i].setReply();
    list[i].setCloseAfter(items[i].close_after);
  }
  return watch::deliveries_message::flatten(message);
}

// The xids of each batch sent to the sequencer.
std::vector<std::vector<int32_t>> batches(const session_output& out) {
  std::vector<std::vector<int32_t>> xids;
  for (const auto& batch : out.requests) {
    auto read = batch.read();
    xids.emplace_back();
    for (auto r : read.root().getRequests()) xids.back().push_back(r.getXid());
  }
  return xids;
}

bool noted(const session_output& out, session_note::kind what) {
  return std::any_of(out.notes.begin(), out.notes.end(), [&](const session_note& n) { return n.what == what; });
}

// A session core and the clocks it is given.
struct client {
  session_core core;
  int64_t now = t0;
  int64_t wall_now = wall;

  explicit client(int32_t max_outstanding_requests = 1000)
      : core(connection, "127.0.0.1:4000", config_with(max_outstanding_requests), wall, false) {}

  static std::shared_ptr<const server_config> config_with(int32_t max_outstanding_requests) {
    server_config config;
    config.max_outstanding_requests = max_outstanding_requests;
    return std::make_shared<const server_config>(config);
  }

  session_output read(std::vector<std::string> frames) {
    session_output out;
    core.read(frames, now, out);
    return out;
  }
  session_output connected(outcome result = outcome::accepted) {
    request::connect_result answer;
    answer.outcome = result;
    answer.connection = connection;
    if (result == outcome::accepted) {
      answer.session = session_id;
      answer.timeout_ms = timeout_ms;
      answer.password = password;
    }
    session_output out;
    core.connected(request::encode_connect_result(answer), now, out);
    return out;
  }
  session_output deliver(const std::vector<delivery>& items) {
    session_output out;
    core.deliver(deliveries_of(items), now, wall_now, out);
    return out;
  }
  session_output backlogged(bool backlogged) {
    session_output out;
    core.replies_backlogged(backlogged, now, out);
    return out;
  }
  session_output touch_due() {
    session_output out;
    core.touch_due(now, out);
    return out;
  }
  session_output handshake_deadline() {
    session_output out;
    core.handshake_deadline(out);
    return out;
  }
  void establish() {
    read({connect_frame()});
    connected();
  }
};

using xids = std::vector<std::vector<int32_t>>;

}  // namespace

TEST_CASE("frames pipelined before the connect result are held and released in order once connected") {
  client c;
  auto out = c.read({connect_frame(), request_frame(1), request_frame(2)});
  REQUIRE(out.connect);
  auto connect = out.connect->read();
  CHECK(connect.root().getConnection() == connection);
  CHECK(connect.root().getSession() == 0);
  CHECK(connect.root().getTimeoutMs() == timeout_ms);
  CHECK_FALSE(out.claim);  // a new session is claimed once it exists
  CHECK(out.requests.empty());
  CHECK(out.pause_reading == true);
  CHECK(c.core.stage() == phase::connecting);

  out = c.read({request_frame(3)});
  CHECK(out.requests.empty());
  CHECK_FALSE(out.pause_reading);  // paused already

  out = c.connected();
  CHECK(c.core.stage() == phase::connected);
  CHECK(written(out) == zk::connect_response_frame(timeout_ms, session_id, password, true));
  CHECK(out.claim == session_id);
  CHECK(noted(out, session_note::kind::established));
  CHECK(batches(out) == xids{{1, 2, 3}});
  auto batch = out.requests.front().read();
  CHECK(batch.root().getRequests()[0].getSession() == session_id);
  CHECK(as_chars(batch.root().getRequests()[0].getBody()) == "record");
  CHECK(out.touch);
  CHECK(out.pause_reading == false);
  CHECK(c.core.figures().received == 4);
}

TEST_CASE("a re-attaching client claims its session at the handshake") {
  client c;
  auto out = c.read({connect_frame(session_id)});
  CHECK(out.claim == session_id);
  CHECK(c.core.claimed_session() == session_id);
  REQUIRE(out.connect);
  CHECK(out.connect->read().root().getSession() == session_id);
}

TEST_CASE("a session refused or found invalid ends the connection") {
  client c;
  c.read({connect_frame(session_id), request_frame(1)});
  SECTION("the client has seen a newer zxid: closed without an answer") {
    auto out = c.connected(outcome::refused);
    CHECK(noted(out, session_note::kind::newer_zxid_seen));
    CHECK(written(out).empty());
    CHECK(out.end);
    CHECK(out.requests.empty());
  }
  SECTION("expired or unknown: answered with timeout 0 and session 0, then closed") {
    auto out = c.connected(outcome::invalid);
    CHECK(written(out) == zk::connect_response_frame(0, 0, std::string(), true));
    CHECK(out.end);
    CHECK(out.requests.empty());
  }
  CHECK(c.core.stage() == phase::closing);
  CHECK(c.core.claimed_session() == session_id);  // released at the end
}

TEST_CASE("a malformed handshake or a request without a header ends the connection") {
  SECTION("a frame that is no ConnectRequest") {
    client c;
    auto out = c.read({"garbage", connect_frame()});
    CHECK(noted(out, session_note::kind::malformed_connect));
    CHECK_FALSE(out.connect);
    CHECK(out.end);
  }
  SECTION("the requests before a headerless frame are passed on, none after it") {
    client c;
    c.establish();
    auto out = c.read({request_frame(1), "abc", request_frame(2)});
    CHECK(batches(out) == xids{{1}});
    REQUIRE(out.end);
    CHECK(out.end->received == 3);  // the ConnectRequest, request 1 and the headerless frame
    CHECK(c.read({request_frame(3)}).requests.empty());
  }
}

TEST_CASE("past max_outstanding_requests frames are held and reading pauses until replies drain") {
  client c(2);
  c.establish();
  auto out = c.read({request_frame(1), request_frame(2), request_frame(3), request_frame(4)});
  CHECK(batches(out) == xids{{1, 2}});
  CHECK(out.pause_reading == true);
  // Held behind the others, though it would fit no better.
  out = c.read({request_frame(5)});
  CHECK(out.requests.empty());
  CHECK(c.core.figures().queued == 2);

  out = c.deliver({reply(reply_frame(1, 10))});
  CHECK(written(out) == reply_frame(1, 10));
  CHECK(batches(out) == xids{{3}});
  CHECK_FALSE(out.pause_reading);  // 4 and 5 still wait

  out = c.deliver({reply(reply_frame(2, 11)), reply(reply_frame(3, 12))});
  CHECK(batches(out) == xids{{4, 5}});
  CHECK(out.pause_reading == false);
  CHECK(c.core.figures().queued == 2);

  out = c.read({request_frame(6)});
  CHECK(out.requests.empty());
  CHECK(out.pause_reading == true);
}

TEST_CASE("a backlog signal holds requests until the client reads its replies") {
  client c;
  c.establish();
  auto out = c.backlogged(true);
  CHECK(out.requests.empty());
  CHECK_FALSE(out.pause_reading);

  out = c.read({request_frame(1), request_frame(2)});
  CHECK(out.requests.empty());
  CHECK(out.pause_reading == true);

  out = c.backlogged(false);
  CHECK(batches(out) == xids{{1, 2}});
  CHECK(out.pause_reading == false);
}

TEST_CASE("a batch is cut once it holds 8 MiB") {
  client c;
  c.establish();
  SECTION("four bodies of 2 MiB fill a batch") {
    const std::string body(2 << 20, 'x');
    auto out = c.read({request_frame(1, body), request_frame(2, body), request_frame(3, body), request_frame(4, body),
                       request_frame(5, body)});
    CHECK(batches(out) == xids{{1, 2, 3, 4}, {5}});
  }
  SECTION("four bodies a byte shorter do not") {
    const std::string body((2 << 20) - 1, 'x');
    auto out = c.read({request_frame(1, body), request_frame(2, body), request_frame(3, body), request_frame(4, body),
                       request_frame(5, body), request_frame(6, body)});
    CHECK(batches(out) == xids{{1, 2, 3, 4, 5}, {6}});
  }
}

TEST_CASE("a close-after reply ends the connection once it is written, and nothing follows it") {
  client c;
  c.establish();
  c.read({request_frame(1), request_frame(2), request_frame(3)});
  auto out = c.deliver({reply(reply_frame(1, 4)), reply(reply_frame(2, 5), true), reply(reply_frame(3, 6))});
  CHECK(written(out) == reply_frame(1, 4) + reply_frame(2, 5));
  REQUIRE(out.end);
  CHECK(out.end->sent == 2);
  CHECK(c.core.stage() == phase::closing);
  out = c.read({request_frame(4)});
  CHECK(out.requests.empty());
  CHECK_FALSE(out.end);
  // Another reason to end it (a second close-after reply, a kick) ends nothing more.
  CHECK_FALSE(c.deliver({reply(reply_frame(4, 7), true)}).end);
  session_output kicked;
  c.core.finish(kicked);
  CHECK_FALSE(kicked.end);
}

TEST_CASE("auth is answered in reply order: a failure closes after its reply, a success adds identities") {
  client c;
  c.establish();
  SECTION("failure") {
    auto out = c.read({request_frame(1), auth_frame(2, "nosuch", "x"), request_frame(3)});
    CHECK(batches(out) == xids{{1, 2, 3}});
    auto batch = out.requests.front().read();
    auto auth = batch.root().getRequests()[1];
    REQUIRE(auth.getReply().isReady());
    CHECK(as_chars(auth.getReply().getReady()) == reply_frame(2, 0, zk::err::auth_failed));
    CHECK(auth.getCloseAfter());
    REQUIRE(noted(out, session_note::kind::auth_failed));
    CHECK(out.notes.front().scheme == "nosuch");
  }
  SECTION("success") {
    auto out = c.read({auth_frame(1, "digest", "u:pw"), request_frame(2)});
    auto batch = out.requests.front().read();
    auto auth = batch.root().getRequests()[0];
    CHECK(as_chars(auth.getReply().getReady()) == reply_frame(1, 0));
    CHECK_FALSE(auth.getCloseAfter());
    auto who = request::read_identities(batch.root().getRequests()[1].getIdentities());
    CHECK(who == acl::identities{{"ip", "127.0.0.1"}, {"digest", acl::digest_of("u:pw")}});
    // Events are now checked against the added identity.
    c.deliver({reply(reply_frame(1, 0)), reply(reply_frame(2, 0))});
    const acl::list digest_only{{acl::read, {"digest", acl::digest_of("u:pw")}}};
    CHECK(written(c.deliver({event("E", digest_only)})) == "E");
  }
}

TEST_CASE("events failing the ACL check are dropped, replies are counted") {
  client c;
  c.establish();
  c.read({request_frame(1, "record", zk::op::exists)});
  c.now += 7;
  c.wall_now += 9;
  const acl::list other_ip{{acl::read, {"ip", "10.0.0.1"}}};
  const acl::list our_ip{{acl::read, {"ip", "127.0.0.1"}}};
  const acl::list write_only{{acl::write, {"world", "anyone"}}};
  auto out =
      c.deliver({event("E1", other_ip), event("E2", our_ip), reply(reply_frame(1, 42)), event("E3", write_only)});
  CHECK(written(out) == "E2" + reply_frame(1, 42));
  auto figures = c.core.figures();
  CHECK(figures.received == 2);
  CHECK(figures.sent == 2);
  CHECK(figures.queued == 0);
  CHECK(figures.last_op == "EXIS");
  CHECK(figures.last_xid == 1);
  CHECK(figures.last_zxid == 42);
  CHECK(figures.latency.count == 1);
  CHECK(figures.latency.max_ms == 7);
  CHECK(figures.last_response_ms == wall + 9);

  // An event answers no request: it neither takes an arrival nor dates the last response.
  c.wall_now += 100;
  c.deliver({event("E4", our_ip)});
  CHECK(c.core.figures().last_response_ms == wall + 9);

  c.core.reset_figures();
  figures = c.core.figures();
  CHECK(figures.sent == 0);
  CHECK(figures.latency.count == 0);
  CHECK(figures.last_zxid == -1);
}

TEST_CASE("touch throttling never reports the session older than it is") {
  // Requests at the given times (after the session is established at t0); the delayed touch
  // fires exactly when asked for. Every request must be followed by a touch within a tenth of
  // the timeout (the tracker hears of it before any expiry it could cause), and touches come
  // at most one per tenth of the timeout.
  auto run = [](const std::vector<int64_t>& request_times) {
    client c;
    c.establish();
    std::vector<int64_t> touches;
    std::optional<int64_t> timer;
    auto take = [&](const session_output& out) {
      if (out.touch) touches.push_back(c.now);
      if (out.touch_in_ms) {
        REQUIRE_FALSE(timer);  // one delayed touch at a time
        timer = c.now + *out.touch_in_ms;
      }
    };
    auto fire_until = [&](int64_t until) {
      while (timer && *timer <= until) {
        c.now = *timer;
        timer.reset();
        take(c.touch_due());
      }
    };
    int32_t xid = 0;
    for (int64_t at : request_times) {
      fire_until(at);
      c.now = at;
      take(c.read({request_frame(++xid)}));
      c.deliver({reply(reply_frame(xid, 0))});
    }
    fire_until(request_times.back() + timeout_ms);
    for (int64_t at : request_times) {
      auto touched = std::lower_bound(touches.begin(), touches.end(), at);
      REQUIRE(touched != touches.end());
      CHECK(*touched - at <= window_ms);
    }
    for (std::size_t i = 1; i < touches.size(); ++i) CHECK(touches[i] - touches[i - 1] >= window_ms);
    return touches;
  };

  CHECK(run({t0, t0 + 10, t0 + 400, t0 + 999, t0 + 1000, t0 + 1500, t0 + 2600, t0 + 2601, t0 + 5000}) ==
        std::vector<int64_t>{t0, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 5000});

  std::mt19937_64 random(20261125);
  std::vector<int64_t> times;
  int64_t at = t0;
  for (int i = 0; i < 2000; ++i) times.push_back(at += std::uniform_int_distribution<int64_t>(0, 700)(random));
  run(times);
}

TEST_CASE("a delayed touch is not sent once the connection is closing") {
  client c;
  c.establish();
  c.read({request_frame(1)});
  c.now += 1;
  auto out = c.read({request_frame(2)});
  CHECK_FALSE(out.touch);
  CHECK(out.touch_in_ms == window_ms - 1);
  c.deliver({reply(reply_frame(1, 0), true)});
  c.now += window_ms;
  CHECK_FALSE(c.touch_due().touch);
}

TEST_CASE("the handshake deadline ends only connections without a session") {
  SECTION("no ConnectRequest yet") {
    client c;
    auto out = c.handshake_deadline();
    CHECK(noted(out, session_note::kind::handshake_overdue));
    CHECK(out.end);
  }
  SECTION("waiting for the sequencer's answer") {
    client c;
    c.read({connect_frame()});
    CHECK(c.handshake_deadline().end);
  }
  SECTION("connected") {
    client c;
    c.establish();
    auto out = c.handshake_deadline();
    CHECK_FALSE(out.end);
    CHECK(out.notes.empty());
  }
  SECTION("answering a four-letter word: the answer ends it, and only the answer") {
    client c;
    c.core.answering_word();
    CHECK_FALSE(c.handshake_deadline().end);
    auto read = c.read({request_frame(1)});
    CHECK(read.requests.empty());
    CHECK_FALSE(read.end);
    session_output answered;
    c.core.word_answered("imok", answered);
    CHECK(answered.to_client == "imok");
    REQUIRE(answered.end);
    CHECK(c.core.stage() == phase::closing);
  }
}
