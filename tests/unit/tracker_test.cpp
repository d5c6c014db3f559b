// The session tracker's policy (§12): which connection holds a session and when the server
// closes it. A re-attach closes the previous holder, expiry closes the holder and proposes
// closeSession, a connection that re-attaches while that close is pending is closed when it
// is applied, and a client's own close leaves its connection to answer and close itself.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "actors/session/tracker_core.hpp"

using rookery::session::connection_id;
using rookery::session::tracker_core;
using rookery::session::tracker_output;

namespace {

using kicks = std::vector<connection_id>;
using sessions = std::vector<int64_t>;

constexpr int32_t tick = 100;
constexpr int32_t timeout = 1000;
constexpr int64_t session = 0x100;
// A session opened at 0 with `timeout` is due at 1100; ticks before that expire nothing.
constexpr int64_t before_due = 1000;
constexpr int64_t due = 1100;

bool nothing_to_do(const tracker_output& out) { return out.kick.empty() && out.expire.empty(); }

}  // namespace

TEST_CASE("a claim by another connection closes the previous holder") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);

  CHECK(nothing_to_do(tracker.claim(session, 1)));
  // The same connection claims again once its session is established: nothing to close.
  CHECK(nothing_to_do(tracker.claim(session, 1)));

  auto out = tracker.claim(session, 2);
  CHECK(out.kick == kicks{1});
  CHECK(out.expire.empty());
  CHECK(nothing_to_do(tracker.claim(session, 2)));

  CHECK(tracker.claim(session, 3).kick == kicks{2});
  // Only the last claimant holds the session when it expires.
  CHECK(tracker.tick(due).kick == kicks{3});
}

TEST_CASE("claims are per session") {
  tracker_core tracker(tick);
  tracker.opened(1, timeout, 0);
  tracker.opened(2, timeout, 0);
  CHECK(nothing_to_do(tracker.claim(1, 10)));
  CHECK(nothing_to_do(tracker.claim(2, 20)));
  CHECK(tracker.claim(2, 21).kick == kicks{20});
  CHECK(tracker.closed(1).kick.empty());
  CHECK(tracker.tick(due).kick == kicks{21});
}

TEST_CASE("only the current holder releases a session") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  tracker.claim(session, 1);

  SECTION("a connection that lost its claim ends: the new holder keeps it") {
    CHECK(tracker.claim(session, 2).kick == kicks{1});
    tracker.release(session, 1);
    auto out = tracker.tick(due);
    CHECK(out.expire == sessions{session});
    CHECK(out.kick == kicks{2});
  }

  SECTION("a release for another session releases nothing") {
    tracker.release(session + 1, 1);
    CHECK(tracker.tick(due).kick == kicks{1});
  }

  SECTION("the holder's connection ends: nobody is left to close") {
    tracker.release(session, 1);
    auto out = tracker.tick(due);
    CHECK(out.expire == sessions{session});
    CHECK(out.kick.empty());
    // A re-attach after the release closes nobody either.
    CHECK(nothing_to_do(tracker.claim(session, 2)));
  }
}

TEST_CASE("expiry closes the holder and proposes closeSession") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  tracker.opened(session + 1, timeout, 0);  // held by nobody
  tracker.claim(session, 7);

  CHECK(nothing_to_do(tracker.tick(before_due)));
  auto out = tracker.tick(due);
  CHECK(out.kick == kicks{7});
  CHECK(std::set<int64_t>(out.expire.begin(), out.expire.end()) == std::set<int64_t>{session, session + 1});
  // Each expiry is reported once.
  CHECK(nothing_to_do(tracker.tick(due + 10 * tick)));

  // The closed connection's release and the applied close do not close it again.
  tracker.release(session, 7);
  CHECK(nothing_to_do(tracker.closed(session)));
  CHECK(nothing_to_do(tracker.closed(session + 1)));
}

