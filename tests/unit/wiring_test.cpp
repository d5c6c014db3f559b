// The roles of a standalone server wired as runtime/bootstrap.cpp wires them (request
// sequencer, tree, watch manager, session tracker, log store, snapshotter), run on CAF's
// deterministic scheduler with manual time. A scripted actor stands in for each session
// actor: it sends what a session actor sends and writes down what it is sent, which the
// tests read as the client's transcript. The core tests cannot see this: which role tells
// which, in what order, and what arrives where once messages interleave across actors.
//
// Every test runs under several delivery orders: order 0 is CAF's own (first come, first
// served), every other order is a seeded random pick among the actors with mail, one
// message at a time. Only what CAF promises (one sender's messages to one receiver stay in
// order) holds in all of them, so a test that passes under all orders relies on nothing else.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "actors/log/log_actor.hpp"
#include "actors/messages.hpp"
#include "actors/request/sequencer_actor.hpp"
#include "actors/request/tree_actor.hpp"
#include "actors/session/tracker_actor.hpp"
#include "actors/snapshot/snapshotter.hpp"
#include "actors/watch/watch_manager.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/protocol.hpp"
#include "storage/data_tree.hpp"
#include "storage/lmdb_env.hpp"
#include "storage/txn_journal.hpp"
#include "tests/unit/support/file_size_limit.hpp"
#include "tests/unit/support/reply_frames.hpp"
#include "tests/unit/support/request_bodies.hpp"

using namespace rookery;
using namespace std::chrono_literals;
using request::connection_id;
namespace op = zk::op;

