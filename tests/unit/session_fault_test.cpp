// A fault while a session actor handles a message ends that connection only: the roles are
// told it is gone, as on any close, and the actor ends normally, so the listener linked to
// it (and with it every other connection) carries on.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/session/session_actor.hpp"
#include "runtime/capnp/shared_message.hpp"

namespace {

using namespace rookery;
using connection_id = uint64_t;

// Stands in for every role the session actor talks to, and records what it is told.
struct roles_probe_state {
  std::vector<connection_id> hellos;
  std::vector<connection_id> byes;
  std::vector<admin::connection_view> closed;
  std::optional<caf::error> session_end;  // the session actor's exit reason, once it ended
  static inline const char* name = "roles-probe";
};

caf::behavior roles_probe(caf::stateful_actor<roles_probe_state>* self) {
  self->set_down_handler([=](const caf::down_msg& down) { self->state.session_end = down.reason; });
  return {
      [=](hello_atom, connection_id c, const caf::actor& session) {
        self->state.hellos.push_back(c);
        self->monitor(session);
      },
      [=](bye_atom, connection_id c) { self->state.byes.push_back(c); },
      [=](closed_atom, const admin::connection_view& figures) { self->state.closed.push_back(figures); },
  };
}

roles_probe_state& state_of(const caf::actor& probe) {
  auto* self = dynamic_cast<caf::stateful_actor<roles_probe_state>*>(caf::actor_cast<caf::abstract_actor*>(probe));
  REQUIRE(self != nullptr);
  return self->state;
}

// Bytes that are no Cap'n Proto message: the segment table promises more words than follow,
// so reading them throws.
watch::deliveries_message corrupt_deliveries() {
  const std::string bytes("\0\0\0\0\xff\xff\0\0", 8);
  return watch::deliveries_message(message_buffer::copy_of(bytes));
}

}  // namespace

TEST_CASE("a fault in a session actor closes its connection and ends it normally") {
  spdlog::set_level(spdlog::level::off);
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system system{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler());
  auto run = [&] {
    while (sched.has_job()) sched.run_once();
  };

  auto probe = system.spawn(roles_probe);
  session::server_roles roles{probe, probe, probe, probe, probe};
  constexpr connection_id connection = 7;
  auto session = system.spawn(session::session_actor, uint64_t{connection}, std::string("127.0.0.1:4242"),
                              std::make_shared<const server_config>(), roles);
  run();
  auto& seen = state_of(probe);
  REQUIRE(seen.hellos == std::vector<connection_id>{connection});
  REQUIRE_FALSE(seen.session_end);

  caf::anon_send(session, deliver_atom::value, corrupt_deliveries());
  run();

  // The roles forget the connection, once.
  CHECK(seen.byes == std::vector<connection_id>{connection});
  REQUIRE(seen.closed.size() == 1);
  CHECK(seen.closed.front().connection == connection);
  // A normal end: a link passes nothing on.
  REQUIRE(seen.session_end);
  CHECK_FALSE(*seen.session_end);

  caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  run();
}
