// The request pipeline driven as the request actor drives it: jute request bodies in,
// reply frames, watch registrations and triggers out. Expectations come from the wire
// protocol reference (/work/shared/docs/zk-wire-protocol.md): §3.5, §4, §6, §7, §8, §9,
// §10.4 and §11.2.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/protocol.hpp"
#include "storage/data_tree.hpp"
#include "tests/unit/support/hex.hpp"
#include "tests/unit/support/pipeline_harness.hpp"
#include "tests/unit/support/pipeline_messages.hpp"
#include "tests/unit/support/reply_frames.hpp"
#include "tests/unit/support/request_bodies.hpp"

namespace rookery::storage {
// Stat equality and printing for readable failures.
inline bool operator==(const stat& a, const stat& b) {
  return std::tie(a.czxid, a.mzxid, a.ctime, a.mtime, a.version, a.cversion, a.aversion, a.ephemeral_owner,
                  a.data_length, a.num_children, a.pzxid) ==
         std::tie(b.czxid, b.mzxid, b.ctime, b.mtime, b.version, b.cversion, b.aversion, b.ephemeral_owner,
                  b.data_length, b.num_children, b.pzxid);
}
}  // namespace rookery::storage

namespace Catch {
template <>
struct StringMaker<rookery::storage::stat> {
  static std::string convert(const rookery::storage::stat& s) {
    std::ostringstream o;
    o << "{czxid " << s.czxid << ", mzxid " << s.mzxid << ", ctime " << s.ctime << ", mtime " << s.mtime
      << ", version " << s.version << ", cversion " << s.cversion << ", aversion " << s.aversion << ", owner "
      << s.ephemeral_owner << ", dataLength " << s.data_length << ", numChildren " << s.num_children << ", pzxid "
      << s.pzxid << "}";
    return o.str();
  }
};
}  // namespace Catch

using namespace rookery;
using namespace rookery::test;
using request::connection_id;
namespace op = zk::op;
namespace err = zk::err;

namespace {

// ---------------------------------------------------------------------------------------
// Request bodies, encoded by hand (not with the production record helpers) so that a
// codec bug cannot cancel itself out.

constexpr int64_t first_session = 0x0100000000000001;
constexpr int64_t t0 = 1'700'000'000'000;
const std::string password(16, '\x5a');
// §11.3, observed: digest of "user:pw".
const std::string user_digest = "user:2Om+GBbT2q/tS6pdvACZbbm7/1A=";

std::string long_hex(int64_t value) {
  std::string bytes;
  jute::writer(bytes).write_long(value);
  return to_hex(bytes);
}

// ---------------------------------------------------------------------------------------
// Reply decoding.

storage::stat make_stat(int64_t czxid, int64_t mzxid, int64_t ctime, int64_t mtime, int32_t version, int32_t cversion,
                        int32_t aversion, int64_t owner, int32_t data_length, int32_t num_children, int64_t pzxid) {
  storage::stat s;
  s.czxid = czxid;
  s.mzxid = mzxid;
  s.ctime = ctime;
  s.mtime = mtime;
  s.version = version;
  s.cversion = cversion;
  s.aversion = aversion;
  s.ephemeral_owner = owner;
  s.data_length = data_length;
  s.num_children = num_children;
  s.pzxid = pzxid;
  return s;
}

storage::stat read_stat(jute::reader& r) {
  storage::stat s;
  s.czxid = r.read_long();
  s.mzxid = r.read_long();
  s.ctime = r.read_long();
  s.mtime = r.read_long();
  s.version = r.read_int();
  s.cversion = r.read_int();
  s.aversion = r.read_int();
  s.ephemeral_owner = r.read_long();
  s.data_length = r.read_int();
  s.num_children = r.read_int();
  s.pzxid = r.read_long();
  return s;
}

// A body that is exactly one Stat (exists, setData, setACL).
storage::stat stat_body(const std::string& body) {
  REQUIRE(body.size() == 68);
  jute::reader r(body);
  return read_stat(r);
}

struct data_reply {
  std::optional<std::string> data;
  storage::stat stat;
};

data_reply data_body(const std::string& body) {
  jute::reader r(body);
  data_reply d;
  d.data = r.read_buffer();
  d.stat = read_stat(r);
  REQUIRE(r.at_end());
  return d;
}

std::vector<std::string> children_body(const std::string& body, std::optional<storage::stat>* stat = nullptr) {
  jute::reader r(body);
  auto names = r.read_ustring_vector();
  REQUIRE(names);
  if (stat) *stat = read_stat(r);
  REQUIRE(r.at_end());
  return *names;
}

struct create2_reply {
  std::string path;
  storage::stat stat;
};

create2_reply create2_body(const std::string& body) {
  jute::reader r(body);
  create2_reply c;
  c.path = r.read_ustring();
  c.stat = read_stat(r);
  REQUIRE(r.at_end());
  return c;
}

std::string path_only_body(const std::string& body) {
  jute::reader r(body);
  std::string path = r.read_ustring();
  REQUIRE(r.at_end());
  return path;
}

acl::list acl_body(const std::string& body, storage::stat* stat = nullptr) {
  jute::reader r(body);
  int32_t count = r.read_int();
  acl::list acl;
  for (int32_t i = 0; i < count; ++i) {
    acl::entry e;
    e.perms = r.read_int();
    e.who.scheme = r.read_ustring();
    e.who.value = r.read_ustring();
    acl.push_back(e);
  }
  storage::stat s = read_stat(r);
  if (stat) *stat = s;
  REQUIRE(r.at_end());
  return acl;
}

struct op_result {
  int32_t type = 0;
  int32_t err = 0;
  std::string path;
  std::optional<storage::stat> stat;
  std::optional<std::string> data;
  std::vector<std::string> children;
};

// MultiResponse (§9.2): decoded by the result type, each error result's body checked to
// repeat its header code.
std::vector<op_result> multi_results(const std::string& body) {
  jute::reader r(body);
  std::vector<op_result> results;
  for (;;) {
    op_result res;
    res.type = r.read_int();
    bool done = r.read_bool();
    res.err = r.read_int();
    if (done) {
      CHECK(res.type == -1);
      CHECK(res.err == -1);
      break;
    }
    switch (res.type) {
      case op::create: res.path = r.read_ustring(); break;
      case op::create2:
        res.path = r.read_ustring();
        res.stat = read_stat(r);
        break;
      case op::remove:
      case op::check: break;
      case op::set_data: res.stat = read_stat(r); break;
      case op::get_data:
        res.data = r.read_buffer();
        res.stat = read_stat(r);
        break;
      case op::get_children: res.children = *r.read_ustring_vector(); break;
      case op::error: CHECK(r.read_int() == res.err); break;
      default: FAIL("unexpected multi result type " << res.type);
    }
    results.push_back(std::move(res));
  }
  CHECK(r.at_end());
  return results;
}

const char* kind_name(watch::watch_kind k) {
  switch (k) {
    case watch::watch_kind::standard_data: return "data";
    case watch::watch_kind::standard_child: return "child";
    case watch::watch_kind::persistent: return "persistent";
    case watch::watch_kind::persistent_recursive: return "recursive";
  }
  return "?";
}

const char* event_name(int32_t type) {
  switch (type) {
    case 1: return "NodeCreated";
    case 2: return "NodeDeleted";
    case 3: return "NodeDataChanged";
    case 4: return "NodeChildrenChanged";
  }
  return "?";
}

// One line per outbox item (and per frame of a reply), for order-sensitive checks.
std::vector<std::string> transcript(const pipeline_output& out) {
  std::vector<std::string> lines;
  for (const auto& item : out.items) {
    std::ostringstream o;
    if (auto* reply = std::get_if<request::reply_item>(&item)) {
      for (const auto& f : frames_of(reply->frames)) {
        std::ostringstream line;
        line << "c" << reply->connection << " <- ";
        if (f.xid == -1) {
          jute::reader r(f.body);
          int32_t type = r.read_int();
          r.read_int();
          line << "event " << event_name(type) << " " << r.read_ustring() << " zxid " << f.zxid;
        } else {
          line << "xid " << f.xid << " zxid " << f.zxid << " err " << f.err;
        }
        lines.push_back(line.str());
      }
      if (reply->close_after) lines.push_back("c" + std::to_string(reply->connection) + " close");
      continue;
    }
    if (auto* w = std::get_if<request::watch_item>(&item)) {
      o << "c" << w->connection << " watch " << kind_name(w->registration.kind) << " " << w->registration.path;
    } else if (auto* t = std::get_if<request::trigger_item>(&item)) {
      o << "trigger " << event_name(static_cast<int32_t>(t->fired.type)) << " " << t->fired.path << " zxid "
        << t->zxid;
    } else if (auto* q = std::get_if<request::query_item>(&item)) {
      o << "c" << q->connection << " query " << q->query.path << " type " << static_cast<int32_t>(q->query.type)
        << (q->query.remove ? " remove" : " check") << " xid " << q->query.xid;
    } else if (auto* f = std::get_if<request::forget_item>(&item)) {
      o << "forget c" << f->connection;
    }
    lines.push_back(o.str());
  }
  return lines;
}

// Only the lines of one kind, e.g. "trigger".
std::vector<std::string> lines_starting(const std::vector<std::string>& lines, const std::string& prefix) {
  std::vector<std::string> kept;
  for (const auto& l : lines)
    if (l.rfind(prefix, 0) == 0) kept.push_back(l);
  return kept;
}

std::vector<frame> replies_to(const pipeline_output& out, connection_id c) {
  std::vector<frame> frames;
  for (const auto& item : out.items)
    if (auto* reply = std::get_if<request::reply_item>(&item); reply && reply->connection == c)
      for (auto& f : frames_of(reply->frames)) frames.push_back(std::move(f));
  return frames;
}

// ---------------------------------------------------------------------------------------
// A server (tree + pipeline) and clients bound to a connection and a session.

std::shared_ptr<const acl::identities> ip_only() {
  return std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}});
}
std::shared_ptr<const acl::identities> with_digest() {
  return std::make_shared<const acl::identities>(acl::identities{{"ip", "127.0.0.1"}, {"digest", user_digest}});
}

struct server;

struct client {
  server* srv = nullptr;
  connection_id conn = 0;
  int64_t session = 0;
  std::shared_ptr<const acl::identities> who;
  int32_t next_xid = 1;

  request::client_request make(int32_t opcode, std::string body, int32_t xid = 0) {
    request::client_request r;
    r.connection = conn;
    r.session = session;
    r.xid = xid != 0 ? xid : next_xid++;
    r.opcode = opcode;
    r.body = std::move(body);
    r.who = who;
    return r;
  }
  // Submits without committing.
  void send(int32_t opcode, std::string body, pipeline_output& out, int32_t xid = 0);
  // Submits and commits everything proposed; the whole output.
  pipeline_output run(int32_t opcode, std::string body, int32_t xid = 0);
  // run, expecting exactly one frame back to this connection.
  frame call(int32_t opcode, std::string body, int32_t xid = 0) {
    auto out = run(opcode, std::move(body), xid);
    auto frames = replies_to(out, conn);
    REQUIRE(frames.size() == 1);
    return frames.front();
  }

  frame create(std::string_view path, std::optional<std::string> data = std::string("d"), int32_t flags = 0,
               int32_t opcode = op::create, std::optional<acl::list> acl = open_acl()) {
    return call(opcode, create_body(path, std::move(data), std::move(acl), flags));
  }
  // create that must succeed; returns the actual path.
  std::string must_create(std::string_view path, int32_t flags = 0, std::optional<std::string> data = std::string("d"),
                          acl::list acl = open_acl()) {
    frame f = create(path, std::move(data), flags, op::create, std::move(acl));
    INFO("create " << path);
    REQUIRE(f.err == err::ok);
    return path_only_body(f.body);
  }
  frame remove(std::string_view path, int32_t version = -1) { return call(op::remove, delete_body(path, version)); }
  frame set_data(std::string_view path, std::optional<std::string> data, int32_t version = -1) {
    return call(op::set_data, set_data_body(path, std::move(data), version));
  }
  frame exists(std::string_view path, bool watch = false) { return call(op::exists, watch_body(path, watch)); }
  frame get_data(std::string_view path, bool watch = false) { return call(op::get_data, watch_body(path, watch)); }
  data_reply data_of(std::string_view path) {
    frame f = get_data(path);
    INFO("getData " << path);
    REQUIRE(f.err == err::ok);
    return data_body(f.body);
  }
  storage::stat stat_of(std::string_view path) {
    frame f = exists(path);
    INFO("exists " << path);
    REQUIRE(f.err == err::ok);
    return stat_body(f.body);
  }
  std::vector<std::string> children_of(std::string_view path) {
    frame f = call(op::get_children, watch_body(path));
    INFO("getChildren " << path);
    REQUIRE(f.err == err::ok);
    return children_body(f.body);
  }
};