namespace {

using lines = std::vector<std::string>;
using zxids = std::vector<int64_t>;
using session_ids = std::set<int64_t>;

// ZooKeeper's default tickTime, and the shortest session timeout it negotiates (2 ticks).
constexpr auto tick = 2000ms;
constexpr auto session_timeout = 4000ms;
// The sequencer hands out session ids from here.
constexpr int64_t first_session_id = 0x100;

// Test -> scripted actors: what to do next.
using say_atom = caf::atom_constant<caf::atom("say")>;
using ask_tree_atom = caf::atom_constant<caf::atom("asktree")>;
using ask_tracker_atom = caf::atom_constant<caf::atom("asktracker")>;

// An actor's state, read by the test between runs: the test coordinator runs every actor on
// this thread, and only when the test asks it to.
template <class State>
State& state_of(const caf::actor& handle) {
  auto* self = dynamic_cast<caf::stateful_actor<State>*>(caf::actor_cast<caf::abstract_actor*>(handle));
  REQUIRE(self != nullptr);
  return self->state;
}

// ---------------------------------------------------------------------------------------
// The scripted session actor.

struct received {
  enum class kind { connected, connect_invalid, connect_refused, frames, kicked };
  explicit received(kind k, std::string delivered = {}) : what(k), frames(std::move(delivered)) {}
  kind what;
  int64_t session = 0;
  std::string password;
  std::string frames;  // replies and events, as the session actor would write them out
};

struct session_probe_state {
  std::vector<received> inbox;
  static inline const char* name = "session-probe";
};

caf::behavior session_probe(caf::stateful_actor<session_probe_state>* self) {
  return {
      // Sent when it is this actor's turn, like everything a session actor sends.
      [=](say_atom, const caf::actor& to, caf::message& what) { self->send(to, std::move(what)); },
      [=](connect_atom, const request::connect_result_message& message) {
        auto read = message.read();
        auto result = read.root();
        received r(received::kind::connect_refused);
        if (result.getOutcome() == schema::ConnectResult::Outcome::INVALID) r.what = received::kind::connect_invalid;
        if (result.getOutcome() == schema::ConnectResult::Outcome::ACCEPTED) {
          r.what = received::kind::connected;
          r.session = result.getSession();
          r.password = std::string(as_chars(result.getPassword()));
        }
        self->state.inbox.push_back(std::move(r));
      },
      [=](deliver_atom, const watch::deliveries_message& message) {
        auto read = message.read();
        for (auto delivery : read.root().getItems())
          self->state.inbox.emplace_back(received::kind::frames, std::string(as_chars(delivery.getFrames())));
      },
      [=](kick_atom) { self->state.inbox.emplace_back(received::kind::kicked); },
  };
}

// ---------------------------------------------------------------------------------------
// Stand-ins for the log store and for whoever asks for the four-letter words' figures.

// Holds what it is appended until the test says the disk has it, then reports it durable
// as the log store does after a commit.
using disk_ok_atom = caf::atom_constant<caf::atom("diskok")>;

struct scripted_log_state {
  zxids held;
  caf::actor proposer;
  static inline const char* name = "scripted-log";
};

caf::behavior scripted_log(caf::stateful_actor<scripted_log_state>* self) {
  return {
      [=](append_atom, const shared_log_batch& entries) {
        self->state.proposer = caf::actor_cast<caf::actor>(self->current_sender());
        for (const auto& entry : *entries) self->state.held.push_back(entry.zxid);
      },
      [=](disk_ok_atom) {
        auto& st = self->state;
        if (st.held.empty()) return;
        self->send(st.proposer, durable_atom::value, st.held.back());
        st.held.clear();
      },
  };
}

struct figures_probe_state {
  std::optional<request::tree_stats> tree;
  caf::actor tree_answered_by;
  std::optional<expiry_buckets> buckets;
  static inline const char* name = "figures-probe";
};

// Asks as a session actor answering a four-letter word does.
caf::behavior figures_probe(caf::stateful_actor<figures_probe_state>* self) {
  return {
      [=](ask_tree_atom, const caf::actor& sequencer) {
        self->request(sequencer, caf::infinite, stats_atom::value, true).then([=](request::tree_stats& stats) {
          self->state.tree = std::move(stats);
          self->state.tree_answered_by = caf::actor_cast<caf::actor>(self->current_sender());
        });
      },
      [=](ask_tracker_atom, const caf::actor& tracker) {
        self->request(tracker, caf::infinite, stats_atom::value).then([=](expiry_buckets& buckets) {
          self->state.buckets = std::move(buckets);
        });
      },
  };
}

// ---------------------------------------------------------------------------------------
// The server.

// The real log store on its journal, or the scripted one that lets the test decide when
// writes become durable.
enum class durability { journal, scripted };

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rookery-wiring-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Tests that fill the disk let no file grow past this (test::file_size_limit).
constexpr int64_t disk_room_bytes = 1 << 20;

std::shared_ptr<storage::lmdb_env> open_env(const temp_dir& dir) {
  storage::lmdb_options options;
  options.directory = dir.path();
  options.map_initial_bytes = disk_room_bytes;
  options.map_max_bytes = disk_room_bytes;
  return std::make_shared<storage::lmdb_env>(options);
}

std::shared_ptr<storage::txn_journal> open_journal(const temp_dir& dir) {
  storage::journal_options options;
  options.directory = dir.path() + "/log";
  // Small steps, so a write that cannot fit is one that needs the file grown.
  options.preallocate_bytes = 64 << 10;
  return std::make_shared<storage::txn_journal>(options);
}

caf::actor_system_config& deterministic(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

class test_client;

class standalone_server {
  // Declared first, so that they outlive every actor handle.
  temp_dir data_dir_;
  std::shared_ptr<storage::lmdb_env> env_;
  std::shared_ptr<storage::txn_journal> journal_;
  caf::actor_system_config cfg_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  // Absent for CAF's own order.
  std::optional<std::mt19937> shuffle_;
  bool scripted_;

 public:
  standalone_server(durability store, uint32_t order)
      : env_(open_env(data_dir_)),
        journal_(open_journal(data_dir_)),
        system_(deterministic(cfg_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())),
        shuffle_(order == 0 ? std::nullopt : std::optional<std::mt19937>(order)),
        scripted_(store == durability::scripted) {
    // The roles log expiries and refused writes; the transcripts are what the tests check.
    spdlog::set_level(spdlog::level::off);
    server_config config;
    config.tick_time_ms = static_cast<int32_t>(tick.count());
    // A fresh data dir: an empty tree at zxid 0, as bootstrap recovers it.
    auto recovered = std::make_shared<request::recovered_tree>();
    recovered->tree = std::make_unique<storage::data_tree>();
    recovered->machine = std::make_unique<request::tree_core>(*recovered->tree, request::read_settings{}, 0);
    request::sequencer_core sequencer_core(request::write_settings{}, 0, first_session_id, {});

    // Spawned as bootstrap spawns them, except that nothing is detached: the test
    // coordinator runs only actors it schedules.
    watches = system_.spawn(watch::watch_manager);
    tracker = system_.spawn(session::tracker_actor, config.tick_time_ms);
    log = scripted_ ? system_.spawn(scripted_log) : system_.spawn(log::log_actor, journal_, int64_t{0});
    snapshots = system_.spawn(snapshot::snapshotter, env_, log);
    tree = system_.spawn(request::tree_actor, recovered, request::tree_roles{watches, tracker, snapshots}, config);
    sequencer = system_.spawn(request::sequencer_actor, std::move(sequencer_core),
                              request::sequencer_roles{tree, log, tracker}, config);
    caf::anon_send(tracker, sequencer);
    figures_ = system_.spawn(figures_probe);
    run();
  }

  // The actor system's destructor waits for every actor to finish, and under the test
  // coordinator nothing runs unless the test runs it.
  ~standalone_server() {
    for (const auto& actor : {sequencer, tree, tracker, watches, log, snapshots, figures_})
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    for (const auto& actor : clients_) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    run();
  }

  standalone_server(const standalone_server&) = delete;
  standalone_server& operator=(const standalone_server&) = delete;

  // A connection that has said nothing yet.
  test_client client(connection_id id);
  // A connection with a new session it holds, as a session actor has it once connected.
  test_client connected_client(connection_id id);

  // Delivers messages until none is left; timers wait for advance().
  void run() {
    while (sched_.has_job()) {
      if (shuffle_) {
        std::uniform_int_distribution<std::size_t> pick(0, sched_.jobs.size() - 1);
        auto next = sched_.jobs.begin() + static_cast<std::ptrdiff_t>(pick(*shuffle_));
        std::rotate(sched_.jobs.begin(), next, next + 1);
      }
      sched_.run_once();
    }
  }

  // Moves manual time on, a tick at most at a time so that every timer due fires on time.
  void advance(std::chrono::milliseconds by) {
    while (by.count() > 0) {
      const auto step = std::min(by, std::chrono::milliseconds(tick));
      sched_.advance_time(step);
      run();
      by -= step;
    }
  }

  // The scripted log store: what it holds, and the disk confirming all of it.
  zxids log_holds() { return state_of<scripted_log_state>(log).held; }
  void disk_confirms() { caf::anon_send(log, disk_ok_atom::value); }

  // Runs until everything written is durable and answered.
  void settle() {
    run();
    while (scripted_ && !log_holds().empty()) {
      disk_confirms();
      run();
    }
  }

  struct tree_figures {
    request::tree_stats stats;
    caf::actor answered_by;
  };
  // What the sequencer answers a four-letter word, delegating to the tree.
  tree_figures tree_stats() {
    auto& st = state_of<figures_probe_state>(figures_);
    st.tree.reset();
    caf::anon_send(figures_, ask_tree_atom::value, sequencer);
    run();
    REQUIRE(st.tree);
    return {*st.tree, st.tree_answered_by};
  }

  // The sessions the tracker watches for expiry.
  session_ids tracked_sessions() {
    auto& st = state_of<figures_probe_state>(figures_);
    st.buckets.reset();
    caf::anon_send(figures_, ask_tracker_atom::value, tracker);
    run();
    REQUIRE(st.buckets);
    session_ids ids;
    for (const auto& [deadline, sessions] : *st.buckets) ids.insert(sessions.begin(), sessions.end());
    return ids;
  }

  caf::actor watches, tracker, log, snapshots, tree, sequencer;

 private:
  caf::actor figures_;
  std::vector<caf::actor> clients_;
};

// ---------------------------------------------------------------------------------------
// Requests, encoded as a client sends them (tests/unit/support/request_bodies.hpp).

struct client_op {
  int32_t opcode;
  std::string body;
};

client_op create(std::string_view path, std::string data, int32_t flags = zk::create_flags::persistent) {
  return {op::create, test::create_body(path, std::move(data), test::open_acl(), flags)};
}
client_op get_data(std::string_view path, bool watch = false) { return {op::get_data, test::watch_body(path, watch)}; }
client_op exists(std::string_view path, bool watch = false) { return {op::exists, test::watch_body(path, watch)}; }
client_op set_data(std::string_view path, std::string data) {
  return {op::set_data, test::set_data_body(path, std::move(data))};
}

std::string op_name(int32_t opcode) {
  switch (opcode) {
    case op::create: return "create";
    case op::get_data: return "getData";
    case op::exists: return "exists";
    case op::set_data: return "setData";
    default: return std::to_string(opcode);
  }
}

std::string error_name(int32_t err) {
  switch (err) {
    case zk::err::system_error: return "SYSTEMERROR";
    case zk::err::no_node: return "NONODE";
    case zk::err::session_expired: return "SESSIONEXPIRED";
    default: return "error " + std::to_string(err);
  }
}

std::string event_name(int32_t type) {
  switch (type) {
    case 1: return "NodeCreated";
    case 2: return "NodeDeleted";
    case 3: return "NodeDataChanged";
    case 4: return "NodeChildrenChanged";
    default: return std::to_string(type);
  }
}

std::string hex(int64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// One connection, scripted: what its session actor sends, and what it was sent as
// transcript lines ("reply 2 getData: zxid 3, data v1", "event NodeDeleted /e", "kicked").
class test_client {
 public:
  test_client(standalone_server& server, connection_id id, caf::actor probe)
      : server_(&server), id_(id), probe_(std::move(probe)) {}

  // A session actor's first message, sent when its connection is accepted.
  void hello() { say(server_->sequencer, hello_atom::value, id_, probe_); }

  void connect() { send_connect(0, std::string()); }
  void reattach(int64_t session, const std::string& password) { send_connect(session, password); }

  // A session actor claims the session it was given, so that the tracker can close it.
  void claim() { say(server_->tracker, claim_atom::value, session(), id_); }

  // The session is alive: a session actor tells the tracker as requests (pings too) come in.
  void touch() { say(server_->tracker, touch_atom::value, session()); }

  // Pipelined: one batch, as from one read of the client's socket.
  void send(const std::vector<client_op>& ops) {
    touch();
    std::vector<request::client_request> batch;
    for (const auto& o : ops) {
      request::client_request r;
      r.connection = id_;
      r.session = session();
      r.xid = next_xid_++;
      r.opcode = o.opcode;
      r.body = o.body;
      r.who = who_;
      opcodes_[r.xid] = r.opcode;
      batch.push_back(std::move(r));
    }
    say(server_->sequencer, request_atom::value, request::encode_request_batch(batch, identities_sent_));
  }

  // The session actor's last messages when its connection ends.
  void bye() {
    say(server_->sequencer, bye_atom::value, id_);
    say(server_->tracker, release_atom::value, session(), id_);
  }

  // What arrived since the last call.
  lines take() {
    const auto& inbox = state_of<session_probe_state>(probe_).inbox;
    lines out;
    for (; taken_ < inbox.size(); ++taken_) {
      const received& r = inbox[taken_];
      switch (r.what) {
        case received::kind::connected: out.push_back("connected " + hex(r.session)); break;
        case received::kind::connect_invalid: out.push_back("connect invalid"); break;
        case received::kind::connect_refused: out.push_back("connect refused"); break;
        case received::kind::kicked: out.push_back("kicked"); break;
        case received::kind::frames:
          for (const auto& f : test::frames_of(r.frames)) out.push_back(describe(f));
          break;
      }
    }
    return out;
  }

  // The last session this connection was given.
  int64_t session() const { return last_connected().session; }
  std::string password() const { return last_connected().password; }

 private:
  template <class... Ts>
  void say(const caf::actor& to, Ts&&... xs) {
    caf::anon_send(probe_, say_atom::value, to, caf::make_message(std::forward<Ts>(xs)...));
  }

  void send_connect(int64_t session, const std::string& password) {
    request::connect_request c;
    c.connection = id_;
    c.session = session;
    c.password = password;
    c.timeout_ms = static_cast<int32_t>(session_timeout.count());
    say(server_->sequencer, connect_atom::value, request::encode_connect_request(c));
  }

  received last_connected() const {
    const auto& inbox = state_of<session_probe_state>(probe_).inbox;
    auto it = std::find_if(inbox.rbegin(), inbox.rend(), [](const received& r) {
      return r.what == received::kind::connected;
    });
    return it == inbox.rend() ? received(received::kind::connected) : *it;
  }

  std::string describe(const test::frame& f) const {
    jute::reader body(f.body);
    if (f.xid == zk::xid::notification) {
      const int32_t type = body.read_int();
      body.read_int();  // keeper state
      return "event " + event_name(type) + " " + body.read_ustring();
    }
    auto opcode = opcodes_.find(f.xid);
    std::string line = "reply " + std::to_string(f.xid) + " " +
                       (opcode == opcodes_.end() ? "?" : op_name(opcode->second)) + ": zxid " + std::to_string(f.zxid);
    if (f.err != zk::err::ok) return line + ", " + error_name(f.err);
    if (opcode != opcodes_.end() && opcode->second == op::get_data)
      line += ", data " + body.read_buffer().value_or("(null)");
    return line;
  }

  standalone_server* server_;
  connection_id id_;
  caf::actor probe_;
  std::shared_ptr<const acl::identities> who_ =
      std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}});
  std::shared_ptr<const acl::identities> identities_sent_;
  int32_t next_xid_ = 1;
  std::map<int32_t, int32_t> opcodes_;
  std::size_t taken_ = 0;
};

