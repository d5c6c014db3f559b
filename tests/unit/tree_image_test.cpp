// The tree's on-disk image: a tree built through the request pipeline (as clients build it)
// is encoded with take_image_batch, written with snapshot_image, read back with load_image,
// and must come back identical: every node's Stat (visible cversion, pzxid, numChildren,
// ephemeralOwner), data (null vs empty), ACL and children; the sessions with their timeout,
// password and ephemerals; the container and TTL sets. Image + log replay must reach the same
// tree as the live server.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "actors/request/txn_buffer.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/protocol.hpp"
#include "storage/data_tree.hpp"
#include "storage/lmdb_env.hpp"
#include "storage/txn_journal.hpp"
#include "storage/snapshot_image.hpp"
#include "storage/tree_image.hpp"
#include "tests/unit/support/pipeline_harness.hpp"
#include "tests/unit/support/pipeline_messages.hpp"
#include "tests/unit/support/reply_frames.hpp"
#include "tests/unit/support/request_bodies.hpp"

using namespace rookery;
using namespace rookery::test;
using request::connection_id;
namespace op = zk::op;
namespace err = zk::err;
namespace fs = std::filesystem;

namespace {

constexpr int64_t first_session = 0x0100000000000001;
constexpr int64_t t0 = 1'700'000'000'000;
// §11.3, observed: digest of "user:pw".
const std::string user_digest = "user:2Om+GBbT2q/tS6pdvACZbbm7/1A=";

std::string binary_blob(std::size_t n, int seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed) * 7) & 0xff);
  return s;
}

// ---------------------------------------------------------------------------------------
// Storage in a fresh directory per test, removed at the end; the environment can be closed
// and reopened to simulate a restart.

struct temp_store {
  fs::path root;
  std::unique_ptr<storage::lmdb_env> env;
  std::unique_ptr<storage::txn_journal> log;
  std::unique_ptr<storage::snapshot_image> image;

  temp_store() {
    std::string tmpl = "/tmp/rookery-tree-image-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
    open();
  }
  ~temp_store() {
    close();
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void open() {
    env = std::make_unique<storage::lmdb_env>(storage::lmdb_options{(root / "data").string()});
    // Small segments, so the image covers whole ones and some are deleted.
    log = std::make_unique<storage::txn_journal>(storage::journal_options{(root / "log").string(), 8 << 10, 4 << 10});
    image = std::make_unique<storage::snapshot_image>(*env);
  }
  void close() {
    image.reset();
    log.reset();
    env.reset();
  }
  void reopen() {
    close();
    open();
  }
};

// ---------------------------------------------------------------------------------------
// A server (sequencer + tree) that logs every txn like the sequencer actor does: to the log
// store when one is attached, and to an in-memory copy of the whole history.

std::shared_ptr<const acl::identities> with_digest() {
  return std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}, {"digest", user_digest}});
}

struct session_handle {
  connection_id conn = 0;
  int64_t id = 0;
  std::string password;
  int32_t timeout_ms = 0;
};

struct server {
  storage::data_tree tree;
  pipeline_harness core;
  storage::txn_journal* log = nullptr;
  std::vector<std::pair<int64_t, std::string>> history;  // every logged txn, in zxid order
  int64_t now = t0;
  connection_id next_connection = 1;
  int32_t next_xid = 1;

  explicit server(int64_t last_zxid = 0, int64_t first_session_id = first_session)
      : core(tree, request::write_settings{true}, request::read_settings{}, last_zxid, first_session_id) {}

  void commit(pipeline_output& out) {
    std::vector<storage::log_record> batch;
    for (const auto& entry : out.to_log) {
      history.emplace_back(entry.zxid, std::string(entry.txn->bytes()));
      batch.push_back({entry.zxid, entry.txn->bytes()});
    }
    if (log && !batch.empty()) log->append(batch);
    core.durable_through(core.last_proposed_zxid(), out);
  }

  session_handle open_session(int32_t timeout_ms, std::string password) {
    session_handle h;
    h.conn = next_connection++;
    h.password = std::move(password);
    h.timeout_ms = timeout_ms;
    request::connect_request req;
    req.connection = h.conn;
    req.timeout_ms = timeout_ms;
    req.last_zxid_seen = core.last_applied_zxid();
    pipeline_output out;
    connect_with(core, req, h.password, now, out);
    commit(out);
    REQUIRE(out.connects.size() == 1);
    REQUIRE(out.connects[0].outcome == request::connect_result::status::accepted);
    h.id = out.connects[0].session;
    now += 3;
    return h;
  }

  // Re-attaches an existing session from a new connection (no txn).
  request::connect_result::status reattach(int64_t session, const std::string& password) {
    request::connect_request req;
    req.connection = next_connection++;
    req.session = session;
    req.password = password;
    req.timeout_ms = 5000;
    req.last_zxid_seen = core.last_applied_zxid();
    pipeline_output out;
    connect_with(core, req, "unused", now, out);
    REQUIRE(out.connects.size() == 1);
    return out.connects[0].outcome;
  }