struct server {
  storage::data_tree tree;
  pipeline_harness core;
  int64_t now = t0;
  connection_id next_connection = 1;

  explicit server(bool ttl_enabled = false, bool reconfig_enabled = false)
      : core(tree, request::write_settings{ttl_enabled}, request::read_settings{reconfig_enabled}, 0, first_session) {}

  void commit(pipeline_output& out) { core.durable_through(core.last_proposed_zxid(), out); }
  pipeline_output commit() {
    pipeline_output out;
    commit(out);
    return out;
  }

  // Opens a session on a fresh connection.
  client connect(std::shared_ptr<const acl::identities> who = ip_only(), int32_t timeout_ms = 10000) {
    client c;
    c.srv = this;
    c.conn = next_connection++;
    c.who = std::move(who);
    pipeline_output out;
    request::connect_request req;
    req.connection = c.conn;
    req.timeout_ms = timeout_ms;
    req.last_zxid_seen = core.last_applied_zxid();
    connect_with(core, req, password, now, out);
    REQUIRE(out.connects.empty());
    commit(out);
    REQUIRE(out.connects.size() == 1);
    REQUIRE(out.connects[0].outcome == request::connect_result::status::accepted);
    c.session = out.connects[0].session;
    return c;
  }

  int64_t zxid() const { return core.last_applied_zxid(); }
};

void client::send(int32_t opcode, std::string body, pipeline_output& out, int32_t xid) {
  submit_one(srv->core, make(opcode, std::move(body), xid), srv->now, out);
}

pipeline_output client::run(int32_t opcode, std::string body, int32_t xid) {
  pipeline_output out;
  send(opcode, std::move(body), out, xid);
  srv->commit(out);
  return out;
}

// Everything a failed write must leave alone, for the paths given.
std::string describe(const storage::data_tree& tree, const std::vector<std::string>& paths) {
  std::ostringstream o;
  o << "nodes " << tree.node_count() << " containers " << tree.containers().size() << " ttl "
    << tree.ttl_nodes().size() << " bytes " << tree.approximate_data_size() << "\n";
  for (const auto& path : paths) {
    o << path << ": ";
    const storage::znode* node = tree.find(path);
    if (!node) {
      o << "absent\n";
      continue;
    }
    o << Catch::StringMaker<storage::stat>::convert(node->to_stat()) << " C " << node->child_creations << " data "
      << (node->data_is_null ? "null" : "'" + node->data + "'") << " owner " << node->owner << " acl";
    for (const auto& e : tree.acl_of(*node)) o << " " << e.perms << ":" << e.who.scheme << ":" << e.who.value;
    o << " children";
    for (const auto& name : tree.child_names(*node)) o << " " << name;
    o << "\n";
  }
  for (const auto& [id, session] : tree.sessions()) {
    o << "session " << id << " ephemerals";
    for (const auto& e : session.ephemerals) o << " " << e;
    o << "\n";
  }
  return o.str();
}

}  // namespace

// =========================================================================================
// §7.3 pre-created nodes, §7.2 cversion, §15 getData byte example.

TEST_CASE("a fresh tree shows ZooKeeper's pre-created nodes and Stats") {
  server s;
  client c = s.connect();
  REQUIRE(s.zxid() == 1);  // createSession consumed zxid 1

  CHECK(c.stat_of("/") == make_stat(0, 0, 0, 0, 0, -1, 0, 0, 0, 1, 0));
  CHECK(c.stat_of("/zookeeper") == make_stat(0, 0, 0, 0, 0, -2, 0, 0, 0, 2, 0));
  CHECK(c.stat_of("/zookeeper/quota") == make_stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  CHECK(c.stat_of("/zookeeper/config") == make_stat(0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0));

  CHECK(c.children_of("/") == std::vector<std::string>{"zookeeper"});
  CHECK(c.children_of("/zookeeper") == std::vector<std::string>{"config", "quota"});

  storage::stat stat;
  CHECK(acl_body(c.call(op::get_acl, path_body("/zookeeper/config")).body, &stat) ==
        acl::list{{acl::read, {"world", "anyone"}}});
  CHECK(stat.aversion == -1);
  CHECK(acl_body(c.call(op::get_acl, path_body("/")).body) == open_acl());
  CHECK(acl_body(c.call(op::get_acl, path_body("/zookeeper/quota")).body) == open_acl());

  // §15: getData of /zookeeper/config, xid 5: empty (not null) data, aversion -1.
  frame f = c.call(op::get_data, watch_body("/zookeeper/config"), 5);
  CHECK(to_hex(f.raw) == to_hex(unhex("00000058 00000005 0000000000000001 00000000"
                                      "00000000"
                                      "0000000000000000 0000000000000000 0000000000000000 0000000000000000"
                                      "00000000 00000000 ffffffff 0000000000000000 00000000 00000000"
                                      "0000000000000000")));
}

// =========================================================================================
// §6.2 / §8.1: every create flag through its opcode, TTL on and off.

TEST_CASE("create: each flag value through each opcode") {
  enum class kind { none, session, container, ttl };
  struct row {
    const char* name;
    int32_t opcode;
    int32_t flags;
    int64_t ttl;  // -1: not sent (ops 1, 15, 19)
    bool ttl_enabled;
    int32_t error;
    const char* path;  // the actual path on success
    kind owner;
  };
  constexpr int64_t max_ttl = 0xFFFFFFFFFFll;
  const std::vector<row> rows = {
      {"persistent", op::create, 0, -1, false, err::ok, "/n", kind::none},
      {"ephemeral", op::create, 1, -1, false, err::ok, "/n", kind::session},
      {"persistent sequential", op::create, 2, -1, false, err::ok, "/n0000000000", kind::none},
      {"ephemeral sequential", op::create, 3, -1, false, err::ok, "/n0000000000", kind::session},
      {"container", op::create_container, 4, -1, false, err::ok, "/n", kind::container},
      {"ttl", op::create_ttl, 5, 5000, true, err::ok, "/n", kind::ttl},
      {"sequential ttl", op::create_ttl, 6, 5000, true, err::ok, "/n0000000000", kind::ttl},
      {"create2 persistent", op::create2, 0, -1, false, err::ok, "/n", kind::none},
      {"create2 ephemeral sequential", op::create2, 3, -1, false, err::ok, "/n0000000000", kind::session},
      {"flag 4 through op 1 is plain persistent", op::create, 4, -1, false, err::ok, "/n", kind::none},
      {"ephemeral flag through op 19 is a container", op::create_container, 1, -1, false, err::ok, "/n", kind::container},
      {"ephemeral sequential flag through op 19 is a sequential container", op::create_container, 3, -1, false, err::ok,
       "/n0000000000", kind::container},
      {"ttl at its maximum", op::create_ttl, 5, max_ttl, true, err::ok, "/n", kind::ttl},
      {"non-ttl mode through op 21 without ttl", op::create_ttl, 0, -1, true, err::ok, "/n", kind::none},
      {"ttl mode, ttl disabled, op 21", op::create_ttl, 5, 5000, false, err::unimplemented, nullptr, kind::none},
      {"sequential ttl, ttl disabled, op 21", op::create_ttl, 6, 5000, false, err::unimplemented, nullptr, kind::none},
      {"ttl mode, ttl disabled, op 1", op::create, 5, -1, false, err::unimplemented, nullptr, kind::none},
      {"ttl mode, ttl enabled, op 1", op::create, 5, -1, true, err::bad_arguments, nullptr, kind::none},
      {"ttl mode, ttl enabled, op 15", op::create2, 6, -1, true, err::bad_arguments, nullptr, kind::none},
      {"ttl 0", op::create_ttl, 5, 0, true, err::bad_arguments, nullptr, kind::none},
      {"ttl negative", op::create_ttl, 5, -5, true, err::bad_arguments, nullptr, kind::none},
      {"ttl above 2^40-1", op::create_ttl, 5, max_ttl + 1, true, err::bad_arguments, nullptr, kind::none},
      {"non-ttl mode through op 21 with ttl 0", op::create_ttl, 0, 0, true, err::bad_arguments, nullptr, kind::none},
      {"non-ttl mode through op 21 with ttl", op::create_ttl, 1, 100, true, err::bad_arguments, nullptr, kind::none},
      {"flags 7", op::create, 7, -1, false, err::bad_arguments, nullptr, kind::none},
      {"flags -1", op::create, -1, -1, true, err::bad_arguments, nullptr, kind::none},
      {"flags 7 through op 21", op::create_ttl, 7, 5000, false, err::bad_arguments, nullptr, kind::none},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.name) {
      server s(r.ttl_enabled);
      client c = s.connect();
      const std::string before = describe(s.tree, {"/", "/n", "/n0000000000"});
      std::string body = r.opcode == op::create_ttl ? create_ttl_body("/n", r.flags, r.ttl)
                                                    : create_body("/n", std::string("d"), open_acl(), r.flags);
      auto out = c.run(r.opcode, body);
      auto frames = replies_to(out, c.conn);
      REQUIRE(frames.size() == 1);
      const frame& f = frames[0];
      CHECK(f.xid == 1);
      CHECK(f.zxid == 2);  // failed writes consume a zxid too (§3.5)
      CHECK(f.err == r.error);
      if (r.error != err::ok) {
        CHECK(f.raw.size() == 20);  // header only (§3.5)
        CHECK(describe(s.tree, {"/", "/n", "/n0000000000"}) == before);
        CHECK(lines_starting(transcript(out), "trigger").empty());
        continue;
      }
      const int64_t visible_owner = r.owner == kind::session ? c.session : 0;
      const storage::stat expected = make_stat(2, 2, t0, t0, 0, 0, 0, visible_owner, 1, 0, 2);
      if (r.opcode == op::create) {
        CHECK(path_only_body(f.body) == r.path);
      } else {
        auto created = create2_body(f.body);
        CHECK(created.path == r.path);
        CHECK(created.stat == expected);
      }
      CHECK(c.stat_of(r.path) == expected);
      const storage::znode* node = s.tree.find(r.path);
      REQUIRE(node);
      CHECK(s.tree.containers().count(r.path) == (r.owner == kind::container ? 1u : 0u));
      CHECK(s.tree.ttl_nodes().count(r.path) == (r.owner == kind::ttl ? 1u : 0u));
      CHECK(s.tree.find_session(c.session)->ephemerals.count(r.path) == (r.owner == kind::session ? 1u : 0u));
      if (r.owner == kind::ttl) CHECK(storage::ttl_of_owner(node->owner) == r.ttl);
      // The parent: one more creation (C 0 -> 1), two children, cversion 2*1-2 = 0.
      CHECK(c.stat_of("/") == make_stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2));
      CHECK(lines_starting(transcript(out), "trigger") ==
            std::vector<std::string>{"trigger NodeCreated " + std::string(r.path) + " zxid 2",
                                     "trigger NodeChildrenChanged / zxid 2"});
    }
  }
}

// §8.2 and §7.2: C counts every successful creation, never deletions or failures.
TEST_CASE("create: sequential suffixes follow the parent's creation counter") {
  server s;
  client c = s.connect();
  c.must_create("/a");
  c.must_create("/a/b");  // C 0 -> 1
  CHECK(c.must_create("/a/s-", 2) == "/a/s-0000000001");
  CHECK(c.must_create("/a/s-", 2) == "/a/s-0000000002");
  CHECK(c.remove("/a/b").err == err::ok);
  CHECK(c.must_create("/a/s-", 2) == "/a/s-0000000003");
  // A failed create does not count.
  CHECK(c.create("/a/s-0000000001").err == err::node_exists);
  CHECK(c.create("/a/nope/x").err == err::no_node);
  CHECK(c.must_create("/a/s-", 2) == "/a/s-0000000004");
  // Ephemeral and sequential-ephemeral creations count like the rest.
  CHECK(c.must_create("/a/e-", 3) == "/a/e-0000000005");
  CHECK(c.must_create("/a/plain", 1) == "/a/plain");
  // A trailing slash with a sequential flag names the node by the suffix alone.
  CHECK(c.must_create("/a/", 2) == "/a/0000000007");
  // The root's counter: /a was its first creation, so "/" + seq gives 0000000001 (§8.2 observed).
  CHECK(c.must_create("/", 2) == "/0000000001");
  // Visible cversion = 2*C - numChildren = creates + deletes (8 creates, 1 delete).
  const storage::znode* a = s.tree.find("/a");
  REQUIRE(a);
  CHECK(a->child_creations == 8);
  CHECK(c.stat_of("/a").cversion == 9);
  CHECK(c.stat_of("/a").num_children == 7);

  SECTION("a generated name may collide: NODEEXISTS, and C does not move") {
    c.must_create("/q");
    c.must_create("/q/x0000000001");  // C 0 -> 1
    CHECK(c.create("/q/x", std::string("d"), 2).err == err::node_exists);
    CHECK(s.tree.find("/q")->child_creations == 1);
    CHECK(c.must_create("/q/y", 2) == "/q/y0000000001");
  }
}