test_client standalone_server::client(connection_id id) {
  clients_.push_back(system_.spawn(session_probe));
  return test_client(*this, id, clients_.back());
}

test_client standalone_server::connected_client(connection_id id) {
  test_client c = client(id);
  c.hello();
  c.connect();
  settle();
  const lines connected = c.take();
  REQUIRE(connected.size() == 1);
  REQUIRE(connected.front().rfind("connected ", 0) == 0);
  c.claim();
  run();
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------

TEST_CASE("a connection's hello reaches the tree and the watch manager before its first reply and its session "
          "exists only once the log has it") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  standalone_server server(durability::scripted, order);
  test_client c1 = server.client(1);

  c1.hello();
  c1.connect();
  server.run();
  // The createSession txn waits for the disk: no session anywhere yet.
  CHECK(server.log_holds() == zxids{1});
  CHECK(c1.take().empty());
  CHECK(server.tree_stats().stats.sessions == 0);
  CHECK(server.tracked_sessions().empty());

  server.disk_confirms();
  server.run();
  // The tree answers the session actor it heard of in the hello, and tells the tracker.
  CHECK(c1.take() == lines{"connected 0x100"});
  CHECK(server.tree_stats().stats.sessions == 1);
  CHECK(server.tracked_sessions() == session_ids{0x100});

  // The first reply goes through the watch manager, which knows the connection by now.
  c1.claim();
  c1.send({exists("/")});
  server.run();
  CHECK(c1.take() == lines{"reply 1 exists: zxid 1"});
}