TEST_CASE("touches keep a held session from expiring") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  tracker.claim(session, 1);
  for (int64_t now = 500; now <= 5000; now += 500) {
    tracker.touch(session, now);
    CHECK(nothing_to_do(tracker.tick(now)));
  }
  CHECK(nothing_to_do(tracker.tick(5000 + timeout)));
  auto out = tracker.tick(5000 + timeout + tick);
  CHECK(out.expire == sessions{session});
  CHECK(out.kick == kicks{1});
}

TEST_CASE("a connection that re-attaches while the closeSession is pending is closed when it is applied") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  tracker.claim(session, 1);
  CHECK(tracker.tick(due).kick == kicks{1});

  SECTION("one re-attach") {
    // The expired holder is gone already: the claim closes nobody.
    CHECK(nothing_to_do(tracker.claim(session, 2)));
    auto out = tracker.closed(session);
    CHECK(out.kick == kicks{2});
    CHECK(out.expire.empty());
  }

  SECTION("two re-attaches: the first is closed by the second, the second by the close") {
    tracker.claim(session, 2);
    CHECK(tracker.claim(session, 3).kick == kicks{2});
    CHECK(tracker.closed(session).kick == kicks{3});
  }

  SECTION("the re-attached connection ended before the close") {
    tracker.claim(session, 2);
    tracker.release(session, 2);
    CHECK(nothing_to_do(tracker.closed(session)));
  }
}

TEST_CASE("a re-attach accepted while the expiry is on its way does not cancel it") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  CHECK(tracker.tick(due).expire == sessions{session});
  // The tree accepted a re-attach that reached the sequencer before the expiry did.
  tracker.claim(session, 2);
  tracker.opened(session, timeout, due);
  CHECK(tracker.closed(session).kick == kicks{2});
}

TEST_CASE("rearm after an expiry the log could not persist keeps the session alive") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  CHECK(tracker.tick(due).expire == sessions{session});
  tracker.claim(session, 2);  // re-attached while the expiry was in flight

  tracker.rearm(session, timeout, due);  // the sequencer hands the session back

  SECTION("a later close is the client's own: its connection is not closed") {
    CHECK(nothing_to_do(tracker.closed(session)));
  }

  SECTION("the session expires again, closing its holder") {
    CHECK(nothing_to_do(tracker.tick(due + timeout)));
    auto out = tracker.tick(due + timeout + tick);
    CHECK(out.expire == sessions{session});
    CHECK(out.kick == kicks{2});
  }
}

TEST_CASE("a client's own close does not close its connection") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  tracker.claim(session, 1);

  // The client gets closeSession's reply first; its connection then closes itself.
  CHECK(nothing_to_do(tracker.closed(session)));
  // The session is forgotten: no holder to close, no deadline left.
  CHECK(nothing_to_do(tracker.claim(session, 2)));
  CHECK(nothing_to_do(tracker.tick(due + 10 * tick)));
}

TEST_CASE("an expired session nobody holds closes without closing a connection") {
  tracker_core tracker(tick);
  tracker.opened(session, timeout, 0);
  auto out = tracker.tick(due);
  CHECK(out.expire == sessions{session});
  CHECK(out.kick.empty());
  CHECK(nothing_to_do(tracker.closed(session)));
  // The pending expiry is settled by the close: a claim then close of the same id is no
  // longer taken for a re-attach to an expiring session.
  tracker.claim(session, 2);
  CHECK(nothing_to_do(tracker.closed(session)));
}

TEST_CASE("the expiry buckets follow open, touch, close and expiry") {
  tracker_core tracker(tick);
  using buckets = std::map<int64_t, std::set<int64_t>>;
  CHECK(tracker.buckets().empty());
  tracker.opened(1, timeout, 0);
  tracker.opened(2, timeout, 0);
  tracker.opened(3, 3000, 0);
  CHECK(tracker.buckets() == buckets{{1100, {1, 2}}, {3100, {3}}});
  tracker.touch(2, 500);
  CHECK(tracker.buckets() == buckets{{1100, {1}}, {1600, {2}}, {3100, {3}}});
  tracker.closed(3);
  CHECK(tracker.buckets() == buckets{{1100, {1}}, {1600, {2}}});
  tracker.tick(due);
  CHECK(tracker.buckets() == buckets{{1600, {2}}});
}