// §6.2 "Checks, in order".
TEST_CASE("create: the reference's check order") {
  server s(true);
  client admin = s.connect(with_digest());
  client anon = s.connect(ip_only());
  admin.must_create("/exists");
  admin.must_create("/eph", 1);
  REQUIRE(admin.create("/cont", std::string(), 4, op::create_container).err == err::ok);
  REQUIRE(admin.call(op::create_ttl, create_ttl_body("/ttl", 5, 60000)).err == err::ok);
  // Only the digest user may create under /locked (and anyone may read it).
  admin.must_create("/locked", 0, std::string("d"),
                    {{acl::create, {"digest", user_digest}}, {acl::read, {"world", "anyone"}}});
  admin.must_create("/locked/child");

  struct row {
    const char* name;
    std::string path;
    int32_t flags;
    std::optional<acl::list> acl;
    bool as_admin;
    int32_t error;
  };
  const acl::list open = open_acl();
  const std::vector<row> rows = {
      {"bad flags come before everything", "/nope/x", 9, acl::list{}, false, err::bad_arguments},
      {"NUL in the path comes before the parent lookup", std::string("/nope\0/x", 8), 0, open, false, err::bad_arguments},
      {"a path without '/'", "abc", 0, open, false, err::bad_arguments},
      {"an empty path", "", 0, open, false, err::bad_arguments},
      {"an empty ACL comes before the parent lookup", "/nope/x", 0, acl::list{}, false, err::invalid_acl},
      {"a null ACL", "/x", 0, std::nullopt, false, err::invalid_acl},
      {"world with an id other than anyone", "/x", 0, acl::list{{31, {"world", "someone"}}}, false, err::invalid_acl},
      {"an unknown scheme", "/x", 0, acl::list{{31, {"foo", "bar"}}}, false, err::invalid_acl},
      {"a malformed digest id", "/x", 0, acl::list{{31, {"digest", "nocolon"}}}, false, err::invalid_acl},
      {"auth with only an ip identity", "/x", 0, acl::list{{31, {"auth", ""}}}, false, err::invalid_acl},
      {"trailing slash and a missing parent: NONODE", "/abc/", 0, open, false, err::no_node},
      {"double slash: NONODE", "/exists//b", 0, open, false, err::no_node},
      {"missing parent", "/nope/x", 0, open, false, err::no_node},
      {"NOAUTH on the parent comes before path validation", "/locked/.", 0, open, false, err::no_auth},
      {"NOAUTH on the parent comes before NODEEXISTS", "/locked/child", 0, open, false, err::no_auth},
      {"NOAUTH for a new child", "/locked/new", 0, open, false, err::no_auth},
      {"the digest user may create there", "/locked/new", 0, open, true, err::ok},
      {"trailing slash with an existing parent: BADARGUMENTS", "/exists/", 0, open, false, err::bad_arguments},
      {"a '.' component", "/exists/.", 0, open, false, err::bad_arguments},
      {"a '..' component", "/exists/..", 0, open, false, err::bad_arguments},
      // U+1F600 in 4-byte UTF-8: ZooKeeper sees a surrogate pair, a forbidden range (§6.1).
      {"a character above U+FFFF", "/exists/\xF0\x9F\x98\x80", 0, open, false, err::bad_arguments},
      {"the last character below the surrogates is fine", "/exists/\xED\x9F\xBF", 0, open, false, err::ok},
      {"create / is NODEEXISTS", "/", 0, open, false, err::node_exists},
      {"an existing node", "/exists", 0, open, false, err::node_exists},
      {"path validation comes before the ephemeral-parent check", "/eph/.", 0, open, false, err::bad_arguments},
      {"NODEEXISTS comes before NOCHILDRENFOREPHEMERALS", "/eph", 0, open, false, err::node_exists},
      {"a child of an ephemeral", "/eph/x", 0, open, false, err::no_children_for_ephemerals},
      {"a child of a container is fine", "/cont/x", 0, open, false, err::ok},
      {"a child of a TTL node is fine", "/ttl/x", 0, open, false, err::ok},
      {"sequential with a trailing slash", "/exists/", 2, open, false, err::ok},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.name) {
      client& who = r.as_admin ? admin : anon;
      frame f = who.call(op::create, create_body(r.path, std::string("d"), r.acl, r.flags));
      CHECK(f.err == r.error);
      if (r.error != err::ok) CHECK(f.body.empty());
    }
  }

  SECTION("auth expands to the caller's digest identity") {
    frame f = admin.create("/mine", std::string("d"), 0, op::create, acl::list{{acl::all, {"auth", "ignored"}}});
    REQUIRE(f.err == err::ok);
    CHECK(acl_body(admin.call(op::get_acl, path_body("/mine")).body) ==
          acl::list{{acl::all, {"digest", user_digest}}});
  }
  SECTION("duplicate ACL entries are removed") {
    frame f = admin.create("/dup", std::string("d"), 0, op::create,
                           acl::list{{acl::all, {"world", "anyone"}}, {acl::all, {"world", "anyone"}}});
    REQUIRE(f.err == err::ok);
    CHECK(acl_body(admin.call(op::get_acl, path_body("/dup")).body) == open_acl());
  }
  SECTION("session check comes after the flag and TTL checks") {
    client gone = s.connect();
    REQUIRE(gone.call(op::close_session, "").err == err::ok);
    CHECK(gone.create("/x", std::string("d"), 9).err == err::bad_arguments);
    CHECK(gone.call(op::create_ttl, create_ttl_body("/x", 5, 0)).err == err::bad_arguments);
    CHECK(gone.create("/x", std::string("d"), 0, op::create, acl::list{}).err == err::session_expired);
    CHECK(gone.create("/nope/x").err == err::session_expired);
  }
}

// =========================================================================================
// §6.3 delete.

TEST_CASE("delete: versions, emptiness, special nodes, permissions") {
  server s;
  client c = s.connect(with_digest());
  client anon = s.connect();
  c.must_create("/a");
  c.must_create("/a/b");
  REQUIRE(c.set_data("/a/b", std::string("x")).err == err::ok);  // version 1
  const int64_t before_delete = s.zxid();

  SECTION("a wrong version is BADVERSION and changes nothing") {
    const auto before = describe(s.tree, {"/a", "/a/b"});
    CHECK(c.remove("/a/b", 0).err == err::bad_version);
    CHECK(c.remove("/a/b", 2).err == err::bad_version);
    CHECK(describe(s.tree, {"/a", "/a/b"}) == before);
  }
  SECTION("the exact version deletes; the parent's cversion rises and pzxid moves") {
    auto out = c.run(op::remove, delete_body("/a/b", 1));
    auto frames = replies_to(out, c.conn);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].err == err::ok);
    CHECK(frames[0].body.empty());  // delete has no response record
    CHECK(frames[0].zxid == before_delete + 1);
    CHECK(s.tree.find("/a/b") == nullptr);
    storage::stat a = c.stat_of("/a");
    CHECK(a.num_children == 0);
    CHECK(a.cversion == 2);  // one create, one delete
    CHECK(a.pzxid == before_delete + 1);
    CHECK(a.mzxid == a.czxid);  // a child's delete is not a change of /a's data
    CHECK(lines_starting(transcript(out), "trigger") ==
          std::vector<std::string>{"trigger NodeDeleted /a/b zxid " + std::to_string(before_delete + 1),
                                   "trigger NodeChildrenChanged /a zxid " + std::to_string(before_delete + 1)});
  }
  SECTION("version -1 deletes any version") { CHECK(c.remove("/a/b", -1).err == err::ok); }
  SECTION("a node with children is NOTEMPTY, but BADVERSION is checked first") {
    CHECK(c.remove("/a").err == err::not_empty);
    CHECK(c.remove("/a", 0).err == err::not_empty);
    CHECK(c.remove("/a", 5).err == err::bad_version);
  }
  SECTION("special nodes are BADARGUMENTS; their children may be deleted") {
    for (const char* special : {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
      INFO(special);
      CHECK(c.remove(special).err == err::bad_arguments);
      CHECK(s.tree.find(special) != nullptr);
    }
    c.must_create("/zookeeper/foo");
    CHECK(c.remove("/zookeeper/foo").err == err::ok);
  }
  SECTION("paths without '/' or with NUL are BADARGUMENTS") {
    CHECK(c.remove("a").err == err::bad_arguments);
    CHECK(c.remove(std::string("/a\0", 3)).err == err::bad_arguments);
  }
  SECTION("missing node or parent: NONODE") {
    CHECK(c.remove("/a/missing").err == err::no_node);
    CHECK(c.remove("/missing/x").err == err::no_node);
    CHECK(c.remove("/a/b/").err == err::no_node);
  }
  SECTION("DELETE is checked on the parent, before the node's existence") {
    c.must_create("/guarded", 0, std::string("d"),
                  {{acl::all, {"digest", user_digest}}, {acl::all & ~acl::remove, {"world", "anyone"}}});
    c.must_create("/guarded/child");
    CHECK(anon.remove("/guarded/child").err == err::no_auth);
    CHECK(anon.remove("/guarded/missing").err == err::no_auth);
    // The node's own ACL does not matter: world may not even read /guarded/child2.
    c.must_create("/guarded/child2", 0, std::string("d"), {{acl::all, {"digest", user_digest}}});
    CHECK(c.remove("/guarded/child2").err == err::ok);
    CHECK(c.remove("/guarded/child").err == err::ok);
    // Deleting /guarded needs DELETE on "/", which is open.
    CHECK(anon.remove("/guarded").err == err::ok);
  }
}

// =========================================================================================
// §6.6 setData, §7.1.

TEST_CASE("setData: version bumps even for identical data, mzxid and mtime move, the parent does not") {
  server s;
  client c = s.connect();
  c.must_create("/p");
  c.must_create("/p/n", 0, std::string("same"));
  const int64_t created = s.zxid();
  const storage::stat parent_before = c.stat_of("/p");

  s.now = t0 + 500;
  auto out = c.run(op::set_data, set_data_body("/p/n", std::string("same"), 0));
  auto frames = replies_to(out, c.conn);
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].err == err::ok);
  const int64_t changed = created + 1;
  CHECK(frames[0].zxid == changed);
  const auto expected = make_stat(created, changed, t0, t0 + 500, 1, 0, 0, 0, 4, 0, created);
  CHECK(stat_body(frames[0].body) == expected);
  CHECK(c.stat_of("/p/n") == expected);
  CHECK(c.stat_of("/p") == parent_before);
  // The trigger goes out before the writer's reply (§10.3).
  CHECK(transcript(out) == std::vector<std::string>{"trigger NodeDataChanged /p/n zxid " + std::to_string(changed),
                                                    "c1 <- xid " + std::to_string(frames[0].xid) + " zxid " +
                                                        std::to_string(changed) + " err 0"});

  SECTION("the old version is now BADVERSION; -1 always matches") {
    CHECK(c.set_data("/p/n", std::string("x"), 0).err == err::bad_version);
    CHECK(c.set_data("/p/n", std::string("x"), 1).err == err::ok);
    CHECK(c.set_data("/p/n", std::string("longer"), -1).err == err::ok);
    CHECK(c.stat_of("/p/n").version == 3);
    CHECK(c.stat_of("/p/n").data_length == 6);
    CHECK(c.data_of("/p/n").data == std::string("longer"));
  }
  SECTION("NONODE, BADARGUMENTS and NOAUTH") {
    CHECK(c.set_data("/p/missing", std::string("x")).err == err::no_node);
    CHECK(c.set_data("/p/n/", std::string("x")).err == err::bad_arguments);
    CHECK(c.set_data("/p//n", std::string("x")).err == err::bad_arguments);
    CHECK(c.set_data("p", std::string("x")).err == err::bad_arguments);
    // Every byte of the path reaches apply: a NUL must not cut "/p/n\0x" down to "/p/n".
    CHECK(c.set_data(std::string("/p/n\0x", 6), std::string("x")).err == err::bad_arguments);
    CHECK(c.call(op::set_acl, set_acl_body(std::string("/p/n\0x", 6), open_acl())).err == err::bad_arguments);
    CHECK(c.stat_of("/p/n").version == 1);
    CHECK(c.stat_of("/p/n").aversion == 0);
    // §6.6 observed: /zookeeper/config is READ-only for world.
    CHECK(c.set_data("/zookeeper/config", std::string("x")).err == err::no_auth);
    // NONODE comes before BADVERSION.
    CHECK(c.set_data("/p/missing", std::string("x"), 7).err == err::no_node);
  }
}

