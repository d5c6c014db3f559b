// The sequencer and the tree under random interleavings of client requests, partial log
// flushes, failed log commits, expiries and closed connections (a seed reproduces a run).
// Whatever the interleaving: every connection is answered once per request, in the order it
// sent them, with zxids that never go back; every read shows exactly the tree at the zxid it
// carries; and the tree equals a replay of the txns the log kept.
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "runtime/zk/protocol.hpp"
#include "tests/unit/support/pipeline_harness.hpp"
#include "tests/unit/support/pipeline_messages.hpp"
#include "tests/unit/support/reply_frames.hpp"
#include "tests/unit/support/request_bodies.hpp"

using namespace rookery;
using namespace rookery::test;
using request::connection_id;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;
constexpr int64_t first_session = 0x0100000000000001;
constexpr int key_count = 6;
const std::string password(16, 'p');

std::string key(int k) { return "/k" + std::to_string(k); }

// What getData of each key shows at one zxid: nullopt if the node does not exist.
using keys_state = std::array<std::optional<std::string>, key_count>;

keys_state state_of(const storage::data_tree& tree) {
  keys_state state;
  for (int k = 0; k < key_count; ++k)
    if (const storage::znode* node = tree.find(key(k))) state[k] = node->data;
  return state;
}

struct sent_request {
  int32_t xid;
  int32_t opcode;
  int key;
};

struct connection {
  connection_id id = 0;
  int64_t session = 0;  // 0 until the connect result arrives
  bool open = true;
  bool sending = true;  // false once its session is expiring
  int32_t next_xid = 1;
  std::vector<sent_request> sent;
  std::vector<frame> received;
};

class random_run {
 public:
  explicit random_run(uint32_t seed)
      : random_(seed), core_(tree_, request::write_settings{}, request::read_settings{}, 0, first_session) {}

  void run(int steps) {
    for (int i = 0; i < 3; ++i) open_connection();
    for (int step = 0; step < steps; ++step) {
      const int dice = pick(100);
      if (dice < 55) send_request();
      else if (dice < 85) flush_some();
      else if (dice < 88) fail_log();
      else if (dice < 90) expire_one();
      else if (dice < 92) close_one();
      else if (dice < 94) open_connection();
      else flush_all();
    }
    flush_all();
  }

