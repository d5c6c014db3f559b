#include "runtime/bootstrap.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "actors/clock.hpp"
#include "actors/log/log_actor.hpp"
#include "actors/messages.hpp"
#include "actors/request/sequencer_actor.hpp"
#include "actors/request/tree_actor.hpp"
#include "actors/session/tracker_actor.hpp"
#include "actors/snapshot/snapshotter.hpp"
#include "actors/watch/watch_manager.hpp"
#include "runtime/net/client_listener.hpp"
#include "runtime/supervision/role_watch.hpp"
#include "storage/txn_journal.hpp"
#include "storage/tree_image.hpp"

namespace rookery {
namespace {

std::shared_ptr<request::recovered_tree> recover(storage::lmdb_env& env, const storage::txn_journal& journal,
                                                 const server_config& config) {
  auto recovered = std::make_shared<request::recovered_tree>();
  recovered->tree = std::make_unique<storage::data_tree>();
  storage::snapshot_image image(env);
  int64_t image_zxid = storage::load_image(image, *recovered->tree);
  recovered->machine = std::make_unique<request::tree_core>(
      *recovered->tree, request::read_settings{config.reconfig_enabled}, image_zxid);
  if (journal.torn_bytes_cut() > 0)
    spdlog::warn("cut a torn record (and {} bytes in all) off the log's tail: a write a crash interrupted, never "
                 "acknowledged",
                 journal.torn_bytes_cut());
  int64_t replayed = 0;
  journal.for_each_after(image_zxid, [&](int64_t, std::string_view bytes) {
    recovered->machine->replay(*request::txn_buffer::copy_of(bytes));
    ++replayed;
  });
  spdlog::info(
      "recovered {} znodes and {} sessions: image at zxid 0x{:x}, {} log entries replayed from {} segments, last zxid "
      "0x{:x}",
      recovered->tree->node_count(), recovered->tree->sessions().size(), image_zxid, replayed, journal.segment_count(),
      recovered->machine->last_applied_zxid());
  return recovered;
}

// The sequencer starts where the recovered tree is.
request::sequencer_core sequencer_for(const request::tree_core& machine, const server_config& config) {
  // Session ids embed the start time so a restarted server never reissues an id.
  int64_t first_session_id = static_cast<int64_t>((static_cast<uint64_t>(wall_ms()) << 24) >> 8);
  return request::sequencer_core(request::write_settings{config.ttl_nodes_enabled}, machine.last_applied_zxid(),
                                 first_session_id, machine.live_sessions());
}

sigset_t termination_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

int run_standalone_server(const server_config& config) {
  // Block the signals before CAF starts its threads, so only sigwait below sees them.
  sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A file-size limit (ulimit -f) must refuse writes like a full disk, not kill the server.
  std::signal(SIGXFSZ, SIG_IGN);

  storage::lmdb_options options;
  options.directory = config.data_dir;
  options.map_initial_bytes = config.storage_map_initial_mb << 20;
  options.map_max_bytes = config.storage_map_max_mb << 20;
  auto env = std::make_shared<storage::lmdb_env>(options);
  storage::journal_options journal_options;
  journal_options.directory = config.log_dir();
  journal_options.segment_bytes = config.storage_log_segment_mb << 20;
  journal_options.preallocate_bytes = config.storage_log_preallocate_mb << 20;
  auto journal = std::make_shared<storage::txn_journal>(journal_options);
  auto recovered = recover(*env, *journal, config);
  const int64_t recovered_zxid = recovered->machine->last_applied_zxid();

  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.max-threads", config.scheduler_threads);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("scheduler.policy", config.scheduler_policy == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  caf::actor_system system{cfg};

  auto shared_config = std::make_shared<const server_config>(config);
  auto watches = system.spawn(watch::watch_manager);
  auto tracker = system.spawn(session::tracker_actor, config.tick_time_ms);
  auto log = system.spawn<caf::detached>(log::log_actor, std::move(journal), recovered_zxid);
  auto snapshots = system.spawn<caf::detached>(snapshot::snapshotter, env, log);
  // Read from the recovered tree before the tree actor owns it.
  auto sequencer_core = sequencer_for(*recovered->machine, config);
  auto tree = system.spawn(request::tree_actor, recovered, request::tree_roles{watches, tracker, snapshots}, config);
  auto sequencer = system.spawn(request::sequencer_actor, std::move(sequencer_core),
                                request::sequencer_roles{tree, log, tracker}, config);
  caf::anon_send(tracker, sequencer);
  auto listener = system.middleman().spawn_broker(net::client_listener, shared_config,
                                                  session::server_roles{sequencer, tracker, watches, log, caf::actor{}});

  int exit_code = 0;
  {
    caf::scoped_actor self{system};
    self->request(listener, std::chrono::seconds(10), stats_atom::value)
        .receive([](const admin::listener_report&) {},
                 [&](caf::error&) {
                   spdlog::critical("client port {}:{} is not available", config.client_host, config.client_port);
                   exit_code = 1;
                 });
  }
  caf::actor watcher;
  if (exit_code == 0) {
    // A role that fails stops the server through the signal wait below, with a non-zero exit.
    auto role_failed = std::make_shared<std::atomic<bool>>(false);
    watcher = supervision::watch_roles(
        system,
        {{"sequencer", sequencer}, {"tree", tree}, {"session tracker", tracker}, {"watch manager", watches},
         {"log store", log}, {"snapshotter", snapshots}, {"client listener", listener}},
        [role_failed](const std::string& role, const std::string& reason) {
          spdlog::critical("the {} failed ({}); stopping the server, a restart recovers from disk", role, reason);
          *role_failed = true;
          kill(getpid(), SIGTERM);
        });
    spdlog::info("rookeryd serving (standalone, data dir {})", config.data_dir);
    int received = 0;
    sigwait(&signals, &received);
    if (*role_failed) exit_code = 1;
    else spdlog::info("signal {} received, shutting down", received);
  }
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
  for (const auto& role : {sequencer, tree, tracker, watches, log, snapshots}) caf::anon_send_exit(role, caf::exit_reason::user_shutdown);
  return exit_code;
}

}  // namespace rookery