// §6.5 / §6.2: null and empty data are distinct and round-trip.
TEST_CASE("null and empty data round-trip distinctly") {
  server s;
  client c = s.connect();
  c.must_create("/null", 0, std::nullopt);
  c.must_create("/empty", 0, std::string());

  frame null_reply = c.get_data("/null");
  REQUIRE(null_reply.err == err::ok);
  CHECK(to_hex(null_reply.body.substr(0, 4)) == "ffffffff");
  CHECK(data_body(null_reply.body).data == std::nullopt);
  CHECK(data_body(null_reply.body).stat.data_length == 0);

  frame empty_reply = c.get_data("/empty");
  CHECK(to_hex(empty_reply.body.substr(0, 4)) == "00000000");
  CHECK(data_body(empty_reply.body).data == std::string());

  REQUIRE(c.set_data("/empty", std::nullopt).err == err::ok);
  REQUIRE(c.set_data("/null", std::string()).err == err::ok);
  CHECK(c.data_of("/empty").data == std::nullopt);
  CHECK(c.data_of("/null").data == std::string());

  // multiRead reports the same distinction.
  auto results = multi_results(
      c.call(op::multi_read, multi_body({{op::get_data, watch_body("/empty")}, {op::get_data, watch_body("/null")}}))
          .body);
  REQUIRE(results.size() == 2);
  CHECK(results[0].data == std::nullopt);
  CHECK(results[1].data == std::string());
}

// =========================================================================================
// §6.8 setACL, §6.7 getACL, §11.

TEST_CASE("setACL: aversion, INVALIDACL rules, ADMIN, no watch trigger") {
  server s;
  client c = s.connect(with_digest());
  client anon = s.connect();
  c.must_create("/n");
  REQUIRE(c.set_data("/n", std::string("v2")).err == err::ok);  // version 1, aversion 0
  const storage::stat before = c.stat_of("/n");

  SECTION("the version compared is aversion, not version") {
    CHECK(c.call(op::set_acl, set_acl_body("/n", open_acl(), 1)).err == err::bad_version);
    auto out = c.run(op::set_acl, set_acl_body("/n", acl::list{{acl::all, {"digest", user_digest}}}, 0));
    auto frames = replies_to(out, c.conn);
    REQUIRE(frames.size() == 1);
    REQUIRE(frames[0].err == err::ok);
    storage::stat after = stat_body(frames[0].body);
    storage::stat expected = before;
    expected.aversion = 1;  // and nothing else: not mzxid, mtime or pzxid
    CHECK(after == expected);
    CHECK(lines_starting(transcript(out), "trigger").empty());
    CHECK(c.call(op::set_acl, set_acl_body("/n", open_acl(), 0)).err == err::bad_version);
    CHECK(c.call(op::set_acl, set_acl_body("/n", open_acl(), 1)).err == err::ok);
    CHECK(c.stat_of("/n").aversion == 2);
  }
  SECTION("INVALIDACL is checked before the node's existence") {
    CHECK(c.call(op::set_acl, set_acl_body("/missing", acl::list{})).err == err::invalid_acl);
    CHECK(c.call(op::set_acl, set_acl_body("/missing", std::nullopt)).err == err::invalid_acl);
    CHECK(c.call(op::set_acl, set_acl_body("/n", acl::list{{31, {"world", "everyone"}}})).err == err::invalid_acl);
    CHECK(c.call(op::set_acl, set_acl_body("/n", acl::list{{31, {"ip", "10.0.0.0/99"}}})).err == err::invalid_acl);
    CHECK(anon.call(op::set_acl, set_acl_body("/n", acl::list{{31, {"auth", ""}}})).err == err::invalid_acl);
    CHECK(c.call(op::set_acl, set_acl_body("/missing", open_acl())).err == err::no_node);
    CHECK(c.call(op::set_acl, set_acl_body("/n/", open_acl())).err == err::bad_arguments);
    CHECK(c.stat_of("/n") == before);
  }
  SECTION("ADMIN is required") {
    REQUIRE(c.call(op::set_acl, set_acl_body("/n", acl::list{{acl::all & ~acl::admin, {"world", "anyone"}},
                                                               {acl::admin, {"digest", user_digest}}}))
                .err == err::ok);
    CHECK(anon.call(op::set_acl, set_acl_body("/n", open_acl())).err == err::no_auth);
    // NOAUTH comes before BADVERSION.
    CHECK(anon.call(op::set_acl, set_acl_body("/n", open_acl(), 9)).err == err::no_auth);
    CHECK(c.call(op::set_acl, set_acl_body("/n", open_acl())).err == err::ok);
  }
}

TEST_CASE("ACL checks with digest identities per operation (§11.2)") {
  server s;
  client owner = s.connect(with_digest());
  client anon = s.connect();
  owner.must_create("/secret", 0, std::string("s"), {{acl::all, {"digest", user_digest}}});
  owner.must_create("/secret/child");

  SECTION("reads need READ") {
    CHECK(anon.get_data("/secret").err == err::no_auth);
    CHECK(anon.call(op::get_children, watch_body("/secret")).err == err::no_auth);
    CHECK(anon.call(op::get_children2, watch_body("/secret")).err == err::no_auth);
    CHECK(anon.call(op::get_all_children_number, path_body("/secret")).err == err::no_auth);
    CHECK(anon.exists("/secret").err == err::no_auth);
    CHECK(anon.call(op::get_acl, path_body("/secret")).err == err::no_auth);
    CHECK(owner.data_of("/secret").data == std::string("s"));
    CHECK(owner.exists("/secret").err == err::ok);
    // exists on a missing node needs no permission.
    CHECK(anon.exists("/secret/missing").err == err::no_node);
  }
  SECTION("writes need CREATE/DELETE on the parent, WRITE and ADMIN on the node") {
    CHECK(anon.create("/secret/x").err == err::no_auth);
    CHECK(anon.remove("/secret/child").err == err::no_auth);
    CHECK(anon.set_data("/secret", std::string("x")).err == err::no_auth);
    CHECK(anon.call(op::set_acl, set_acl_body("/secret", open_acl())).err == err::no_auth);
    CHECK(owner.create("/secret/x").err == err::ok);
    CHECK(owner.remove("/secret/x").err == err::ok);
    CHECK(owner.set_data("/secret", std::string("x")).err == err::ok);
    // The node's own ACL does not guard its deletion: DELETE on "/" does.
    CHECK(anon.remove("/secret/child").err == err::no_auth);
    CHECK(owner.remove("/secret/child").err == err::ok);
    CHECK(anon.remove("/secret").err == err::ok);
  }
  SECTION("a super identity bypasses every check") {
    client root = s.connect(std::make_shared<const acl::identities>(acl::identities{{"super", ""}}));
    CHECK(root.data_of("/secret").data == std::string("s"));
    CHECK(root.set_data("/secret", std::string("r")).err == err::ok);
  }
  SECTION("getACL needs READ or ADMIN; without ADMIN digest ids are redacted") {
    owner.must_create("/mixed", 0, std::string("d"),
                      {{acl::read, {"world", "anyone"}}, {acl::admin, {"digest", user_digest}},
                       {acl::write, {"ip", "10.0.0.0/8"}}});
    const acl::list full{{acl::read, {"world", "anyone"}},
                         {acl::admin, {"digest", user_digest}},
                         {acl::write, {"ip", "10.0.0.0/8"}}};
    CHECK(acl_body(owner.call(op::get_acl, path_body("/mixed")).body) == full);
    CHECK(acl_body(anon.call(op::get_acl, path_body("/mixed")).body) ==
          acl::list{{acl::read, {"world", "anyone"}}, {acl::admin, {"digest", "user:x"}}, {acl::write, {"ip", "10.0.0.0/8"}}});
    // ADMIN alone is enough to read the ACL.
    owner.must_create("/adminonly", 0, std::string("d"), {{acl::admin, {"digest", user_digest}}});
    CHECK(owner.call(op::get_acl, path_body("/adminonly")).err == err::ok);
    CHECK(owner.get_data("/adminonly").err == err::no_auth);
  }
}

TEST_CASE("writes on a closed or expired session are SESSIONEXPIRED") {
  server s;
  client c = s.connect();
  c.must_create("/keep");
  REQUIRE(c.call(op::close_session, "").err == err::ok);
  REQUIRE(s.tree.find_session(c.session) == nullptr);

  const auto before = describe(s.tree, {"/", "/keep", "/new"});
  CHECK(c.create("/new").err == err::session_expired);
  CHECK(c.remove("/keep").err == err::session_expired);
  CHECK(c.remove("/").err == err::session_expired);  // the session check precedes BADARGUMENTS
  CHECK(c.set_data("/keep", std::string("x")).err == err::session_expired);
  CHECK(c.call(op::set_acl, set_acl_body("/keep", open_acl())).err == err::session_expired);
  auto results = multi_results(c.call(op::multi, multi_body({{op::check, check_body("/keep", -1)}})).body);
  REQUIRE(results.size() == 1);
  CHECK(results[0].err == err::session_expired);
  CHECK(describe(s.tree, {"/", "/keep", "/new"}) == before);

  SECTION("a write queued behind closeSession on the same connection") {
    client d = s.connect();
    pipeline_output out;
    d.send(op::close_session, "", out);
    d.send(op::create, create_body("/late"), out);
    CHECK(replies_to(out, d.conn).empty());
    s.commit(out);
    auto frames = replies_to(out, d.conn);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].err == err::ok);
    CHECK(frames[1].err == err::session_expired);
    CHECK(s.tree.find("/late") == nullptr);
  }
}

TEST_CASE("reads on a closed, expired or expiring session are SESSIONEXPIRED") {
  server s;
  client c = s.connect();
  c.must_create("/keep");

  SECTION("closed by the client") {
    REQUIRE(c.call(op::close_session, "").err == err::ok);
    CHECK(c.call(op::get_data, watch_body("/keep")).err == err::session_expired);
    CHECK(c.call(op::exists, watch_body("/keep")).err == err::session_expired);
    CHECK(c.call(op::get_children, watch_body("/")).err == err::session_expired);
  }
  SECTION("expired, and while the expiry is not yet applied") {
    pipeline_output out;
    s.core.expire_session(c.session, s.now, out);
    REQUIRE(out.to_log.size() == 1);
    pipeline_output read;
    c.send(op::get_data, watch_body("/keep"), read);
    auto in_flight = replies_to(read, c.conn);
    REQUIRE(in_flight.size() == 1);
    CHECK(in_flight[0].err == err::session_expired);
    CHECK(in_flight[0].zxid == s.core.last_applied_zxid());
    s.commit(out);
    CHECK(s.tree.find_session(c.session) == nullptr);
    CHECK(c.call(op::get_data, watch_body("/keep")).err == err::session_expired);
  }
  SECTION("sasl, a disabled reconfig and invalid opcodes are answered as before the check") {
    REQUIRE(c.call(op::close_session, "").err == err::ok);
    CHECK(c.call(op::sasl, path_body("token")).err == err::auth_failed);
    CHECK(c.call(op::reconfig, "").err == err::reconfig_disabled);
    auto out = c.run(55, "");
    auto frames = replies_to(out, c.conn);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].err == err::unimplemented);
    CHECK(frames[0].zxid == -1);
  }
  SECTION("another session still reads") {
    client other = s.connect();
    REQUIRE(c.call(op::close_session, "").err == err::ok);
    CHECK(other.call(op::get_data, watch_body("/keep")).err == err::ok);
  }
}