TEST_CASE("a read pipelined behind a write of its connection is answered after it at a zxid not older") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  // The real log store: its group commits fall differently under each order.
  standalone_server server(durability::journal, order);
  test_client c1 = server.connected_client(1);  // session created at zxid 1

  c1.send({create("/a", "v1"), get_data("/a")});
  c1.send({get_data("/a")});
  c1.send({set_data("/a", "v2"), get_data("/a"), exists("/a")});
  c1.send({get_data("/a")});
  c1.send({set_data("/a", "v3")});
  c1.send({get_data("/a")});
  server.run();
  CHECK(c1.take() == lines{
                         "reply 1 create: zxid 2",
                         "reply 2 getData: zxid 2, data v1",
                         "reply 3 getData: zxid 2, data v1",
                         "reply 4 setData: zxid 3",
                         "reply 5 getData: zxid 3, data v2",
                         "reply 6 exists: zxid 3",
                         "reply 7 getData: zxid 3, data v2",
                         "reply 8 setData: zxid 4",
                         "reply 9 getData: zxid 4, data v3",
                     });
}

TEST_CASE("a watch event reaches the connection before the reply of any later read that reflects the change") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  standalone_server server(durability::scripted, order);
  test_client c1 = server.connected_client(1);  // zxid 1
  test_client c2 = server.connected_client(2);  // zxid 2

  c1.send({create("/a", "v1"), get_data("/a", true)});
  server.settle();
  CHECK(c1.take() == lines{"reply 1 create: zxid 3", "reply 2 getData: zxid 3, data v1"});

  // The connection's own write: the event comes first, then the write's reply, then the read.
  c1.send({set_data("/a", "v2"), get_data("/a", true)});
  server.settle();
  CHECK(c1.take() == lines{"event NodeDataChanged /a", "reply 3 setData: zxid 4", "reply 4 getData: zxid 4, data v2"});

  // Another connection's write becomes durable while c1's read is on its way: the read may
  // be served before the commit or after it, but never shows v3 ahead of the event.
  c2.send({set_data("/a", "v3")});
  server.run();
  REQUIRE(server.log_holds() == zxids{5});
  server.disk_confirms();
  c1.send({get_data("/a")});
  server.run();
  const std::vector<lines> allowed = {
      {"reply 5 getData: zxid 4, data v2", "event NodeDataChanged /a"},
      {"event NodeDataChanged /a", "reply 5 getData: zxid 5, data v3"},
  };
  const lines seen = c1.take();
  INFO("c1 saw: " << Catch::Detail::stringify(seen));
  CHECK(std::find(allowed.begin(), allowed.end(), seen) != allowed.end());
  CHECK(c2.take() == lines{"reply 1 setData: zxid 5"});
}