  void check() {
    check_replies();
    check_replay();
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  void take(pipeline_output& out) {
    for (auto& entry : out.to_log) log_[entry.zxid] = std::string(entry.txn->bytes());
    for (const auto& item : out.items) {
      auto reply = std::get_if<request::reply_item>(&item);
      if (!reply) continue;
      auto c = by_id_.find(reply->connection);
      REQUIRE(c != by_id_.end());
      INFO("connection " << reply->connection);
      REQUIRE(connections_[c->second].open);
      for (auto& f : frames_of(reply->frames)) connections_[c->second].received.push_back(std::move(f));
    }
    for (const auto& result : out.connects) {
      if (result.outcome != request::connect_result::status::accepted) continue;
      auto c = by_id_.find(result.connection);
      REQUIRE(c != by_id_.end());
      connections_[c->second].session = result.session;
    }
  }

  void open_connection() {
    connection c;
    c.id = next_connection_++;
    by_id_[c.id] = connections_.size();
    connections_.push_back(c);
    request::connect_request req;
    req.connection = c.id;
    req.timeout_ms = 10000;
    req.last_zxid_seen = core_.last_applied_zxid();
    pipeline_output out;
    connect_with(core_, req, password, t0, out);
    take(out);
  }

  connection* random_sender() {
    std::vector<connection*> ready;
    for (auto& c : connections_)
      if (c.open && c.sending && c.session != 0) ready.push_back(&c);
    if (ready.empty()) return nullptr;
    return ready[static_cast<std::size_t>(pick(static_cast<int>(ready.size())))];
  }

  void send_request() {
    connection* c = random_sender();
    if (!c) return;
    const int k = pick(key_count);
    request::client_request r;
    r.connection = c->id;
    r.session = c->session;
    r.xid = c->next_xid++;
    r.who = std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}});
    switch (pick(5)) {
      case 0:
        r.opcode = zk::op::create;
        r.body = create_body(key(k), "v" + std::to_string(r.xid), open_acl(), 0);
        break;
      case 1:
        r.opcode = zk::op::set_data;
        r.body = set_data_body(key(k), "s" + std::to_string(c->id) + "." + std::to_string(r.xid));
        break;
      case 2:
        r.opcode = zk::op::remove;
        r.body = delete_body(key(k));
        break;
      default:
        r.opcode = zk::op::get_data;
        r.body = watch_body(key(k));
        break;
    }
    c->sent.push_back({r.xid, r.opcode, k});
    pipeline_output out;
    submit_one(core_, r, t0, out);
    take(out);
  }

  void flush_some() {
    const int64_t applied = core_.last_applied_zxid();
    const int64_t proposed = core_.last_proposed_zxid();
    if (proposed == applied) return;
    pipeline_output out;
    core_.durable_through(applied + 1 + pick(static_cast<int>(proposed - applied)), out);
    take(out);
  }

  void flush_all() {
    pipeline_output out;
    core_.durable_through(core_.last_proposed_zxid(), out);
    take(out);
  }

  void fail_log() {
    const int64_t applied = core_.last_applied_zxid();
    const int64_t proposed = core_.last_proposed_zxid();
    if (proposed == applied) return;
    const int64_t first = applied + 1 + pick(static_cast<int>(proposed - applied));
    log_.erase(log_.lower_bound(first), log_.end());
    pipeline_output out;
    // The log commits in order: what precedes a failed batch is durable, and reported so first.
    core_.durable_through(first - 1, out);
    core_.abandon_from(first, out);
    take(out);
  }

  // The tracker's expiry: the connection sends nothing more (its server-side kick is the
  // session actor's business) and is closed once the close has gone through.
  void expire_one() {
    connection* c = random_sender();
    if (!c) return;
    c->sending = false;
    pipeline_output out;
    core_.expire_session(c->session, t0, out);
    take(out);
  }

  void close_one() {
    std::vector<connection*> open;
    for (auto& c : connections_)
      if (c.open) open.push_back(&c);
    if (open.size() <= 1) return;
    connection* c = open[static_cast<std::size_t>(pick(static_cast<int>(open.size())))];
    c->open = false;
    pipeline_output out;
    core_.connection_closed(c->id, out);
    take(out);
  }

  // Answers come once per request, in order, with zxids that never go back, and each read
  // shows the tree exactly as it was at its zxid.
  void check_replies() {
    std::map<int64_t, keys_state> states = states_by_zxid();
    for (const auto& c : connections_) {
      INFO("connection " << c.id << (c.open ? " open" : " closed"));
      // A closed connection may lose the answers still in flight; an open one none.
      if (c.open) REQUIRE(c.received.size() == c.sent.size());
      REQUIRE(c.received.size() <= c.sent.size());
      int64_t last_zxid = 0;
      for (std::size_t i = 0; i < c.received.size(); ++i) {
        const frame& f = c.received[i];
        const sent_request& asked = c.sent[i];
        INFO("reply " << i << " xid " << f.xid << " zxid " << f.zxid << " err " << f.err);
        REQUIRE(f.xid == asked.xid);
        REQUIRE(f.zxid >= last_zxid);
        last_zxid = f.zxid;
        if (f.err == zk::err::session_expired) {
          CHECK_FALSE(c.sending);  // only a session whose close was proposed
          continue;
        }
        if (asked.opcode != zk::op::get_data) continue;
        auto at = states.upper_bound(f.zxid);
        REQUIRE(at != states.begin());
        const auto& expected = std::prev(at)->second[asked.key];
        if (!expected) {
          CHECK(f.err == zk::err::no_node);
          continue;
        }
        REQUIRE(f.err == zk::err::ok);
        jute::reader body(f.body);
        CHECK(body.read_buffer() == expected);
      }
    }
  }

  // The keys as each committed txn left them, by replaying what the log kept.
  std::map<int64_t, keys_state> states_by_zxid() const {
    storage::data_tree replayed;
    pipeline_harness replay(replayed, request::write_settings{}, request::read_settings{}, 0, first_session);
    std::map<int64_t, keys_state> states{{0, state_of(replayed)}};
    for (const auto& [zxid, bytes] : log_) {
      if (zxid > core_.last_applied_zxid()) break;
      replay.replay(*request::txn_buffer::copy_of(bytes));
      states[zxid] = state_of(replayed);
    }
    return states;
  }

  void check_replay() {
    REQUIRE(core_.last_applied_zxid() == core_.last_proposed_zxid());
    REQUIRE(static_cast<int64_t>(log_.size()) == core_.last_applied_zxid());
    storage::data_tree replayed;
    pipeline_harness replay(replayed, request::write_settings{}, request::read_settings{}, 0, first_session);
    for (const auto& [zxid, bytes] : log_) replay.replay(*request::txn_buffer::copy_of(bytes));
    CHECK(state_of(replayed) == state_of(tree_));
    CHECK(replayed.node_count() == tree_.node_count());
    CHECK(replayed.sessions().size() == tree_.sessions().size());
  }

  std::mt19937 random_;
  storage::data_tree tree_;
  pipeline_harness core_;
  std::vector<connection> connections_;
  std::map<connection_id, std::size_t> by_id_;
  connection_id next_connection_ = 1;
  std::map<int64_t, std::string> log_;  // what the log holds: zxid -> txn bytes
};

}  // namespace

TEST_CASE("random interleavings keep order, read-your-writes and replay equality") {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    INFO("seed " << seed);
    random_run run(seed);
    run.run(1500);
    run.check();
  }
}