// =========================================================================================
// §9 multi.

TEST_CASE("multi: success returns one result per op with the reference's result types") {
  server s(true);
  client c = s.connect();
  c.must_create("/old");
  const int64_t z = s.zxid() + 1;
  s.now = t0 + 7;
  auto out = c.run(op::multi, multi_body({
                                  {op::create, create_body("/m", std::string("m"))},
                                  {op::create2, create_body("/m/a", std::string("aa"))},
                                  {op::create_container, create_body("/c", std::string(), open_acl(), 4)},
                                  {op::create_ttl, create_ttl_body("/t", 5, 1000, std::string("ttl"))},
                                  {op::set_data, set_data_body("/m", std::string("m2"), 0)},
                                  {op::check, check_body("/m", 1)},
                                  {op::remove, delete_body("/old", 0)},
                              }));
  auto frames = replies_to(out, c.conn);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].err == err::ok);
  CHECK(frames[0].zxid == z);  // one zxid for the whole multi
  auto results = multi_results(frames[0].body);
  REQUIRE(results.size() == 7);
  const int64_t now = t0 + 7;
  CHECK(results[0].type == op::create);
  CHECK(results[0].path == "/m");
  CHECK_FALSE(results[0].stat);
  CHECK(results[1].type == op::create2);
  CHECK(results[1].path == "/m/a");
  CHECK(results[1].stat == make_stat(z, z, now, now, 0, 0, 0, 0, 2, 0, z));
  CHECK(results[2].type == op::create2);  // createContainer reports type 15
  CHECK(results[2].path == "/c");
  CHECK(results[2].stat == make_stat(z, z, now, now, 0, 0, 0, 0, 0, 0, z));
  CHECK(results[3].type == op::create2);  // createTTL reports type 15
  CHECK(results[3].path == "/t");
  CHECK(results[3].stat == make_stat(z, z, now, now, 0, 0, 0, 0, 3, 0, z));
  CHECK(results[4].type == op::set_data);
  CHECK(results[4].stat == make_stat(z, z, now, now, 1, 1, 0, 0, 2, 1, z));
  CHECK(results[5].type == op::check);
  CHECK(results[6].type == op::remove);
  for (const auto& r : results) CHECK(r.err == 0);
  // Byte-exact header of the first and last results.
  CHECK(to_hex(frames[0].body.substr(0, 9)) == "000000010000000000");
  CHECK(to_hex(frames[0].body.substr(frames[0].body.size() - 18)) == "000000020000000000ffffffff01ffffffff");

  CHECK(s.tree.containers().count("/c") == 1);
  CHECK(s.tree.ttl_nodes().count("/t") == 1);
  CHECK(s.tree.find("/old") == nullptr);
  // Triggers fire in op order, after the multi commits, before the reply.
  const std::string at = " zxid " + std::to_string(z);
  CHECK(transcript(out) == std::vector<std::string>{
                               "trigger NodeCreated /m" + at,
                               "trigger NodeChildrenChanged /" + at,
                               "trigger NodeCreated /m/a" + at,
                               "trigger NodeChildrenChanged /m" + at,
                               "trigger NodeCreated /c" + at,
                               "trigger NodeChildrenChanged /" + at,
                               "trigger NodeCreated /t" + at,
                               "trigger NodeChildrenChanged /" + at,
                               "trigger NodeDataChanged /m" + at,
                               "trigger NodeDeleted /old" + at,
                               "trigger NodeChildrenChanged /" + at,
                               "c1 <- xid " + std::to_string(frames[0].xid) + at + " err 0",
                           });
}

// §8.1 (observed): a multi turns op 1 with flag 4 into a createContainer, unlike a top-level
// create. Op 19 makes a container whatever its flags, in a multi as at top level.
TEST_CASE("multi: container flag and container opcode") {
  server s;
  client c = s.connect();
  auto results = multi_results(c.call(op::multi, multi_body({
                                                      {op::create, create_body("/c", std::string(), open_acl(), 4)},
                                                      {op::create_container, create_body("/e", std::string(), open_acl(), 1)},
                                                  }))
                                   .body);
  REQUIRE(results.size() == 2);
  CHECK(results[0].type == op::create2);
  CHECK(results[0].path == "/c");
  REQUIRE(results[0].stat);
  CHECK(results[0].stat->ephemeral_owner == 0);
  CHECK(results[1].type == op::create2);
  REQUIRE(results[1].stat);
  CHECK(results[1].stat->ephemeral_owner == 0);
  CHECK(s.tree.containers() == std::set<std::string>{"/c", "/e"});
  CHECK(s.tree.find_session(c.session)->ephemerals.empty());
}

TEST_CASE("multi: later ops see the effects of earlier ones") {
  server s;
  client c = s.connect();
  auto results = multi_results(c.call(op::multi, multi_body({
                                                      {op::create, create_body("/x")},
                                                      {op::create, create_body("/x/y")},
                                                      {op::set_data, set_data_body("/x", std::string("v"), 0)},
                                                      {op::check, check_body("/x", 1)},
                                                      {op::create, create_body("/x/s-", std::string(), open_acl(), 2)},
                                                      {op::remove, delete_body("/x/y", 0)},
                                                      {op::create, create_body("/x/s-", std::string(), open_acl(), 2)},
                                                  }))
                                   .body);
  REQUIRE(results.size() == 7);
  for (const auto& r : results) CHECK(r.err == 0);
  CHECK(results[4].path == "/x/s-0000000001");
  CHECK(results[6].path == "/x/s-0000000002");
  CHECK(c.children_of("/x") == std::vector<std::string>{"s-0000000001", "s-0000000002"});
  CHECK(c.stat_of("/x").cversion == 4);  // 3 creates + 1 delete
}

TEST_CASE("multi: a failing op rolls everything back and reports error/0/RUNTIMEINCONSISTENCY") {
  server s;
  client c = s.connect();
  c.must_create("/m1");
  c.must_create("/seq");
  c.must_create("/seq/a");
  c.must_create("/data", 0, std::string("old"));
  c.must_create("/victim", 0, std::string("v"), {{acl::read | acl::write, {"world", "anyone"}}});
  const std::vector<std::string> paths = {"/",         "/m1",    "/m2",     "/seq",           "/seq/a",
                                          "/seq/s-0000000001", "/data", "/victim", "/eph"};
  const auto before = describe(s.tree, paths);

  SECTION("the observed example, byte for byte (§9.2)") {
    const int64_t z = s.zxid() + 1;
    auto out = c.run(op::multi, multi_body({{op::create, create_body("/m2")},
                                            {op::create, create_body("/m1")},
                                            {op::remove, delete_body("/m2")}}));
    auto frames = replies_to(out, c.conn);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].err == err::ok);  // the header stays 0
    CHECK(frames[0].zxid == z);       // a failed multi still consumes a zxid
    CHECK(to_hex(frames[0].body) == to_hex(unhex("ffffffff 00 00000000 00000000"
                                                 "ffffffff 00 ffffff92 ffffff92"
                                                 "ffffffff 00 fffffffe fffffffe"
                                                 "ffffffff 01 ffffffff")));
    CHECK(lines_starting(transcript(out), "trigger").empty());
    CHECK(describe(s.tree, paths) == before);
  }
  SECTION("every kind of change is undone, including counters and pzxid") {
    auto results = multi_results(
        c.call(op::multi,
               multi_body({{op::create, create_body("/seq/s-", std::string(), open_acl(), 2)},  // C 1 -> 2
                           {op::remove, delete_body("/seq/a")},
                           {op::set_data, set_data_body("/data", std::nullopt)},
                           {op::create, create_body("/eph", std::string("e"), open_acl(), 1)},
                           {op::remove, delete_body("/victim")},
                           {op::create2, create_body("/m2")},
                           {op::check, check_body("/data", 0)},  // version is 1 by now: fails
                           {op::create, create_body("/never")},
                           {op::set_data, set_data_body("/missing", std::string("x"))}}))
            .body);
    REQUIRE(results.size() == 9);
    for (int i = 0; i < 6; ++i) {
      INFO(i);
      CHECK(results[i].type == -1);
      CHECK(results[i].err == 0);
    }
    CHECK(results[6].err == err::bad_version);
    CHECK(results[7].err == err::runtime_inconsistency);
    CHECK(results[8].err == err::runtime_inconsistency);
    CHECK(describe(s.tree, paths) == before);
    // The sequential counter was restored: the next sequential child reuses the suffix.
    CHECK(c.must_create("/seq/s-", 2) == "/seq/s-0000000001");
    CHECK(c.call(op::get_ephemerals, path_body("/")).body == unhex("00000000"));
  }
  SECTION("the first op failing: all later ops are RUNTIMEINCONSISTENCY") {
    auto results = multi_results(c.call(op::multi, multi_body({{op::remove, delete_body("/m1", 3)},
                                                               {op::create, create_body("/m2")}}))
                                     .body);
    REQUIRE(results.size() == 2);
    CHECK(results[0].err == err::bad_version);
    CHECK(results[1].err == err::runtime_inconsistency);
    CHECK(describe(s.tree, paths) == before);
  }
  SECTION("the last op failing") {
    auto results = multi_results(c.call(op::multi, multi_body({{op::create, create_body("/m2")},
                                                               {op::create, create_body("/m2")}}))
                                     .body);
    REQUIRE(results.size() == 2);
    CHECK(results[0].err == 0);
    CHECK(results[1].err == err::node_exists);
    CHECK(describe(s.tree, paths) == before);
  }
}

TEST_CASE("multi: empty, malformed, and ops that are not allowed") {
  server s;
  client c = s.connect();
  c.must_create("/a");
  const auto before = describe(s.tree, {"/", "/a"});

  SECTION("an empty multi succeeds with just the terminator") {
    frame f = c.call(op::multi, multi_body({}));
    CHECK(f.err == err::ok);
    CHECK(to_hex(f.body) == "ffffffff01ffffffff");
  }
  struct row {
    const char* name;
    std::string body;
  };
  const std::vector<row> rows = {
      {"a read op inside multi", multi_body({{op::create, create_body("/b")}, {op::get_data, watch_body("/a")}})},
      {"getChildren inside multi", multi_body({{op::get_children, watch_body("/a")}})},
      {"exists inside multi", multi_body({{op::exists, watch_body("/a")}})},
      {"setACL inside multi", multi_body({{op::set_acl, set_acl_body("/a", open_acl())}})},
      {"deleteContainer inside multi", multi_body({{op::delete_container, path_body("/a")}})},
      {"a nested multi", multi_body({{op::multi, multi_body({})}})},
      {"a truncated record", multi_body({{op::create, create_body("/b")}}).substr(0, 20)},
      {"no terminator", multi_body({{op::create, create_body("/b")}}).substr(0, 9 + create_body("/b").size())},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.name) {
      pipeline_output out;
      c.send(op::multi, r.body, out, 42);
      CHECK(out.to_log.empty());  // nothing was proposed
      s.commit(out);
      auto frames = replies_to(out, c.conn);
      REQUIRE(frames.size() == 1);
      CHECK(to_hex(frames[0].raw) == "000000100000002a" + long_hex(s.zxid()) + "fffffffb");
      CHECK(describe(s.tree, {"/", "/a"}) == before);
    }
  }
}

// =========================================================================================
// Reads: §6.4 – §6.23.