TEST_CASE("a write the log cannot persist is answered SYSTEMERROR and the next write reuses its zxid") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  // The real log store on a full disk: a write that needs the file grown fails its commit.
  standalone_server server(durability::journal, order);
  test::file_size_limit full_disk(disk_room_bytes);
  test_client c1 = server.connected_client(1);  // zxid 1
  const std::string too_big(disk_room_bytes, 'x');

  c1.send({create("/a", "v1")});
  server.run();
  CHECK(c1.take() == lines{"reply 1 create: zxid 2"});

  // Refused in its place; the read behind it sees the tree without it.
  c1.send({set_data("/a", too_big), get_data("/a")});
  server.run();
  CHECK(c1.take() == lines{"reply 2 setData: zxid 2, SYSTEMERROR", "reply 3 getData: zxid 2, data v1"});
  c1.send({set_data("/a", "v2")});
  server.run();
  CHECK(c1.take() == lines{"reply 4 setData: zxid 3"});

  // A write right behind the failing one: proposed before the failure is known, it is
  // refused too, whether it shared the failed commit or reached the log after it (then the
  // log must drop it: landing behind the gap, it would make the log refuse every write
  // after it); proposed after, it takes the refused zxid. Either way the server goes on.
  c1.send({set_data("/a", too_big)});
  c1.send({set_data("/a", "v3")});
  server.run();
  c1.send({get_data("/a"), set_data("/a", "v4")});
  server.run();
  const std::vector<lines> allowed = {
      {"reply 5 setData: zxid 3, SYSTEMERROR", "reply 6 setData: zxid 3, SYSTEMERROR",
       "reply 7 getData: zxid 3, data v2", "reply 8 setData: zxid 4"},
      {"reply 5 setData: zxid 3, SYSTEMERROR", "reply 6 setData: zxid 4", "reply 7 getData: zxid 4, data v3",
       "reply 8 setData: zxid 5"},
  };
  const lines seen = c1.take();
  INFO("c1 saw: " << Catch::Detail::stringify(seen));
  CHECK(std::find(allowed.begin(), allowed.end(), seen) != allowed.end());
}

