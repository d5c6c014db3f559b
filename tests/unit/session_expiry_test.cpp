// Session expiry deadlines (§12): a session that has not been heard from expires between
// `timeout` and `timeout + tickTime` after its last packet, never before `timeout`; the
// deadlines are bucketed by tick like ZooKeeper's ExpiryQueue.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "actors/session/session_expiry.hpp"

using rookery::session::session_expiry;

namespace {

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Steps the clock 1 ms at a time from `from` and returns when `session` first comes out of
// expire(); -1 if it never does before `until`.
int64_t first_expiry(session_expiry& expiry, int64_t session, int64_t from, int64_t until) {
  for (int64_t now = from; now <= until; ++now) {
    for (int64_t expired : expiry.expire(now))
      if (expired == session) return now;
  }
  return -1;
}

// Every tracked session sits in exactly one bucket, on a tick boundary, and nothing else does.
void check_bucket_invariants(const session_expiry& expiry, int32_t tick) {
  std::size_t in_buckets = 0;
  std::set<int64_t> seen;
  for (const auto& [deadline, sessions] : expiry.buckets()) {
    INFO("bucket " << deadline);
    CHECK(deadline % tick == 0);
    CHECK_FALSE(sessions.empty());
    for (int64_t s : sessions) {
      CHECK(expiry.tracks(s));
      CHECK(seen.insert(s).second);
    }
    in_buckets += sessions.size();
  }
  CHECK(in_buckets == expiry.size());
}

}  // namespace

TEST_CASE("a session expires after its timeout and within one tick of it, never before") {
  // Small numbers so every start offset inside a tick and every millisecond can be probed.
  constexpr int32_t tick = 10;
  constexpr int32_t timeout = 40;
  for (int64_t start = 1000; start < 1000 + 2 * tick; ++start) {
    INFO("opened at " << start);
    session_expiry expiry(tick);
    expiry.open(7, timeout, start);
    int64_t at = first_expiry(expiry, 7, start, start + timeout + 2 * tick);
    CHECK(at > start + timeout);          // never at or before the timeout
    CHECK(at <= start + timeout + tick);  // at most one tick late
    CHECK(at % tick == 0);                // checks are per bucket
    CHECK_FALSE(expiry.tracks(7));
    CHECK(expiry.size() == 0);
    CHECK(expiry.buckets().empty());
  }
}

