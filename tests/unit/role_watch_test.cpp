// The role watch reports a role that fails, and only that: ends by shutdown or normal ends
// are not faults.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "runtime/supervision/role_watch.hpp"

namespace {

using namespace rookery;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

// A stand-in role: throws on fail, ends normally on done.
caf::behavior role(caf::event_based_actor* self) {
  return {
      [](fail_atom) { throw std::runtime_error("role broke"); },
      [=](done_atom) { self->quit(); },
  };
}

struct fault {
  std::string role;
  std::string reason;
};

caf::actor_system_config& quiet(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

std::vector<std::string> watched(caf::scoped_actor& self, const caf::actor& watch) {
  std::vector<std::string> names;
  self->request(watch, std::chrono::seconds(10), stats_atom::value)
      .receive([&](const std::vector<std::string>& answer) { names = answer; },
               [](const caf::error&) { FAIL("the role watch did not answer"); });
  std::sort(names.begin(), names.end());
  return names;
}

// Waits (bounded) until the watch has taken in every end so far and watches just `expected`.
void wait_until_watching(caf::scoped_actor& self, const caf::actor& watch, const std::vector<std::string>& expected) {
  for (int i = 0; i < 1000 && watched(self, watch) != expected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(watched(self, watch) == expected);
}

}  // namespace

TEST_CASE("a failed role is reported once, shutdown and normal ends are not faults") {
  caf::actor_system_config cfg;
  caf::actor_system system{quiet(cfg)};
  auto stopped = system.spawn(role);
  auto finished = system.spawn(role);
  auto failing = system.spawn(role);
  auto healthy = system.spawn(role);

  std::promise<fault> reported;
  auto first_fault = reported.get_future();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto watch = supervision::watch_roles(
      system, {{"stopped", stopped}, {"finished", finished}, {"failing", failing}, {"healthy", healthy}},
      [&reported, calls](const std::string& name, const std::string& reason) {
        if (calls->fetch_add(1) == 0) reported.set_value({name, reason});
      });

  caf::scoped_actor self{system};
  REQUIRE(watched(self, watch) == std::vector<std::string>{"failing", "finished", "healthy", "stopped"});
  caf::anon_send_exit(stopped, caf::exit_reason::user_shutdown);
  caf::anon_send(finished, done_atom::value);
  // Both ends are taken in before the failure: a fault reported for either would come first.
  wait_until_watching(self, watch, {"failing", "healthy"});
  caf::anon_send(failing, fail_atom::value);

  REQUIRE(first_fault.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto got = first_fault.get();
  CHECK(got.role == "failing");
  CHECK_FALSE(got.reason.empty());
  CHECK(watched(self, watch) == std::vector<std::string>{"healthy"});
  CHECK(calls->load() == 1);

  for (const auto& actor : {healthy, watch}) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}