  frame call(const session_handle& s, int32_t opcode, std::string body) {
    request::client_request r;
    r.connection = s.conn;
    r.session = s.id;
    r.xid = next_xid++;
    r.opcode = opcode;
    r.body = std::move(body);
    r.who = with_digest();
    pipeline_output out;
    submit_one(core, r, now, out);
    commit(out);
    now += 7;  // every txn at its own time, so ctime and mtime tell them apart
    for (const auto& item : out.items) {
      auto* reply = std::get_if<request::reply_item>(&item);
      if (reply && reply->connection == s.conn) return frames_of(reply->frames).at(0);
    }
    FAIL("no reply");
    return {};
  }

  // A write that must succeed.
  std::string ok(const session_handle& s, int32_t opcode, std::string body) {
    frame f = call(s, opcode, std::move(body));
    INFO("opcode " << opcode);
    REQUIRE(f.err == err::ok);
    return f.body;
  }
  // A create that must succeed; returns the created path.
  std::string create(const session_handle& s, std::string_view path, std::optional<std::string> data,
                     int32_t flags = 0, const acl::list& acl = open_acl(), int32_t opcode = op::create) {
    std::string body = ok(s, opcode, create_body(path, std::move(data), acl, flags));
    jute::reader r(body);
    return r.read_ustring();
  }

  void expire(int64_t session) {
    pipeline_output out;
    core.expire_session(session, now, out);
    commit(out);
    now += 5;
  }
  void reap() {
    pipeline_output out;
    core.reap(now, out);
    commit(out);
    now += 5;
  }

  int64_t zxid() const { return core.last_applied_zxid(); }
};

// ---------------------------------------------------------------------------------------
// The scenario: every kind of node and change, in two parts so an image can be taken between.

const std::string nul_digest("us\0er:2Om+GBbT2q/tS6pdvACZbbm7/1A=", 34);
const std::string long_name = "/long-" + std::string(600, 'L');  // longer than LMDB's 511-byte key limit

struct scenario {
  session_handle a, b, c, d;
  std::string seq_kept, seq_dropped, seq_later;
  std::vector<std::string> locks;
  std::string ttl_seq;
};