TEST_CASE("ZooKeeper's numbers: tickTime 2000, timeout 4000") {
  session_expiry expiry(2000);
  // §12 observed: a 4000 ms session went silent and was closed after about 4.5 s.
  expiry.open(1, 4000, 100'500);
  CHECK(expiry.expire(100'500 + 4000).empty());
  CHECK(expiry.expire(100'500 + 4000 + 1499).empty());
  CHECK(expiry.expire(100'500 + 4000 + 1500) == std::vector<int64_t>{1});

  // Opened exactly on a tick boundary: the deadline is the next boundary after the timeout.
  expiry.open(2, 4000, 200'000);
  REQUIRE(expiry.buckets().size() == 1);
  CHECK(expiry.buckets().begin()->first == 206'000);
  CHECK(expiry.expire(204'000).empty());
  CHECK(expiry.expire(205'999).empty());
  CHECK(expiry.expire(206'000) == std::vector<int64_t>{2});
}

TEST_CASE("a non-positive tick is treated as 1 ms") {
  for (int32_t tick : {0, -5}) {
    session_expiry expiry(tick);
    expiry.open(1, 100, 50);
    CHECK(expiry.expire(150).empty());
    CHECK(expiry.expire(151) == std::vector<int64_t>{1});
  }
}

TEST_CASE("touch postpones expiry") {
  constexpr int32_t tick = 100;
  session_expiry expiry(tick);
  expiry.open(1, 1000, 0);  // deadline 1100
  expiry.open(2, 1000, 0);

  SECTION("a touch late in the timeout moves the deadline by the time since open") {
    expiry.touch(1, 900);  // deadline 2000
    CHECK(expiry.expire(1100) == std::vector<int64_t>{2});
    CHECK(expiry.tracks(1));
    CHECK(expiry.expire(1900).empty());
    CHECK(expiry.expire(1999).empty());
    CHECK(expiry.expire(2000) == std::vector<int64_t>{1});
  }

  SECTION("repeated touches keep a session alive indefinitely") {
    for (int64_t now = 500; now <= 20'000; now += 500) {
      expiry.touch(1, now);
      auto expired = expiry.expire(now);
      CHECK(std::find(expired.begin(), expired.end(), 1) == expired.end());
    }
    CHECK(expiry.tracks(1));
    CHECK_FALSE(expiry.tracks(2));
    CHECK(expiry.expire(20'000 + 1000 + tick) == std::vector<int64_t>{1});
  }

  SECTION("a touch within the same tick leaves the bucket alone") {
    auto before = expiry.buckets();
    expiry.touch(1, 5);
    expiry.touch(1, 99);
    CHECK(expiry.buckets() == before);
    expiry.touch(1, 100);  // next tick: next bucket
    CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{1100, {2}}, {1200, {1}}});
  }

  SECTION("touching an unknown or expired session does not start tracking it") {
    expiry.touch(99, 10);
    CHECK_FALSE(expiry.tracks(99));
    CHECK(expiry.size() == 2);
    CHECK(sorted(expiry.expire(5000)) == std::vector<int64_t>{1, 2});
    expiry.touch(1, 5000);
    CHECK_FALSE(expiry.tracks(1));
    CHECK(expiry.size() == 0);
    CHECK(expiry.buckets().empty());
    CHECK(expiry.expire(1'000'000).empty());
  }
  check_bucket_invariants(expiry, tick);
}

TEST_CASE("re-opening re-arms the session with the new timeout") {
  constexpr int32_t tick = 100;
  session_expiry expiry(tick);
  expiry.open(1, 1000, 0);
  CHECK(expiry.timeout_of(1) == 1000);

  SECTION("a longer timeout") {
    expiry.open(1, 5000, 500);  // deadline 5600
    CHECK(expiry.size() == 1);
    CHECK(expiry.timeout_of(1) == 5000);
    CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{5600, {1}}});
    CHECK(expiry.expire(1100).empty());
    CHECK(expiry.expire(5500).empty());
    CHECK(expiry.expire(5600) == std::vector<int64_t>{1});
  }

  SECTION("a shorter timeout") {
    expiry.open(1, 200, 100);  // deadline 400
    CHECK(expiry.timeout_of(1) == 200);
    CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{400, {1}}});
    CHECK(expiry.expire(400) == std::vector<int64_t>{1});
  }

  SECTION("later touches use the new timeout") {
    expiry.open(1, 3000, 0);
    expiry.touch(1, 1000);  // deadline 4100
    CHECK(expiry.expire(4000).empty());
    CHECK(expiry.expire(4100) == std::vector<int64_t>{1});
  }

  SECTION("re-opening an expired session tracks it again") {
    CHECK(expiry.expire(1100) == std::vector<int64_t>{1});
    CHECK(expiry.timeout_of(1) == 0);
    expiry.open(1, 2000, 1100);
    CHECK(expiry.tracks(1));
    CHECK(expiry.timeout_of(1) == 2000);
    CHECK(expiry.expire(3200) == std::vector<int64_t>{1});
  }
  check_bucket_invariants(expiry, tick);
}

TEST_CASE("close stops tracking a session") {
  constexpr int32_t tick = 100;
  session_expiry expiry(tick);
  expiry.open(1, 1000, 0);
  expiry.open(2, 1000, 0);
  expiry.open(3, 3000, 0);

  expiry.close(1);
  CHECK_FALSE(expiry.tracks(1));
  CHECK(expiry.timeout_of(1) == 0);
  CHECK(expiry.size() == 2);
  CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{1100, {2}}, {3100, {3}}});

  // Closing the last session of a bucket removes the bucket.
  expiry.close(3);
  CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{1100, {2}}});

  // Unknown and repeated closes are harmless.
  expiry.close(1);
  expiry.close(42);
  CHECK(expiry.size() == 1);

  CHECK(expiry.expire(100'000) == std::vector<int64_t>{2});
  CHECK(expiry.size() == 0);
  CHECK(expiry.buckets().empty());

  // Closing after expiry is harmless too, and a closed id can be opened again.
  expiry.close(2);
  expiry.open(1, 1000, 200'000);
  CHECK(expiry.tracks(1));
  CHECK(expiry.expire(201'100) == std::vector<int64_t>{1});
}

TEST_CASE("expire returns each due session once, only due ones, and forgets them") {
  constexpr int32_t tick = 100;
  session_expiry expiry(tick);
  expiry.open(1, 1000, 0);     // 1100
  expiry.open(2, 1000, 50);    // 1100
  expiry.open(3, 1050, 0);     // 1100
  expiry.open(4, 1100, 0);     // 1200
  expiry.open(5, 2000, 0);     // 2100
  expiry.open(6, 10'000, 0);   // 10100

  CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{
                                {1100, {1, 2, 3}}, {1200, {4}}, {2100, {5}}, {10100, {6}}});
  check_bucket_invariants(expiry, tick);

  CHECK(expiry.expire(1099).empty());
  CHECK(expiry.size() == 6);

  // Two due buckets at once: both come out, in deadline order.
  auto expired = expiry.expire(1250);
  REQUIRE(expired.size() == 4);
  CHECK(sorted({expired[0], expired[1], expired[2]}) == std::vector<int64_t>{1, 2, 3});
  CHECK(expired[3] == 4);
  for (int64_t s : {1, 2, 3, 4}) {
    CHECK_FALSE(expiry.tracks(s));
    CHECK(expiry.timeout_of(s) == 0);
  }
  CHECK(expiry.size() == 2);

  // Asking again, at the same time or later, does not repeat them.
  CHECK(expiry.expire(1250).empty());
  CHECK(expiry.expire(2099).empty());
  CHECK(expiry.expire(5000) == std::vector<int64_t>{5});
  CHECK(expiry.expire(5000).empty());
  CHECK(expiry.buckets() == std::map<int64_t, std::set<int64_t>>{{10100, {6}}});

  // A clock that goes backwards expires nothing.
  CHECK(expiry.expire(0).empty());
  CHECK(expiry.expire(10'100) == std::vector<int64_t>{6});
  CHECK(expiry.size() == 0);
  CHECK(expiry.buckets().empty());
}

TEST_CASE("many sessions against a model") {
  constexpr int32_t tick = 50;
  constexpr int64_t step = 7;  // the expiry check runs every 7 ms, not on tick boundaries
  struct model {
    int32_t timeout;
    int64_t last_heard;
  };
  for (uint32_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    session_expiry expiry(tick);
    std::map<int64_t, model> live;
    std::set<int64_t> gone;
    int64_t next_id = 0x0100000000000000;
    int64_t now = 1'000'000;
    std::size_t expired_total = 0;

    for (int round = 0; round < 3000; ++round, now += step) {
      // A few events per step: new sessions, touches, re-opens and closes.
      for (int event = 0; event < 4; ++event) {
        uint32_t what = rng() % 10;
        if (what < 3 || live.empty()) {
          int32_t timeout = 100 + static_cast<int32_t>(rng() % 900);
          expiry.open(next_id, timeout, now);
          live[next_id] = {timeout, now};
          ++next_id;
          continue;
        }
        auto it = live.begin();
        std::advance(it, static_cast<long>(rng() % live.size()));
        if (what < 8) {
          expiry.touch(it->first, now);
          it->second.last_heard = now;
        } else if (what == 8) {
          int32_t timeout = 100 + static_cast<int32_t>(rng() % 900);
          expiry.open(it->first, timeout, now);
          it->second = {timeout, now};
        } else {
          expiry.close(it->first);
          gone.insert(it->first);
          live.erase(it);
        }
      }

      for (int64_t s : expiry.expire(now)) {
        ++expired_total;
        auto it = live.find(s);
        INFO("session " << s << " expired at " << now);
        REQUIRE(it != live.end());  // each session once, never a closed one
        CHECK(now - it->second.last_heard > it->second.timeout);
        // Due at most one tick after the timeout; seen at the first check after that.
        CHECK(now - it->second.last_heard <= it->second.timeout + tick + step);
        gone.insert(s);
        live.erase(it);
      }
      // Nothing overdue is left behind.
      for (const auto& [s, m] : live) {
        if (now - m.last_heard > m.timeout + tick) FAIL("session " << s << " overdue at " << now);
      }
      if (round % 100 == 0) {
        for (const auto& [s, m] : live) CHECK(expiry.timeout_of(s) == m.timeout);
        for (int64_t s : gone) CHECK_FALSE(expiry.tracks(s));
        check_bucket_invariants(expiry, tick);
      }
      REQUIRE(expiry.size() == live.size());
    }
    CHECK(expired_total > 100);
    CHECK(live.size() > 100);

    // Silence: everything expires within the longest timeout plus a tick, exactly once.
    std::set<int64_t> rest;
    for (int64_t s : expiry.expire(now + 1000 + tick)) CHECK(rest.insert(s).second);
    CHECK(rest.size() == live.size());
    CHECK(expiry.size() == 0);
    CHECK(expiry.buckets().empty());
  }
}