TEST_CASE("exists, getData and getChildren register watches exactly when the reference does") {
  server s;
  client c = s.connect();
  client owner = s.connect(with_digest());
  owner.must_create("/secret", 0, std::string("s"), {{acl::all, {"digest", user_digest}}});
  c.must_create("/n");

  struct row {
    const char* name;
    int32_t opcode;
    std::string path;
    bool watch;
    int32_t error;
    const char* registered;  // nullptr: no registration
  };
  const std::vector<row> rows = {
      {"exists on a missing node registers a data watch", op::exists, "/missing", true, err::no_node, "data"},
      {"exists on an existing node", op::exists, "/n", true, err::ok, "data"},
      {"exists without watch", op::exists, "/missing", false, err::no_node, nullptr},
      {"exists on NOAUTH registers nothing", op::exists, "/secret", true, err::no_auth, nullptr},
      {"getData on a missing node registers nothing", op::get_data, "/missing", true, err::no_node, nullptr},
      {"getData on NOAUTH registers nothing", op::get_data, "/secret", true, err::no_auth, nullptr},
      {"getData success", op::get_data, "/n", true, err::ok, "data"},
      {"getData without watch", op::get_data, "/n", false, err::ok, nullptr},
      {"getChildren on a missing node registers nothing", op::get_children, "/missing", true, err::no_node, nullptr},
      {"getChildren success", op::get_children, "/n", true, err::ok, "child"},
      {"getChildren2 success", op::get_children2, "/n", true, err::ok, "child"},
      {"getChildren2 on NOAUTH", op::get_children2, "/secret", true, err::no_auth, nullptr},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.name) {
      auto out = c.run(r.opcode, watch_body(r.path, r.watch), 9);
      auto lines = transcript(out);
      std::vector<std::string> expected;
      if (r.registered) expected.push_back("c1 watch " + std::string(r.registered) + " " + r.path);
      expected.push_back("c1 <- xid 9 zxid " + std::to_string(s.zxid()) + " err " + std::to_string(r.error));
      CHECK(lines == expected);
      CHECK(out.to_log.empty());
    }
  }
  SECTION("exists rejects a path with NUL") {
    CHECK(c.exists(std::string("/n\0", 3), true).err == err::bad_arguments);
  }
}

TEST_CASE("getChildren/getChildren2 return sorted names and the node's Stat") {
  server s;
  client c = s.connect();
  c.must_create("/p");
  for (const char* name : {"/p/b", "/p/a", "/p/c", "/p/a0"}) c.must_create(name);
  c.must_create("/p/a/deep");
  std::optional<storage::stat> stat;
  frame f = c.call(op::get_children2, watch_body("/p"));
  REQUIRE(f.err == err::ok);
  CHECK(children_body(f.body, &stat) == std::vector<std::string>{"a", "a0", "b", "c"});
  REQUIRE(stat);
  CHECK(*stat == c.stat_of("/p"));
  CHECK(stat->num_children == 4);
  CHECK(stat->cversion == 4);
  CHECK(c.children_of("/p") == std::vector<std::string>{"a", "a0", "b", "c"});
  CHECK(c.children_of("/p/c").empty());
  CHECK(c.call(op::get_children, watch_body("/p/missing")).err == err::no_node);

  SECTION("getAllChildrenNumber counts descendants at every depth") {
    CHECK(c.call(op::get_all_children_number, path_body("/p")).body == unhex("00000005"));
    CHECK(c.call(op::get_all_children_number, path_body("/")).body == unhex("00000009"));  // 3 + /p + 5
    CHECK(c.call(op::get_all_children_number, path_body("/p/c")).body == unhex("00000000"));
    CHECK(c.call(op::get_all_children_number, path_body("/nope")).err == err::no_node);
  }
}

TEST_CASE("getAllChildrenNumber on a fresh tree") {
  server s;
  client c = s.connect();
  CHECK(c.call(op::get_all_children_number, path_body("/")).body == unhex("00000003"));
  CHECK(c.call(op::get_all_children_number, path_body("/zookeeper")).body == unhex("00000002"));
}

// ZooKeeper's DataTree indexes the root under "" too, and reads do not validate their path.
TEST_CASE("reads of the empty path answer for the root") {
  server s;
  client c = s.connect();
  c.must_create("/a", 0, std::string("x"));
  auto same_as_root = [&](int32_t opcode, std::string (*body)(std::string_view)) {
    INFO("opcode " << opcode);
    frame empty = c.call(opcode, body(""));
    CHECK(empty.err == err::ok);
    CHECK(empty.body == c.call(opcode, body("/")).body);
  };
  for (int32_t opcode : {op::exists, op::get_data, op::get_children, op::get_children2})
    same_as_root(opcode, [](std::string_view path) { return watch_body(path); });
  same_as_root(op::get_acl, path_body);
  // It counts the keys starting with "/": the root's 4 descendants and the root itself.
  CHECK(c.call(op::get_all_children_number, path_body("")).body == unhex("00000005"));
  auto results = multi_results(
      c.call(op::multi_read, multi_body({{op::get_data, watch_body("")}, {op::get_children, watch_body("")}})).body);
  REQUIRE(results.size() == 2);
  CHECK(results[0].type == op::get_data);
  CHECK(results[0].stat == c.stat_of("/"));
  CHECK(results[1].children == std::vector<std::string>{"a", "zookeeper"});
}

TEST_CASE("getEphemerals: the caller's session ephemerals, plain string prefix") {
  server s(true);
  client c = s.connect();
  client other = s.connect();
  c.must_create("/a");
  c.must_create("/a/e", 1);
  c.must_create("/ab", 1);
  c.must_create("/b", 1);
  REQUIRE(c.create("/a/cont", std::string(), 4, op::create_container).err == err::ok);
  REQUIRE(c.call(op::create_ttl, create_ttl_body("/a/ttl", 5, 1000)).err == err::ok);
  other.must_create("/a/theirs", 1);

  auto ephemerals = [&](client& who, std::optional<std::string> prefix) {
    std::string body;
    jute::writer w(body);
    if (prefix) w.write_ustring(*prefix);
    else w.write_int(-1);
    frame f = who.call(op::get_ephemerals, body);
    REQUIRE(f.err == err::ok);
    jute::reader r(f.body);
    auto paths = *r.read_ustring_vector();
    std::sort(paths.begin(), paths.end());
    return paths;
  };
  const std::vector<std::string> all = {"/a/e", "/ab", "/b"};
  CHECK(ephemerals(c, std::string("/")) == all);
  CHECK(ephemerals(c, std::string()) == all);
  CHECK(ephemerals(c, std::nullopt) == all);
  CHECK(ephemerals(c, std::string("  ")) == all);
  CHECK(ephemerals(c, std::string(" \t\n")) == all);  // blank: any whitespace
  CHECK(ephemerals(c, std::string(" / ")) == all);     // compared with "/" after trim()
  CHECK(ephemerals(c, std::string("/a")) == std::vector<std::string>{"/a/e", "/ab"});
  CHECK(ephemerals(c, std::string("/a/")) == std::vector<std::string>{"/a/e"});
  CHECK(ephemerals(c, std::string("/c")).empty());
  CHECK(ephemerals(other, std::string("/")) == std::vector<std::string>{"/a/theirs"});
}

TEST_CASE("sync, ping, whoAmI, addWatch, reconfig, sasl and watch queries") {
  server s;
  client c = s.connect(with_digest());
  c.must_create("/a");
  const int64_t z = s.zxid();
  const std::string zxid_hex = long_hex(z);

  SECTION("sync echoes the path, even a missing one") {
    frame f = c.call(op::sync, path_body("/does/not/exist"), 3);
    CHECK(f.err == err::ok);
    CHECK(f.zxid == z);
    CHECK(path_only_body(f.body) == "/does/not/exist");
    CHECK(s.zxid() == z);
  }
  SECTION("sync echoes a null path as null") {
    frame f = c.call(op::sync, unhex("ffffffff"));
    CHECK(f.err == err::ok);
    CHECK(to_hex(f.body) == "ffffffff");
  }
  SECTION("ping: xid -2, last zxid, no body (§15)") {
    frame f = c.call(op::ping, "", -2);
    CHECK(to_hex(f.raw) == "00000010fffffffe" + zxid_hex + "00000000");
  }
  SECTION("whoAmI lists the connection's identities") {
    frame f = c.call(op::who_am_i, "");
    REQUIRE(f.err == err::ok);
    jute::reader r(f.body);
    CHECK(r.read_int() == 2);
    CHECK(r.read_ustring() == "ip");
    CHECK(r.read_ustring() == "127.0.0.1");
    CHECK(r.read_ustring() == "digest");
    CHECK(r.read_ustring() == "user");
    CHECK(r.at_end());
  }
  SECTION("addWatch: a 4-byte body and a registration; bad modes are MARSHALLINGERROR") {
    auto out = c.run(op::add_watch, path_int_body("/missing", 0), 7);
    CHECK(transcript(out) ==
          std::vector<std::string>{"c1 watch persistent /missing", "c1 <- xid 7 zxid " + std::to_string(z) + " err 0"});
    auto frames = replies_to(out, c.conn);
    CHECK(to_hex(frames[0].raw) == "0000001400000007" + zxid_hex + "00000000" + "00000000");
    out = c.run(op::add_watch, path_int_body("/a", 1), 8);
    CHECK(transcript(out) ==
          std::vector<std::string>{"c1 watch recursive /a", "c1 <- xid 8 zxid " + std::to_string(z) + " err 0"});
    out = c.run(op::add_watch, path_int_body("/a", 2), 9);
    CHECK(transcript(out) == std::vector<std::string>{"c1 <- xid 9 zxid " + std::to_string(z) + " err -5"});
  }
  SECTION("reconfig is RECONFIGDISABLED, or UNIMPLEMENTED once enabled; sasl is AUTHFAILED with zxid 0") {
    CHECK(c.call(op::reconfig, "").err == err::reconfig_disabled);
    server enabled(false, true);
    client other = enabled.connect();
    frame reconfig = other.call(op::reconfig, "");
    CHECK(reconfig.err == err::unimplemented);
    CHECK(reconfig.zxid == enabled.zxid());
    frame f = c.call(op::sasl, path_body("token"));
    CHECK(f.err == err::auth_failed);
    CHECK(f.zxid == 0);
  }
  SECTION("checkWatches and removeWatches go to the watch registry; bad types are MARSHALLINGERROR") {
    auto out = c.run(op::check_watches, path_int_body("/a", 2), 11);
    CHECK(transcript(out) == std::vector<std::string>{"c1 query /a type 2 check xid 11"});
    out = c.run(op::remove_watches, path_int_body("/a", 3), 12);
    CHECK(transcript(out) == std::vector<std::string>{"c1 query /a type 3 remove xid 12"});
    out = c.run(op::remove_watches, path_int_body("/a", 9), 13);
    CHECK(transcript(out) == std::vector<std::string>{"c1 <- xid 13 zxid " + std::to_string(z) + " err -5"});
  }
  SECTION("a truncated read body is MARSHALLINGERROR") {
    frame f = c.call(op::get_data, path_body("/a").substr(0, 5));
    CHECK(f.err == err::marshalling_error);
    CHECK(f.body.empty());
  }
}

// §3.4: unknown opcodes and ones a client may not send.
TEST_CASE("unknown and forbidden opcodes: UNIMPLEMENTED with zxid -1, then close") {
  server s(true);
  client c = s.connect();
  c.must_create("/cont");
  REQUIRE(c.create("/c2", std::string(), 4, op::create_container).err == err::ok);
  const auto before = describe(s.tree, {"/", "/cont", "/c2"});
  const std::vector<std::pair<int32_t, std::string>> rows = {
      {0, ""},
      {10, ""},
      {op::check, check_body("/cont", -1)},  // top-level check (3.9)
      {op::check, check_body("/cont", 5)},
      {op::delete_container, path_body("/c2")},
      {23, ""},
      {55, ""},
      {99, ""},
      {108, ""},
      {op::create_session, ""},
      {-1, ""},
      {op::notification, ""},
  };
  for (const auto& [opcode, body] : rows) {
    DYNAMIC_SECTION("opcode " << opcode) {
      pipeline_output out;
      c.send(opcode, body, out, 0x55);
      CHECK(out.to_log.empty());
      s.commit(out);
      REQUIRE(out.items.size() == 1);
      auto* reply = std::get_if<request::reply_item>(&out.items[0]);
      REQUIRE(reply);
      CHECK(reply->close_after);
      CHECK(to_hex(reply->frames) == "0000001000000055ffffffffffffffff" "fffffffa");
      CHECK(describe(s.tree, {"/", "/cont", "/c2"}) == before);
    }
  }
}