TEST_CASE("nothing reaches a connection after its bye and an expired session's holder is kicked and its ephemerals "
          "go with the closeSession's commit") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  standalone_server server(durability::scripted, order);
  test_client watcher = server.connected_client(1);  // session 0x100, zxid 1
  test_client c2 = server.connected_client(2);       // session 0x101, zxid 2

  c2.send({create("/e", "v1", zk::create_flags::ephemeral), exists("/e", true)});
  server.settle();
  CHECK(c2.take() == lines{"reply 1 create: zxid 3", "reply 2 exists: zxid 3"});
  watcher.send({exists("/e", true)});
  server.settle();
  CHECK(watcher.take() == lines{"reply 1 exists: zxid 3"});

  // c2's connection ends with a write in flight that fires its own watch: neither the reply
  // nor the event reaches it. Its session outlives the connection.
  c2.send({set_data("/e", "v2")});
  c2.bye();
  server.settle();
  CHECK(c2.take().empty());
  CHECK(watcher.take() == lines{"event NodeDataChanged /e"});
  watcher.send({exists("/e", true)});
  server.settle();
  CHECK(watcher.take() == lines{"reply 2 exists: zxid 4"});

  // The client re-attaches on a new connection, then goes silent.
  test_client c3 = server.client(3);
  c3.hello();
  c3.reattach(c2.session(), c2.password());
  server.run();
  CHECK(c3.take() == lines{"connected 0x101"});
  c3.claim();
  server.run();

  // Expiry comes between the timeout and one tick after it. The watcher's client pings.
  server.advance(session_timeout);
  watcher.touch();
  server.run();
  CHECK(c3.take().empty());
  CHECK(server.log_holds().empty());
  server.advance(tick);
  CHECK(c3.take() == lines{"kicked"});
  CHECK(server.log_holds() == zxids{5});  // the closeSession
  CHECK(server.tree_stats().stats.ephemerals == 1);

  server.disk_confirms();
  server.run();
  CHECK(watcher.take() == lines{"event NodeDeleted /e"});
  const auto after = server.tree_stats().stats;
  CHECK(after.ephemerals == 0);
  CHECK(after.sessions == 1);
  CHECK(server.tracked_sessions() == session_ids{0x100});
  CHECK(c2.take().empty());
  CHECK(c3.take().empty());
}

TEST_CASE("the sequencer's stats request is answered by the tree with the sequencer's outstanding count") {
  const uint32_t order = GENERATE(range(0u, 16u));
  INFO("delivery order " << order);
  standalone_server server(durability::scripted, order);
  test_client c1 = server.connected_client(1);  // zxid 1

  c1.send({create("/a", "v1"), create("/b", "v1")});
  server.run();
  REQUIRE(server.log_holds() == zxids{2, 3});
  const auto waiting = server.tree_stats();
  CHECK(waiting.answered_by == server.tree);
  CHECK(waiting.stats.outstanding == 2);
  CHECK(waiting.stats.last_zxid == 1);
  CHECK(waiting.stats.sessions == 1);

  server.disk_confirms();
  server.run();
  const auto committed = server.tree_stats();
  CHECK(committed.answered_by == server.tree);
  CHECK(committed.stats.outstanding == 0);
  CHECK(committed.stats.last_zxid == 3);
  CHECK(committed.stats.node_count == waiting.stats.node_count + 2);
  CHECK(c1.take() == lines{"reply 1 create: zxid 2", "reply 2 create: zxid 3"});
}
