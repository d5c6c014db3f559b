// When a connection stops being read because its client does not read its replies.
#include <catch2/catch.hpp>

#include "runtime/net/send_backlog.hpp"

using rookery::net::send_backlog;
using action = send_backlog::action;

TEST_CASE("reading pauses above the high mark, resumes below the low mark, once each") {
  send_backlog backlog(1000, 250, 10000);
  CHECK(backlog.after_queue(0) == action::none);
  CHECK(backlog.after_queue(1000) == action::none);
  CHECK(backlog.after_queue(1001) == action::pause);
  CHECK(backlog.paused());
  CHECK(backlog.after_queue(5000) == action::none);  // already paused
  CHECK(backlog.after_transfer(250) == action::none);  // not yet under the low mark
  CHECK(backlog.after_transfer(249) == action::resume);
  CHECK_FALSE(backlog.paused());
  CHECK(backlog.after_transfer(0) == action::none);  // already reading
  CHECK(backlog.after_queue(1001) == action::pause);
}

TEST_CASE("a backlog over the close mark ends the connection, paused or not") {
  send_backlog backlog(1000, 250, 10000);
  CHECK(backlog.after_queue(10001) == action::close);
  CHECK(backlog.after_queue(2000) == action::pause);
  CHECK(backlog.after_queue(10001) == action::close);
}

TEST_CASE("limits follow the largest frame and the replies that can still be in flight") {
  constexpr uint64_t mib = 1 << 20;
  auto small = send_backlog::for_limits(mib, 1);
  CHECK(small.after_queue(4 * mib) == action::none);
  CHECK(small.after_queue(4 * mib + 1) == action::pause);
  CHECK(small.after_transfer(mib) == action::none);
  CHECK(small.after_transfer(mib - 1) == action::resume);
  CHECK(small.after_queue(64 * mib) == action::pause);
  CHECK(small.after_queue(64 * mib + 1) == action::close);

  auto large = send_backlog::for_limits(8 * mib, 1);  // a raised jute.maxbuffer
  CHECK(large.after_queue(32 * mib) == action::none);
  CHECK(large.after_queue(32 * mib + 1) == action::pause);
  CHECK(large.after_queue(512 * mib) == action::none);
  CHECK(large.after_queue(512 * mib + 1) == action::close);

  // 1000 requests inside the server may each still bring a largest reply, twice over.
  auto pipelined = send_backlog::for_limits(mib, 1000);
  CHECK(pipelined.after_queue(4 * mib + 1) == action::pause);
  CHECK(pipelined.after_queue(4 * mib + 2000 * mib) == action::none);
  CHECK(pipelined.after_queue(4 * mib + 2000 * mib + 1) == action::close);
}