TEST_CASE("multiRead: per-op results and errors, no watches") {
  server s;
  client c = s.connect();
  client owner = s.connect(with_digest());
  c.must_create("/r", 0, std::string("x"));
  c.must_create("/r/c");
  owner.must_create("/secret", 0, std::string("s"), {{acl::all, {"digest", user_digest}}});

  auto out = c.run(op::multi_read, multi_body({{op::get_data, watch_body("/r", true)},
                                               {op::get_children, watch_body("/r", true)},
                                               {op::get_data, watch_body("/missing", true)},
                                               {op::get_children, watch_body("/missing", true)},
                                               {op::get_data, watch_body("/secret", true)},
                                               {op::get_children, watch_body("/r/c", true)}}));
  CHECK(out.to_log.empty());
  auto lines = transcript(out);
  REQUIRE(lines.size() == 1);  // the reply, no watch registrations
  auto frames = replies_to(out, c.conn);
  CHECK(frames[0].err == err::ok);
  auto results = multi_results(frames[0].body);
  REQUIRE(results.size() == 6);
  CHECK(results[0].type == op::get_data);
  CHECK(results[0].data == std::string("x"));
  CHECK(results[0].stat == c.stat_of("/r"));
  CHECK(results[1].type == op::get_children);
  CHECK(results[1].children == std::vector<std::string>{"c"});
  CHECK(results[2].type == -1);
  CHECK(results[2].err == err::no_node);
  CHECK(results[3].err == err::no_node);
  CHECK(results[4].err == err::no_auth);
  CHECK(results[5].type == op::get_children);
  CHECK(results[5].children.empty());

  SECTION("write ops inside multiRead are MARSHALLINGERROR") {
    frame f = c.call(op::multi_read, multi_body({{op::get_data, watch_body("/r")}, {op::create, create_body("/z")}}));
    CHECK(f.err == err::marshalling_error);
    CHECK(f.body.empty());
    CHECK(s.tree.find("/z") == nullptr);
  }
  SECTION("other op types are rejected by type, even with a read-shaped record") {
    for (int32_t type : {op::remove, op::exists, op::get_children2, op::check}) {
      INFO(type);
      frame f = c.call(op::multi_read, multi_body({{op::get_data, watch_body("/r")}, {type, watch_body("/r")}}));
      CHECK(f.err == err::marshalling_error);
      CHECK(f.body.empty());
    }
  }
  SECTION("an empty multiRead") {
    CHECK(to_hex(c.call(op::multi_read, multi_body({})).body) == "ffffffff01ffffffff");
  }
}

// §10.4, following the observed example.
TEST_CASE("setWatches replays missed events before the -8 reply and registers the rest") {
  server s;
  client c = s.connect();
  c.must_create("/sw");
  c.must_create("/sw/gone");
  c.must_create("/stable");
  c.must_create("/stablep");
  const int64_t relative = s.zxid();  // /stablep: czxid = mzxid = pzxid = relative
  REQUIRE(c.set_data("/sw", std::string("new")).err == err::ok);
  REQUIRE(c.remove("/sw/gone").err == err::ok);
  c.must_create("/sw/new");

  client re = s.connect();
  const int64_t z = s.zxid();
  auto out = re.run(op::set_watches,
                    set_watches_body(relative, {"/sw", "/sw/gone", "/stable", "/stablep"}, {"/sw/new", "/missing"},
                                     {"/sw", "/sw/gone2", "/stablep"}),
                    -8);
  const std::string c2 = "c" + std::to_string(re.conn);
  CHECK(transcript(out) == std::vector<std::string>{
                               c2 + " watch data /stable",
                               c2 + " watch data /stablep",
                               c2 + " watch data /missing",
                               c2 + " watch child /stablep",
                               c2 + " <- event NodeDataChanged /sw zxid -1",
                               c2 + " <- event NodeDeleted /sw/gone zxid -1",
                               c2 + " <- event NodeCreated /sw/new zxid -1",
                               c2 + " <- event NodeChildrenChanged /sw zxid -1",
                               c2 + " <- event NodeDeleted /sw/gone2 zxid -1",
                               c2 + " <- xid -8 zxid " + std::to_string(z) + " err 0",
                           });
  auto frames = replies_to(out, re.conn);
  REQUIRE(frames.size() == 6);
  // §15 notification layout, with zxid -1 as replays carry.
  CHECK(to_hex(frames[0].raw) == "0000001f" "ffffffff" "ffffffffffffffff" "00000000" "00000003" "00000003"
                                 "00000003" "2f7377");
  CHECK(frames[5].raw.size() == 20);
  CHECK(out.to_log.empty());

  SECTION("setWatches2 registers persistent and recursive watches without replay") {
    const std::vector<std::string> persistent = {"/missing", "/sw"};
    const std::vector<std::string> recursive = {"/sw"};
    out = re.run(op::set_watches2, set_watches_body(z, {}, {}, {}, &persistent, &recursive), -8);
    CHECK(transcript(out) == std::vector<std::string>{
                                 c2 + " watch persistent /missing",
                                 c2 + " watch persistent /sw",
                                 c2 + " watch recursive /sw",
                                 c2 + " <- xid -8 zxid " + std::to_string(z) + " err 0",
                             });
  }
  SECTION("nothing missed: everything is re-registered") {
    out = re.run(op::set_watches, set_watches_body(z, {"/sw"}, {"/nope"}, {"/sw"}), -8);
    CHECK(transcript(out) == std::vector<std::string>{
                                 c2 + " watch data /sw",
                                 c2 + " watch data /nope",
                                 c2 + " watch child /sw",
                                 c2 + " <- xid -8 zxid " + std::to_string(z) + " err 0",
                             });
  }
}

// =========================================================================================
// Ordering: §3.5 and §10.3.

TEST_CASE("replies keep each connection's order, reads wait for that connection's writes") {
  server s;
  client a = s.connect();
  client b = s.connect();
  a.must_create("/o", 0, std::string("v1"));
  const int64_t z0 = s.zxid();
  REQUIRE(b.get_data("/o", true).err == err::ok);  // b watches /o

  pipeline_output out;
  a.send(op::set_data, set_data_body("/o", std::string("v2")), out, 100);
  a.send(op::get_data, watch_body("/o"), out, 101);
  a.send(op::ping, "", out, -2);
  CHECK(out.items.empty());  // nothing answered before the write is durable
  CHECK(out.to_log.size() == 1);
  CHECK(s.core.outstanding() == 1);

  // Another connection is answered at once, from the applied tree.
  b.send(op::get_data, watch_body("/o"), out, 200);
  auto b_frames = replies_to(out, b.conn);
  REQUIRE(b_frames.size() == 1);
  CHECK(b_frames[0].zxid == z0);
  CHECK(data_body(b_frames[0].body).data == std::string("v1"));

  out = {};
  s.commit(out);
  const std::string z = std::to_string(z0 + 1);
  CHECK(transcript(out) == std::vector<std::string>{
                               "trigger NodeDataChanged /o zxid " + z,
                               "c1 <- xid 100 zxid " + z + " err 0",
                               "c1 <- xid 101 zxid " + z + " err 0",
                               "c1 <- xid -2 zxid " + z + " err 0",
                           });
  auto a_frames = replies_to(out, a.conn);
  CHECK(data_body(a_frames[1].body).data == std::string("v2"));
  CHECK(s.core.outstanding() == 0);
}

TEST_CASE("partial durability releases exactly the replies that are due") {
  server s;
  client a = s.connect();
  pipeline_output out;
  const int64_t z0 = s.zxid();
  a.send(op::create, create_body("/w1"), out, 1);
  a.send(op::exists, watch_body("/w1"), out, 2);
  a.send(op::create, create_body("/w2"), out, 3);
  a.send(op::exists, watch_body("/w2"), out, 4);
  a.send(op::sync, path_body("/"), out, 5);
  REQUIRE(out.to_log.size() == 2);
  CHECK(out.to_log[0].zxid == z0 + 1);
  CHECK(out.to_log[1].zxid == z0 + 2);

  out = {};
  s.core.durable_through(z0 + 1, out);
  auto frames = replies_to(out, a.conn);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].xid == 1);
  CHECK(frames[1].xid == 2);
  CHECK(frames[1].err == err::ok);
  CHECK(frames[1].zxid == z0 + 1);

  out = {};
  s.core.durable_through(z0 + 2, out);
  frames = replies_to(out, a.conn);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].xid == 3);
  CHECK(frames[1].xid == 4);
  CHECK(frames[1].err == err::ok);
  CHECK(frames[2].xid == 5);
  CHECK(frames[2].zxid == z0 + 2);
}

TEST_CASE("replies queued behind a write carry monotonic zxids") {
  server s;
  client a = s.connect();
  a.must_create("/o");
  const int64_t z0 = s.zxid();
  pipeline_output out;
  a.send(op::set_data, set_data_body("/o", std::string("x")), out, 1);
  // A write whose record does not decode is answered in order, like a read (§3.5).
  a.send(op::create, create_body("/p").substr(0, 6), out, 2);
  // A reply the session actor already built (auth) keeps its place too.
  request::client_request auth = a.make(op::auth, "", -4);
  auth.ready_reply.emplace();
  *auth.ready_reply = unhex("00000010 fffffffc 0000000000000000 00000000");
  auth.close_after = true;  // as after AUTHFAILED
  submit_one(s.core, auth, s.now, out);
  CHECK(out.items.empty());
  s.commit(out);
  CHECK(transcript(out).back() == "c1 close");
  auto frames = replies_to(out, a.conn);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].xid == 1);
  CHECK(frames[0].zxid == z0 + 1);
  CHECK(frames[1].xid == 2);
  CHECK(frames[1].err == err::marshalling_error);
  CHECK(frames[1].zxid == z0 + 1);  // not older than the write reply before it
  CHECK(frames[2].xid == -4);
  CHECK(frames[2].zxid == 0);  // auth replies carry 0 (§3.5)

  SECTION("with nothing pending, a malformed write is answered at once") {
    pipeline_output now;
    a.send(op::set_data, path_body("/o"), now, 9);
    CHECK(now.to_log.empty());
    auto f = replies_to(now, a.conn);
    REQUIRE(f.size() == 1);
    CHECK(f[0].err == err::marshalling_error);
    CHECK(f[0].zxid == z0 + 1);
  }
}

TEST_CASE("the writer's own watch events come before its reply, other connections' triggers too") {
  server s;
  client a = s.connect();
  client b = s.connect();
  pipeline_output out;
  a.send(op::exists, watch_body("/n", true), out, 1);
  b.send(op::get_children, watch_body("/", true), out, 2);
  const int64_t z = s.zxid() + 1;
  out = s.commit();
  a.send(op::create, create_body("/n"), out, 3);
  s.commit(out);
  CHECK(transcript(out) == std::vector<std::string>{
                               "trigger NodeCreated /n zxid " + std::to_string(z),
                               "trigger NodeChildrenChanged / zxid " + std::to_string(z),
                               "c1 <- xid 3 zxid " + std::to_string(z) + " err 0",
                           });
  // The trigger carries the ACL receivers are filtered by (§10.6): the node's, then the parent's.
  auto* created = std::get_if<request::trigger_item>(&out.items[0]);
  REQUIRE(created);
  REQUIRE(created->fired.acl);
  CHECK(*created->fired.acl == open_acl());
}

TEST_CASE("a closed connection loses its pending replies, not its writes") {
  server s;
  client a = s.connect();
  pipeline_output out;
  a.send(op::create, create_body("/n"), out, 1);
  a.send(op::exists, watch_body("/n"), out, 2);
  s.core.connection_closed(a.conn, out);
  s.commit(out);
  CHECK(transcript(out) == std::vector<std::string>{"forget c1", "trigger NodeCreated /n zxid 2",
                                                    "trigger NodeChildrenChanged / zxid 2"});
  CHECK(s.tree.find("/n") != nullptr);
}

// =========================================================================================
// Sessions: §2.3, §6.24, §12.