void build_first_part(server& s, scenario& sc) {
  sc.a = s.open_session(10000, std::string(16, 'A'));
  sc.b = s.open_session(30000, binary_blob(16, 2));
  sc.c = s.open_session(4000, std::string(16, '\0'));
  sc.d = s.open_session(6000, "short-password");

  // Persistent nodes; data null, empty, binary.
  s.create(sc.a, "/app", std::string("root-data"));
  s.create(sc.a, "/app/config", std::nullopt);
  s.create(sc.a, "/app/empty", std::string());
  s.create(sc.a, "/app/big", binary_blob(100'000, 1));
  s.create(sc.a, "/app/empty-null", std::nullopt);
  // Sequential, one of them deleted later (visible cversion = 2*C - numChildren).
  sc.seq_dropped = s.create(sc.a, "/app/seq-", std::string("s"), zk::create_flags::persistent_sequential);
  sc.seq_kept = s.create(sc.a, "/app/seq-", std::string("s"), zk::create_flags::persistent_sequential);
  std::string seq_gone = s.create(sc.a, "/app/seq-", std::string("s"), zk::create_flags::persistent_sequential);
  s.ok(sc.a, op::remove, delete_body(seq_gone));
  // Ephemerals, plain and sequential, from several sessions.
  s.create(sc.a, "/app/eph-a", std::string("a"), zk::create_flags::ephemeral);
  sc.locks.push_back(s.create(sc.b, "/app/lock-", std::nullopt, zk::create_flags::ephemeral_sequential));
  sc.locks.push_back(s.create(sc.b, "/app/lock-", std::string(), zk::create_flags::ephemeral_sequential));
  s.create(sc.c, "/c-eph", std::string("c"), zk::create_flags::ephemeral);
  s.create(sc.d, "/d-eph", std::string("d"), zk::create_flags::ephemeral);
  s.create(sc.d, "/d-eph2", std::nullopt, zk::create_flags::ephemeral);
  // Containers, one with a child.
  s.create(sc.a, "/cont", std::string(), zk::create_flags::container, open_acl(), op::create_container);
  s.create(sc.a, "/cont/x", std::string("x"));
  s.create(sc.a, "/cont2", std::nullopt, zk::create_flags::container, open_acl(), op::create_container);
  s.create(sc.a, "/cont2/y", std::string("y"));
  // TTL nodes, plain and sequential.
  s.ok(sc.a, op::create_ttl, create_ttl_body("/ttl", zk::create_flags::persistent_with_ttl, 60000, std::string("t")));
  {
    std::string body = s.ok(sc.a, op::create_ttl,
                            create_ttl_body("/ttl-seq-", zk::create_flags::persistent_sequential_with_ttl, 5, std::nullopt));
    jute::reader r(body);
    sc.ttl_seq = r.read_ustring();
  }
  // Custom ACLs: digest + world read, ip only, "auth" expanded to the caller's digest.
  s.create(sc.a, "/secure", std::string("secret"), 0,
           {{acl::read, {"world", "anyone"}}, {acl::all, {"digest", user_digest}}});
  s.create(sc.a, "/secure/child", std::string("c"));
  s.create(sc.a, "/ip-only", std::string("ip"), 0, {{acl::all, {"ip", "127.0.0.1"}}, {acl::read, {"ip", "10.0.0.0/8"}}});
  s.create(sc.a, "/mine", std::string("m"), 0, {{acl::all, {"auth", ""}}});
  s.create(sc.a, "/zero-perms", std::string("z"), 0, {{0, {"world", "anyone"}}, {acl::admin, {"digest", user_digest}}});
  // Jute strings may hold NUL bytes; a digest id is only checked for its colon.
  s.create(sc.a, "/nul-acl", std::string("n"), 0, {{acl::all, {"digest", nul_digest}}, {acl::read, {"world", "anyone"}}});
  // setData: several versions; null -> data -> null; empty stays empty.
  for (const char* v : {"v1", "v2", "v3"}) s.ok(sc.a, op::set_data, set_data_body("/app", std::string(v)));
  s.ok(sc.a, op::set_data, set_data_body("/app/config", std::string("c")));
  s.ok(sc.a, op::set_data, set_data_body("/app/config", std::nullopt));
  s.ok(sc.a, op::set_data, set_data_body("/app/empty", std::string()));
  s.ok(sc.a, op::set_data, set_data_body("/app/empty-null", std::string()));
  // setACL (aversion moves), on an ordinary node and on the pre-created ones.
  s.ok(sc.a, op::set_acl, set_acl_body("/app/config", acl::list{{acl::read | acl::write, {"world", "anyone"}}}));
  s.ok(sc.a, op::set_acl, set_acl_body("/zookeeper", acl::list{{acl::all, {"world", "anyone"}}, {acl::read, {"ip", "1.2.3.4"}}}));
  s.ok(sc.a, op::set_data, set_data_body("/zookeeper/quota", std::string("q")));
  // Deletes: a subtree removed bottom-up leaves its root with C=1, numChildren 0.
  s.create(sc.a, "/gone", std::string("g"));
  s.create(sc.a, "/gone/a", std::string("g"));
  s.create(sc.a, "/gone/a/b", std::string("g"));
  s.ok(sc.a, op::remove, delete_body("/gone/a/b"));
  s.ok(sc.a, op::remove, delete_body("/gone/a"));
  // multi: one that commits, and one that rolls back (its paths are dirty but absent).
  s.ok(sc.a, op::multi,
       multi_body({{op::create, create_body("/m", std::string("m"))},
                   {op::create, create_body("/m/1", std::nullopt)},
                   {op::set_data, set_data_body("/m", std::string("m2"))}}));
  frame failed = s.call(sc.a, op::multi,
                        multi_body({{op::create, create_body("/rolled", std::string("r"))},
                                    {op::set_data, set_data_body("/app", std::string("never"))},
                                    {op::remove, delete_body("/nope")}}));
  // §9.2: the reply header says 0; the results say which op failed. Nothing of it stays.
  REQUIRE(failed.err == err::ok);
  REQUIRE(failed.body.find("\xff\xff\xff\x9b\xff\xff\xff\x9b") != std::string::npos);  // NONODE twice
  REQUIRE(s.tree.find("/rolled") == nullptr);
  REQUIRE(s.tree.find("/app")->data == "v3");
  // Deep, long (over LMDB's key limit) and non-ASCII paths.
  for (const char* p : {"/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e"}) s.create(sc.a, p, std::string(p));
  s.create(sc.a, long_name, std::string("long"));
  s.create(sc.a, long_name + "/" + std::string(300, 'c'), std::nullopt);
  s.create(sc.a, long_name + "/kid", std::string("k"));
  s.create(sc.a, "/\xc3\xbcnic\xc3\xb6" "de", std::string("\xe6\x97\xa5"));
  s.create(sc.a, "/\xc3\xbcnic\xc3\xb6" "de/\xe6\x97\xa5\xe6\x9c\xac", std::string());
}

void build_second_part(server& s, scenario& sc) {
  s.ok(sc.a, op::set_data, set_data_body("/app", std::string("v4")));
  s.ok(sc.a, op::set_data, set_data_body("/app/big", binary_blob(50'000, 9)));
  s.ok(sc.a, op::set_data, set_data_body("/app/empty", std::nullopt));
  s.ok(sc.a, op::remove, delete_body(sc.seq_dropped));
  sc.seq_later = s.create(sc.a, "/app/seq-", std::string("later"), zk::create_flags::persistent_sequential);
  // closeSession by the client, and expiry: their ephemerals and session records go.
  s.ok(sc.c, op::close_session, "");
  s.expire(sc.d.id);
  // An ephemeral removed by hand, another added.
  s.ok(sc.a, op::remove, delete_body("/app/eph-a"));
  sc.locks.push_back(s.create(sc.b, "/app/lock-", std::string("3"), zk::create_flags::ephemeral_sequential));
  s.ok(sc.b, op::remove, delete_body(sc.locks.front()));
  // A container emptied and reaped; the short TTL node reaped too.
  s.ok(sc.a, op::remove, delete_body("/cont/x"));
  s.now += 1000;
  s.reap();
  REQUIRE(s.tree.find("/cont") == nullptr);
  REQUIRE(s.tree.find(sc.ttl_seq) == nullptr);
  // A TTL node replaced by a persistent one at the same path.
  s.ok(sc.a, op::remove, delete_body("/ttl"));
  s.create(sc.a, "/ttl", std::nullopt);
  // A deleted path becomes a container.
  s.ok(sc.a, op::remove, delete_body("/gone"));
  s.create(sc.a, "/gone", std::string("back"), zk::create_flags::container, open_acl(), op::create_container);
  // ACL changes.
  s.ok(sc.a, op::set_acl, set_acl_body("/secure", open_acl()));
  s.ok(sc.a, op::set_acl, set_acl_body("/app/big", acl::list{{acl::read, {"digest", user_digest}}, {acl::all, {"ip", "127.0.0.1"}}}));
  // Long and non-ASCII paths changed and removed.
  s.ok(sc.a, op::remove, delete_body(long_name + "/kid"));
  s.ok(sc.a, op::set_data, set_data_body(long_name, std::nullopt));
  s.ok(sc.a, op::remove, delete_body("/\xc3\xbcnic\xc3\xb6" "de/\xe6\x97\xa5\xe6\x9c\xac"));
  s.ok(sc.a, op::remove, delete_body("/a/b/c/d/e"));
  // A new session with an ephemeral.
  session_handle e = s.open_session(12345, binary_blob(16, 5));
  s.create(e, "/e-eph", std::string("e"), zk::create_flags::ephemeral);
}

// ---------------------------------------------------------------------------------------
// Comparing two trees completely.

std::string describe_acl(const acl::list& acl) {
  std::ostringstream o;
  for (const auto& e : acl) o << " " << e.perms << ":" << e.who.scheme << ":" << e.who.value;
  return o.str();
}

std::string describe_node(const storage::data_tree& tree, const storage::znode& node) {
  const storage::stat s = node.to_stat();
  std::ostringstream o;
  o << "stat{czxid " << s.czxid << " mzxid " << s.mzxid << " ctime " << s.ctime << " mtime " << s.mtime << " version "
    << s.version << " cversion " << s.cversion << " aversion " << s.aversion << " ephemeralOwner "
    << s.ephemeral_owner << " dataLength " << s.data_length << " numChildren " << s.num_children << " pzxid "
    << s.pzxid << "}";
  o << " C " << node.child_creations << " owner " << node.owner;
  o << " data " << (node.data_is_null ? std::string("null") : "[" + std::to_string(node.data.size()) + "]");
  o << " acl" << describe_acl(tree.acl_of(node));
  o << " children";
  for (const auto& name : tree.child_names(node)) o << " " << name;
  return o.str();
}

// Every node reachable from "/", by path. Also checks that nothing unreachable hides in the
// tree (node_count) and that each child's parent lists it exactly once.
std::map<std::string, const storage::znode*> walk(const storage::data_tree& tree) {
  std::map<std::string, const storage::znode*> nodes;
  std::vector<std::string> todo{"/"};
  while (!todo.empty()) {
    std::string path = todo.back();
    todo.pop_back();
    const storage::znode* node = tree.find(path);
    INFO("walking " << path.substr(0, 80));
    REQUIRE(node);
    REQUIRE(nodes.emplace(path, node).second);
    for (const auto& name : tree.child_names(*node)) todo.push_back((path == "/" ? "" : path) + "/" + name);
  }
  CHECK(nodes.size() == tree.node_count());
  return nodes;
}

void compare_trees(const storage::data_tree& expected, const storage::data_tree& actual) {
  auto want = walk(expected);
  auto got = walk(actual);
  CHECK(expected.node_count() == actual.node_count());
  CHECK(expected.approximate_data_size() == actual.approximate_data_size());

  std::vector<std::string> missing, extra;
  for (const auto& [path, node] : want)
    if (!got.count(path)) missing.push_back(path.substr(0, 80));
  for (const auto& [path, node] : got)
    if (!want.count(path)) extra.push_back(path.substr(0, 80));
  CHECK(missing == std::vector<std::string>{});
  CHECK(extra == std::vector<std::string>{});

  for (const auto& [path, node] : want) {
    auto other = got.find(path);
    if (other == got.end()) continue;
    const storage::znode& a = *node;
    const storage::znode& b = *other->second;
    INFO("node " << path.substr(0, 80));
    CHECK(describe_node(expected, a) == describe_node(actual, b));
    CHECK(a.data_is_null == b.data_is_null);
    CHECK(a.data == b.data);
    CHECK(std::tie(a.czxid, a.mzxid, a.ctime, a.mtime, a.pzxid, a.version, a.aversion, a.child_creations, a.owner) ==
          std::tie(b.czxid, b.mzxid, b.ctime, b.mtime, b.pzxid, b.version, b.aversion, b.child_creations, b.owner));
    CHECK(expected.acl_of(a) == actual.acl_of(b));
    CHECK(expected.child_names(a) == actual.child_names(b));
  }

  std::map<int64_t, std::tuple<int32_t, std::string, std::set<std::string>>> want_sessions, got_sessions;
  for (const auto& [id, s] : expected.sessions()) want_sessions[id] = {s.timeout_ms, s.password, s.ephemerals};
  for (const auto& [id, s] : actual.sessions()) got_sessions[id] = {s.timeout_ms, s.password, s.ephemerals};
  CHECK(want_sessions.size() == got_sessions.size());
  for (const auto& [id, s] : want_sessions) {
    INFO("session " << id);
    auto other = got_sessions.find(id);
    REQUIRE(other != got_sessions.end());
    CHECK(std::get<0>(s) == std::get<0>(other->second));
    CHECK(std::get<1>(s) == std::get<1>(other->second));
    CHECK(std::get<2>(s) == std::get<2>(other->second));
  }
  for (const auto& [id, s] : got_sessions) {
    INFO("extra session " << id);
    CHECK(want_sessions.count(id) == 1);
  }

  CHECK(expected.containers() == actual.containers());
  CHECK(expected.ttl_nodes() == actual.ttl_nodes());
}

// Reads the whole image into a fresh tree.
std::unique_ptr<storage::data_tree> load(const storage::snapshot_image& image, int64_t expect_zxid) {
  auto tree = std::make_unique<storage::data_tree>();
  CHECK(storage::load_image(image, *tree) == expect_zxid);
  return tree;
}

// A batch names each path and session at most once.
void check_batch_shape(const storage::image_batch& batch) {
  std::set<std::string> paths;
  for (const auto& [path, record] : batch.upserted_nodes) CHECK(paths.insert(path).second);
  for (const auto& path : batch.erased_nodes) CHECK(paths.insert(path).second);
  std::set<int64_t> sessions;
  for (const auto& [id, record] : batch.upserted_sessions) CHECK(sessions.insert(id).second);
  for (int64_t id : batch.erased_sessions) CHECK(sessions.insert(id).second);
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
bool upserts(const storage::image_batch& batch, const std::string& path) {
  for (const auto& [p, record] : batch.upserted_nodes)
    if (p == path) return true;
  return false;
}
bool upserts_session(const storage::image_batch& batch, int64_t id) {
  for (const auto& [s, record] : batch.upserted_sessions)
    if (s == id) return true;
  return false;
}

}  // namespace

// =========================================================================================

TEST_CASE("a full image reproduces the tree exactly") {
  temp_store store;
  server s;
  scenario sc;
  build_first_part(s, sc);
  build_second_part(s, sc);

  auto batch = storage::take_image_batch(s.tree, s.zxid());
  CHECK(batch.zxid == s.zxid());
  check_batch_shape(batch);
  // Paths touched and gone by now are erasures (harmless on a fresh image).
  CHECK(contains(batch.erased_nodes, std::string("/rolled")));
  CHECK(contains(batch.erased_nodes, std::string("/c-eph")));
  CHECK(contains(batch.erased_sessions, sc.c.id));
  CHECK(contains(batch.erased_sessions, sc.d.id));
  // The pre-created nodes that were changed are in the image; untouched ones need not be.
  CHECK(upserts(batch, "/zookeeper"));
  CHECK(upserts(batch, "/zookeeper/quota"));
  store.image->write(batch);
  CHECK(store.image->zxid() == s.zxid());
  CHECK(store.image->session_count() == s.tree.sessions().size());

  // Restart: read back from a reopened environment.
  store.reopen();
  auto loaded = load(*store.image, s.zxid());
  compare_trees(s.tree, *loaded);

  // Spot checks against the scenario, so that equality is not equality of two wrong trees.
  const storage::data_tree& t = *loaded;
  SECTION("data: null and empty stay distinct") {
    REQUIRE(t.find("/app/config"));
    CHECK(t.find("/app/config")->data_is_null);
    CHECK(t.find("/app/config")->to_stat().version == 2);
    CHECK(t.find("/app/empty")->data_is_null);  // set to null in the second part
    CHECK_FALSE(t.find("/app/empty-null")->data_is_null);
    CHECK(t.find("/app/empty-null")->data.empty());
    CHECK(t.find("/app")->data == "v4");
    CHECK(t.find("/app")->to_stat().version == 4);
    CHECK(t.find("/app/big")->data == binary_blob(50'000, 9));
    CHECK(t.find(long_name)->data_is_null);
  }
  SECTION("stats: cversion, numChildren, pzxid") {
    const storage::stat app = t.find("/app")->to_stat();
    // /app's children: config, empty, big, empty-null, seq kept + later, lock-1, lock-2.
    CHECK(app.num_children == 8);
    CHECK(t.find("/app")->child_creations == 12);
    CHECK(app.cversion == 2 * 12 - 8);
    CHECK(t.find("/gone")->to_stat().num_children == 0);
    CHECK(t.find("/gone")->to_stat().cversion == 0);
    CHECK(t.find("/")->to_stat().pzxid == s.tree.find("/")->pzxid);
    CHECK(t.find("/")->to_stat().pzxid > 0);
    CHECK(t.find("/zookeeper")->to_stat().cversion == -2);
    CHECK(t.find("/zookeeper")->to_stat().aversion == 1);
    CHECK(t.find("/zookeeper/config")->to_stat().aversion == -1);
    CHECK(sc.seq_later == "/app/seq-0000000010");
  }
  SECTION("owners: ephemerals, containers, TTL nodes") {
    CHECK(t.find(sc.locks[1])->to_stat().ephemeral_owner == sc.b.id);
    CHECK(t.find(sc.locks[2])->to_stat().ephemeral_owner == sc.b.id);
    CHECK(t.find("/gone")->to_stat().ephemeral_owner == 0);
    CHECK(t.containers() == std::set<std::string>{"/cont2", "/gone"});
    CHECK(t.ttl_nodes().empty());
    CHECK(t.find("/ttl")->owner == 0);
    CHECK(t.find("/c-eph") == nullptr);
    CHECK(t.find("/d-eph") == nullptr);
    CHECK(t.find("/rolled") == nullptr);
  }
  SECTION("sessions: timeout, password, ephemerals") {
    CHECK(t.sessions().size() == 3);
    REQUIRE(t.find_session(sc.a.id));
    CHECK(t.find_session(sc.a.id)->timeout_ms == 10000);
    CHECK(t.find_session(sc.a.id)->password == std::string(16, 'A'));
    CHECK(t.find_session(sc.a.id)->ephemerals.empty());
    REQUIRE(t.find_session(sc.b.id));
    CHECK(t.find_session(sc.b.id)->timeout_ms == 30000);
    CHECK(t.find_session(sc.b.id)->password == binary_blob(16, 2));
    CHECK(t.find_session(sc.b.id)->ephemerals == std::set<std::string>{sc.locks[1], sc.locks[2]});
    CHECK(t.find_session(sc.c.id) == nullptr);
    CHECK(t.find_session(sc.d.id) == nullptr);
  }
  SECTION("ACLs") {
    CHECK(t.acl_of(*t.find("/secure")) == open_acl());
    CHECK(t.acl_of(*t.find("/secure/child")) == open_acl());
    CHECK(t.acl_of(*t.find("/mine")) == acl::list{{acl::all, {"digest", user_digest}}});
    CHECK(t.acl_of(*t.find("/ip-only")) ==
          acl::list{{acl::all, {"ip", "127.0.0.1"}}, {acl::read, {"ip", "10.0.0.0/8"}}});
    CHECK(t.acl_of(*t.find("/zero-perms")) ==
          acl::list{{0, {"world", "anyone"}}, {acl::admin, {"digest", user_digest}}});
    CHECK(t.acl_of(*t.find("/nul-acl")) ==
          acl::list{{acl::all, {"digest", nul_digest}}, {acl::read, {"world", "anyone"}}});
    CHECK(t.acl_of(*t.find("/app/config")) == acl::list{{acl::read | acl::write, {"world", "anyone"}}});
    CHECK(t.acl_of(*t.find("/zookeeper/config")) == acl::list{{acl::read, {"world", "anyone"}}});
  }
}

TEST_CASE("incremental batches: each image matches the tree it was taken from") {
  temp_store store;
  server s;
  scenario sc;
  build_first_part(s, sc);

  auto first = storage::take_image_batch(s.tree, s.zxid());
  check_batch_shape(first);
  store.image->write(first);
  const int64_t first_zxid = s.zxid();
  auto reused = load(*store.image, first_zxid);
  compare_trees(s.tree, *reused);

  SECTION("nothing changed: an empty batch") {
    auto empty = storage::take_image_batch(s.tree, s.zxid());
    CHECK(empty.upserted_nodes.empty());
    CHECK(empty.erased_nodes.empty());
    CHECK(empty.upserted_sessions.empty());
    CHECK(empty.erased_sessions.empty());
    store.image->write(empty);
    compare_trees(s.tree, *load(*store.image, s.zxid()));
  }

  SECTION("a second batch after more changes and deletes") {
    build_second_part(s, sc);
    auto second = storage::take_image_batch(s.tree, s.zxid());
    check_batch_shape(second);
    // Only what changed, with deletions as erasures.
    CHECK(contains(second.erased_nodes, std::string("/c-eph")));
    CHECK(contains(second.erased_nodes, std::string("/d-eph2")));
    CHECK(contains(second.erased_nodes, std::string("/cont")));
    CHECK(contains(second.erased_nodes, std::string("/cont/x")));
    CHECK(contains(second.erased_nodes, sc.ttl_seq));
    CHECK(contains(second.erased_nodes, long_name + "/kid"));
    CHECK(contains(second.erased_sessions, sc.c.id));
    CHECK(contains(second.erased_sessions, sc.d.id));
    CHECK(upserts(second, "/gone"));
    CHECK(upserts(second, "/ttl"));
    CHECK_FALSE(upserts(second, "/ip-only"));
    CHECK_FALSE(upserts(second, "/app/config"));
    CHECK_FALSE(upserts_session(second, sc.a.id));
    CHECK(second.upserted_sessions.size() == 1);
    store.image->write(second);
    CHECK(store.image->zxid() == s.zxid());
    CHECK(store.image->session_count() == s.tree.sessions().size());

    // Loading into a tree that already holds the first image replaces it entirely.
    CHECK(storage::load_image(*store.image, *reused) == s.zxid());
    compare_trees(s.tree, *reused);

    store.reopen();
    compare_trees(s.tree, *load(*store.image, s.zxid()));
  }

  SECTION("loading into a tree with unrelated content clears it first") {
    server other(0, 0x0200000000000001);
    session_handle h = other.open_session(5000, std::string(16, 'o'));
    other.create(h, "/app", std::string("other"));  // the same path with other content
    other.create(h, "/only-here", std::nullopt, zk::create_flags::container, open_acl(), op::create_container);
    other.create(h, "/eph", std::nullopt, zk::create_flags::ephemeral);
    other.ok(h, op::create_ttl, create_ttl_body("/t", zk::create_flags::persistent_with_ttl, 9, std::string("t")));
    other.ok(h, op::set_acl, set_acl_body("/", acl::list{{acl::all, {"ip", "127.0.0.1"}}}));
    CHECK(storage::load_image(*store.image, other.tree) == first_zxid);
    compare_trees(s.tree, other.tree);
  }
}

TEST_CASE("an image kept up to date after every txn matches the tree at every step") {
  // The live tree is replayed txn by txn from the history, so every intermediate state is
  // visited, including the ones inside the scenario's multi and session changes.
  server live;
  scenario sc;
  build_first_part(live, sc);
  build_second_part(live, sc);

  temp_store store;
  storage::data_tree tree;
  pipeline_harness core(tree, request::write_settings{true}, request::read_settings{}, 0, first_session);
  storage::data_tree loaded;
  std::size_t step = 0;
  for (const auto& [zxid, bytes] : live.history) {
    core.replay(*request::txn_buffer::copy_of(bytes));
    REQUIRE(core.last_applied_zxid() == zxid);
    // Every txn for the first 20, then in strides (each write syncs to disk).
    if (++step > 20 && step % 4 != 0 && step != live.history.size()) continue;
    auto batch = storage::take_image_batch(tree, zxid);
    check_batch_shape(batch);
    store.image->write(batch);
    INFO("after zxid " << zxid);
    CHECK(storage::load_image(*store.image, loaded) == zxid);
    compare_trees(tree, loaded);
  }
  compare_trees(live.tree, loaded);
}

TEST_CASE("image + replay of the log after it reaches the live tree") {
  temp_store store;
  server s;
  s.log = store.log.get();
  scenario sc;
  build_first_part(s, sc);

  // The image at zxid Z1 lets the log drop the segments it covers.
  const int64_t z1 = s.zxid();
  const std::size_t segments_before_image = store.log->segment_count();
  REQUIRE(segments_before_image > 1);
  store.image->write(storage::take_image_batch(s.tree, z1));
  store.log->drop_through(z1);
  CHECK(store.log->segment_count() < segments_before_image);
  CHECK(store.log->last_zxid() == z1);

  build_second_part(s, sc);
  const int64_t z2 = s.zxid();
  REQUIRE(z2 > z1);
  CHECK(store.log->last_zxid() == z2);
  std::size_t after_image = 0;
  store.log->for_each_after(z1, [&](int64_t, std::string_view) { ++after_image; });
  CHECK(after_image == static_cast<std::size_t>(z2 - z1));

  SECTION("restart: load the image, replay the log") {
    s.log = nullptr;
    store.reopen();
    storage::data_tree tree;
    const int64_t image_zxid = storage::load_image(*store.image, tree);
    CHECK(image_zxid == z1);
    pipeline_harness core(tree, request::write_settings{true}, request::read_settings{}, image_zxid, 0x0300000000000001);
    int64_t expected = image_zxid;
    store.log->for_each_after(image_zxid, [&](int64_t zxid, std::string_view bytes) {
      CHECK(zxid == ++expected);
      core.replay(*request::txn_buffer::copy_of(bytes));
    });
    CHECK(core.last_applied_zxid() == z2);
    compare_trees(s.tree, tree);

    // The restored server carries on exactly like the live one.
    CHECK(core.tree().find_session(sc.b.id)->password == sc.b.password);
    auto attach = [&](pipeline_harness& p, int64_t session, const std::string& password) {
      request::connect_request req;
      req.connection = 99;
      req.session = session;
      req.password = password;
      req.timeout_ms = 5000;
      req.last_zxid_seen = z2;
      pipeline_output out;
      connect_with(p, req, "", s.now, out);
      REQUIRE(out.connects.size() == 1);
      return out.connects[0].outcome;
    };
    CHECK(attach(core, sc.b.id, sc.b.password) == request::connect_result::status::accepted);
    CHECK(attach(core, sc.b.id, std::string(16, 'x')) == request::connect_result::status::invalid);
    CHECK(attach(core, sc.c.id, sc.c.password) == request::connect_result::status::invalid);

    // The same write on both: same zxid, same sequential suffix, same trees.
    request::client_request r;
    r.connection = sc.a.conn;
    r.session = sc.a.id;
    r.xid = 1000;
    r.opcode = op::create;
    r.body = create_body("/app/seq-", std::string("after restart"), open_acl(), zk::create_flags::persistent_sequential);
    r.who = with_digest();
    pipeline_output out;
    submit_one(core, r, s.now, out);
    core.durable_through(core.last_proposed_zxid(), out);
    CHECK(core.last_applied_zxid() == z2 + 1);
    std::string created = s.create(sc.a, "/app/seq-", std::string("after restart"),
                                   zk::create_flags::persistent_sequential);
    CHECK(created == "/app/seq-0000000012");
    CHECK(tree.find(created) != nullptr);
    compare_trees(s.tree, tree);
  }

  SECTION("replaying the whole history on an empty tree gives the same tree, whatever the TTL setting now") {
    // Each create carries the TTL decision made when it was proposed.
    storage::data_tree tree;
    pipeline_harness core(tree, request::write_settings{false}, request::read_settings{}, 0, first_session);
    for (const auto& [zxid, bytes] : s.history) core.replay(*request::txn_buffer::copy_of(bytes));
    CHECK(core.last_applied_zxid() == z2);
    compare_trees(s.tree, tree);
  }

  SECTION("a txn that does not follow the last one applied is refused, not applied") {
    storage::data_tree tree;
    pipeline_harness core(tree, request::write_settings{true}, request::read_settings{}, 0, first_session);
    REQUIRE(s.history.size() > 3);
    core.replay(*request::txn_buffer::copy_of(s.history[0].second));
    const std::size_t nodes = tree.node_count();
    CHECK_THROWS_WITH(core.replay(*request::txn_buffer::copy_of(s.history[2].second)),
                      Catch::Contains("records are missing"));
    CHECK_THROWS(core.replay(*request::txn_buffer::copy_of(s.history[0].second)));
    CHECK(core.last_applied_zxid() == s.history[0].first);
    CHECK(tree.node_count() == nodes);
    core.replay(*request::txn_buffer::copy_of(s.history[1].second));
    CHECK(core.last_applied_zxid() == s.history[1].first);
  }

  SECTION("an image at any zxid plus the rest of the history") {
    for (std::size_t cut = 0; cut <= s.history.size(); cut += 9) {
      INFO("image after " << cut << " txns");
      temp_store other;
      storage::data_tree before;
      pipeline_harness first(before, request::write_settings{true}, request::read_settings{}, 0, first_session);
      for (std::size_t i = 0; i < cut; ++i) first.replay(*request::txn_buffer::copy_of(s.history[i].second));
      other.image->write(storage::take_image_batch(before, first.last_applied_zxid()));

      storage::data_tree after;
      const int64_t image_zxid = storage::load_image(*other.image, after);
      CHECK(image_zxid == first.last_applied_zxid());
      pipeline_harness second(after, request::write_settings{true}, request::read_settings{}, image_zxid, first_session);
      for (std::size_t i = cut; i < s.history.size(); ++i) second.replay(*request::txn_buffer::copy_of(s.history[i].second));
      compare_trees(s.tree, after);
    }
  }
}