TEST_CASE("sessions: create, re-attach, refuse, expire, close") {
  server s;
  request::connect_request req;
  req.connection = 7;
  req.timeout_ms = 10000;
  pipeline_output out;
  connect_with(s.core, req, password, s.now, out);
  CHECK(out.connects.empty());  // accepted only once createSession is applied
  REQUIRE(out.to_log.size() == 1);
  CHECK(out.to_log[0].zxid == 1);
  CHECK(s.tree.find_session(first_session) == nullptr);
  s.commit(out);
  REQUIRE(out.connects.size() == 1);
  CHECK(out.connects[0].outcome == request::connect_result::status::accepted);
  CHECK(out.connects[0].connection == 7u);
  CHECK(out.connects[0].session == first_session);
  CHECK(out.connects[0].timeout_ms == 10000);
  CHECK(out.connects[0].password == password);
  REQUIRE(out.sessions.size() == 1);
  CHECK(out.sessions[0].opened);
  CHECK(out.sessions[0].session == first_session);
  CHECK(out.sessions[0].timeout_ms == 10000);
  REQUIRE(s.tree.find_session(first_session));
  CHECK(s.tree.find_session(first_session)->password == password);
  CHECK(s.zxid() == 1);

  client c;
  c.srv = &s;
  c.conn = 7;
  c.session = first_session;
  c.who = ip_only();
  c.must_create("/e1", 1);
  c.must_create("/p");
  c.must_create("/p/e2", 1);
  client other = s.connect();
  CHECK(other.session == first_session + 1);

  auto attach = [&](int64_t session, std::string pw, int64_t last_zxid_seen, int32_t timeout = 20000) {
    request::connect_request r;
    r.connection = 9;
    r.session = session;
    r.password = std::move(pw);
    r.timeout_ms = timeout;
    r.last_zxid_seen = last_zxid_seen;
    pipeline_output o;
    const int64_t proposed = s.core.last_proposed_zxid();
    connect_with(s.core, r, std::string(16, '\x11'), s.now, o);
    CHECK(s.core.last_proposed_zxid() == proposed);  // re-attaching consumes no zxid
    CHECK(o.to_log.empty());
    return o;
  };

  SECTION("re-attach with the right password renegotiates the timeout") {
    auto o = attach(first_session, password, s.zxid());
    REQUIRE(o.connects.size() == 1);
    CHECK(o.connects[0].outcome == request::connect_result::status::accepted);
    CHECK(o.connects[0].session == first_session);
    CHECK(o.connects[0].timeout_ms == 20000);
    CHECK(o.connects[0].password == password);
    REQUIRE(o.sessions.size() == 1);
    CHECK(o.sessions[0].timeout_ms == 20000);
  }
  SECTION("wrong password or unknown session: invalid") {
    auto o = attach(first_session, std::string(16, '\0'), s.zxid());
    REQUIRE(o.connects.size() == 1);
    CHECK(o.connects[0].outcome == request::connect_result::status::invalid);
    CHECK(o.connects[0].session == 0);
    CHECK(o.connects[0].timeout_ms == 0);
    CHECK(o.sessions.empty());
    o = attach(first_session + 99, password, 0);
    REQUIRE(o.connects.size() == 1);
    CHECK(o.connects[0].outcome == request::connect_result::status::invalid);
  }
  SECTION("a client that has seen a later zxid is refused, new or re-attaching") {
    auto o = attach(first_session, password, s.zxid() + 1);
    REQUIRE(o.connects.size() == 1);
    CHECK(o.connects[0].outcome == request::connect_result::status::refused);
    request::connect_request fresh;
    fresh.connection = 10;
    fresh.timeout_ms = 5000;
    fresh.last_zxid_seen = s.zxid() + 1;
    pipeline_output f;
    connect_with(s.core, fresh, password, s.now, f);
    CHECK(f.to_log.empty());
    REQUIRE(f.connects.size() == 1);
    CHECK(f.connects[0].outcome == request::connect_result::status::refused);
    // Proposed but not yet applied does not count as seen.
    pipeline_output pending;
    c.send(op::create, create_body("/x"), pending);
    o = attach(first_session, password, s.core.last_proposed_zxid());
    REQUIRE(o.connects.size() == 1);
    CHECK(o.connects[0].outcome == request::connect_result::status::refused);
  }
  SECTION("expiry deletes the ephemerals in one txn and invalidates the session") {
    const int64_t z = s.zxid() + 1;
    pipeline_output o;
    s.core.expire_session(first_session, s.now, o);
    REQUIRE(o.to_log.size() == 1);
    s.core.expire_session(first_session, s.now, o);  // already closing
    CHECK(o.to_log.size() == 1);
    // Closing: no re-attach, even before the txn is applied.
    CHECK(attach(first_session, password, 0).connects[0].outcome == request::connect_result::status::invalid);
    s.commit(o);
    CHECK(transcript(o) == std::vector<std::string>{
                               "trigger NodeDeleted /e1 zxid " + std::to_string(z),
                               "trigger NodeChildrenChanged / zxid " + std::to_string(z),
                               "trigger NodeDeleted /p/e2 zxid " + std::to_string(z),
                               "trigger NodeChildrenChanged /p zxid " + std::to_string(z),
                           });
    REQUIRE(o.sessions.size() == 1);
    CHECK_FALSE(o.sessions[0].opened);
    CHECK(o.sessions[0].session == first_session);
    CHECK(s.tree.find("/e1") == nullptr);
    CHECK(s.tree.find("/p/e2") == nullptr);
    CHECK(s.tree.find("/p") != nullptr);
    CHECK(s.tree.find_session(first_session) == nullptr);
    CHECK(other.stat_of("/p").pzxid == z);  // c's own session is gone
    CHECK(attach(first_session, password, 0).connects[0].outcome == request::connect_result::status::invalid);
    pipeline_output again;
    s.core.expire_session(first_session, s.now, again);
    CHECK(again.to_log.empty());
    // The other session is untouched.
    CHECK(s.tree.find_session(other.session) != nullptr);
  }
  SECTION("closeSession: events, then a header-only reply, then close") {
    const int64_t z = s.zxid() + 1;
    auto o = c.run(op::close_session, "", 33);
    CHECK(transcript(o) == std::vector<std::string>{
                               "trigger NodeDeleted /e1 zxid " + std::to_string(z),
                               "trigger NodeChildrenChanged / zxid " + std::to_string(z),
                               "trigger NodeDeleted /p/e2 zxid " + std::to_string(z),
                               "trigger NodeChildrenChanged /p zxid " + std::to_string(z),
                               "c7 <- xid 33 zxid " + std::to_string(z) + " err 0",
                               "c7 close",
                           });
    REQUIRE(o.sessions.size() == 1);
    CHECK_FALSE(o.sessions[0].opened);
    CHECK(attach(first_session, password, 0).connects[0].outcome == request::connect_result::status::invalid);
    // Expiring a closed session proposes nothing.
    pipeline_output again;
    s.core.expire_session(first_session, s.now, again);
    CHECK(again.to_log.empty());
  }
}

// =========================================================================================
// §8.4 containers and TTL nodes.

TEST_CASE("reap: containers that had a child, TTL nodes past their ttl") {
  server s(true);
  client c = s.connect();
  REQUIRE(c.create("/used", std::string(), 4, op::create_container).err == err::ok);
  REQUIRE(c.create("/never", std::string(), 4, op::create_container).err == err::ok);
  REQUIRE(c.create("/busy", std::string(), 4, op::create_container).err == err::ok);
  c.must_create("/used/x");
  c.must_create("/busy/x");
  REQUIRE(c.remove("/used/x").err == err::ok);

  SECTION("only the used, empty container is reaped") {
    pipeline_output out;
    s.core.reap(s.now, out);
    REQUIRE(out.to_log.size() == 1);
    s.core.reap(s.now, out);  // already being reaped: not proposed twice
    CHECK(out.to_log.size() == 1);
    const int64_t z = s.core.last_proposed_zxid();
    s.commit(out);
    CHECK(transcript(out) == std::vector<std::string>{"trigger NodeDeleted /used zxid " + std::to_string(z),
                                                      "trigger NodeChildrenChanged / zxid " + std::to_string(z)});
    CHECK(s.tree.find("/used") == nullptr);
    CHECK(s.tree.find("/never") != nullptr);
    CHECK(s.tree.find("/busy") != nullptr);
    CHECK(s.tree.containers().count("/used") == 0);
    CHECK(s.zxid() == z);
    pipeline_output again;
    s.core.reap(s.now, again);
    CHECK(again.to_log.empty());
  }
  SECTION("a reap decided before a child is created is re-checked when applied") {
    pipeline_output out;
    c.send(op::create, create_body("/used/y"), out);
    s.core.reap(s.now, out);  // decided on the applied tree, where /used is empty
    REQUIRE(out.to_log.size() == 2);
    s.commit(out);
    CHECK(s.tree.find("/used") != nullptr);
    CHECK(s.tree.find("/used/y") != nullptr);
  }

  SECTION("a TTL node expires once now - mtime > ttl") {
    s.now = t0;
    REQUIRE(c.call(op::create_ttl, create_ttl_body("/t", 5, 1000)).err == err::ok);
    REQUIRE(c.call(op::create_ttl, create_ttl_body("/tp", 5, 1000)).err == err::ok);
    c.must_create("/tp/child");
    pipeline_output out;
    s.core.reap(t0 + 1000, out);
    CHECK(out.to_log.size() == 1);  // only /used
    s.commit(out);
    CHECK(s.tree.find("/t") != nullptr);
    out = {};
    s.core.reap(t0 + 1001, out);
    REQUIRE(out.to_log.size() == 1);
    s.commit(out);
    CHECK(s.tree.find("/t") == nullptr);
    CHECK(s.tree.find("/tp") != nullptr);  // it has a child
    CHECK(s.tree.ttl_nodes().count("/t") == 0);
  }
  SECTION("a TTL reap decided before a refreshing setData is re-checked when applied") {
    s.now = t0;
    REQUIRE(c.call(op::create_ttl, create_ttl_body("/t", 5, 1000)).err == err::ok);
    pipeline_output out;
    s.now = t0 + 1500;
    c.send(op::set_data, set_data_body("/t", std::string("again")), out);
    s.core.reap(t0 + 1500, out);  // decided on the applied tree: /t looks expired
    REQUIRE(out.to_log.size() == 3);  // setData, /used, /t
    s.commit(out);
    CHECK(s.tree.find("/t") != nullptr);
    CHECK(s.tree.find("/used") == nullptr);
  }
  SECTION("setData refreshes a TTL node's life") {
    s.now = t0;
    REQUIRE(c.call(op::create_ttl, create_ttl_body("/t", 5, 1000)).err == err::ok);
    s.now = t0 + 600;
    REQUIRE(c.set_data("/t", std::string("again")).err == err::ok);
    pipeline_output out;
    s.core.reap(t0 + 1500, out);
    s.commit(out);
    CHECK(s.tree.find("/t") != nullptr);
    out = {};
    s.core.reap(t0 + 1601, out);
    s.commit(out);
    CHECK(s.tree.find("/t") == nullptr);
  }
}

TEST_CASE("a new session never reuses the id of a live one, even if the id source repeats") {
  // A restart whose clock went back would restart the id source below a recovered session.
  server s;
  client first = s.connect();
  REQUIRE(first.session == first_session);
  pipeline_harness restarted(s.tree, request::write_settings{}, request::read_settings{}, s.core.last_applied_zxid(),
                                   first_session);
  pipeline_output out;
  request::connect_request req;
  req.connection = 99;
  req.timeout_ms = 10000;
  connect_with(restarted, req, password, s.now, out);
  restarted.durable_through(restarted.last_proposed_zxid(), out);
  REQUIRE(out.connects.size() == 1);
  CHECK(out.connects[0].session == first_session + 1);
  REQUIRE(s.tree.find_session(first_session) != nullptr);
  CHECK(s.tree.find_session(first_session)->password == password);
}

TEST_CASE("abandon_from: writes the log could not persist are refused in order, never applied, zxids reused") {
  server s;
  client c = s.connect();
  client other = s.connect();
  int64_t base = s.zxid();
  pipeline_output out;
  c.send(op::create, create_body("/lost", std::string("x"), open_acl(), 0), out);     // zxid base+1
  c.send(op::get_data, watch_body("/zookeeper"), out);                                // waits for it
  c.send(op::set_data, set_data_body("/zookeeper", std::string("y")), out);           // zxid base+2
  s.core.expire_session(other.session, s.now, out);                                  // zxid base+3
  REQUIRE(s.core.last_proposed_zxid() == base + 3);

  pipeline_output failed;
  s.core.abandon_from(base + 1, failed);
  auto frames = replies_to(failed, c.conn);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].err == err::system_error);
  CHECK(frames[1].err == err::ok);  // the read, answered in its place
  CHECK(frames[2].err == err::system_error);
  CHECK(frames[0].zxid == base);
  // The expiry must be retried: the tracker is told the session is still open.
  CHECK(failed.sessions.empty());
  REQUIRE(failed.rearm.size() == 1);
  CHECK(failed.rearm[0].session == other.session);

  s.commit();
  CHECK(s.tree.find("/lost") == nullptr);
  CHECK(s.tree.find("/zookeeper")->version == 0);
  CHECK(s.tree.find_session(other.session) != nullptr);
  // The next write takes the first abandoned zxid.
  frame again = c.create("/kept");
  CHECK(again.err == err::ok);
  CHECK(again.zxid == base + 1);
}
