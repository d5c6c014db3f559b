// Watch registry rules of the wire-protocol reference §10.2, §6.15, §6.22 and §13.2.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "actors/watch/watch_core.hpp"

using namespace rookery::watch;

namespace {

using ids = std::vector<connection_id>;

constexpr auto created = event_type::node_created;
constexpr auto deleted = event_type::node_deleted;
constexpr auto changed = event_type::node_data_changed;
constexpr auto children = event_type::node_children_changed;

const char* name(event_type t) {
  switch (t) {
    case created: return "NodeCreated";
    case deleted: return "NodeDeleted";
    case changed: return "NodeDataChanged";
    case children: return "NodeChildrenChanged";
  }
  return "?";
}

// Every delivery of one trigger carries the trigger's type; checking it here keeps the
// transcripts down to connection lists.
ids fire(registry& r, event_type t, const std::string& path) {
  std::vector<delivery> out;
  r.trigger(t, path, out);
  ids got;
  for (const auto& d : out) {
    CHECK(d.type == t);
    got.push_back(d.connection);
  }
  return got;
}

struct step {
  event_type type;
  std::string path;
  ids expected;
};

void run(registry& r, const std::vector<step>& transcript) {
  for (std::size_t i = 0; i < transcript.size(); ++i) {
    const auto& s = transcript[i];
    INFO("step " << i << ": " << name(s.type) << " " << s.path);
    CHECK(fire(r, s.type, s.path) == s.expected);
  }
}

}  // namespace

TEST_CASE("wire numbers map to kinds and types, unknown numbers are rejected") {
  CHECK(watcher_type_from_int(1) == watcher_type::children);
  CHECK(watcher_type_from_int(2) == watcher_type::data);
  CHECK(watcher_type_from_int(3) == watcher_type::any);
  CHECK(watcher_type_from_int(4) == watcher_type::persistent);
  CHECK(watcher_type_from_int(5) == watcher_type::persistent_recursive);
  for (int32_t bad : {0, 6, -1, 100}) {
    INFO(bad);
    CHECK_FALSE(watcher_type_from_int(bad).has_value());
  }
  CHECK(add_watch_mode_from_int(0) == watch_kind::persistent);
  CHECK(add_watch_mode_from_int(1) == watch_kind::persistent_recursive);
  for (int32_t bad : {2, -1, 3}) {
    INFO(bad);
    CHECK_FALSE(add_watch_mode_from_int(bad).has_value());
  }
  CHECK(static_cast<int32_t>(created) == 1);
  CHECK(static_cast<int32_t>(deleted) == 2);
  CHECK(static_cast<int32_t>(changed) == 3);
  CHECK(static_cast<int32_t>(children) == 4);
}

TEST_CASE("nothing is delivered for unwatched paths") {
  registry r;
  run(r, {{created, "/a", {}}, {deleted, "/a", {}}, {changed, "/", {}}, {children, "/", {}}});
  r.add(1, "/a", watch_kind::standard_data);
  run(r, {{changed, "/b", {}}, {changed, "/a/b", {}}, {children, "/a", {}}});
  CHECK(r.contains(1, "/a", watcher_type::data));
}

TEST_CASE("exists/getData watch is one-shot on the data table") {
  registry r;
  SECTION("NodeCreated consumes it") {
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{created, "/a", {1}}, {created, "/a", {}}, {changed, "/a", {}}, {deleted, "/a", {}}});
  }
  SECTION("NodeDataChanged consumes it") {
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{changed, "/a", {1}}, {changed, "/a", {}}});
  }
  SECTION("NodeDeleted consumes it") {
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{deleted, "/a", {1}}, {created, "/a", {}}});
  }
  SECTION("NodeChildrenChanged neither fires nor consumes it") {
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{children, "/a", {}}, {changed, "/a", {1}}});
  }
  SECTION("re-registration after firing works") {
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{changed, "/a", {1}}});
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{changed, "/a", {1}}, {changed, "/a", {}}});
  }
  CHECK(r.total_watch_count() == 0);
  CHECK(r.data_watches_by_path().empty());
}

TEST_CASE("getChildren watch is one-shot on the child table") {
  registry r;
  r.add(1, "/a", watch_kind::standard_child);
  SECTION("NodeChildrenChanged consumes it") {
    run(r, {{children, "/a", {1}}, {children, "/a", {}}, {deleted, "/a", {}}});
  }
  SECTION("NodeDeleted of the path fires and consumes it") {
    run(r, {{deleted, "/a", {1}}, {children, "/a", {}}});
  }
  SECTION("data events neither fire nor consume it") {
    run(r, {{created, "/a", {}}, {changed, "/a", {}}, {children, "/a", {1}}});
  }
  SECTION("a child's events do not reach it") {
    run(r, {{created, "/a/b", {}}, {deleted, "/a/b", {}}, {children, "/a/b", {}}, {children, "/a", {1}}});
  }
  CHECK(r.total_watch_count() == 0);
}

TEST_CASE("persistent watch fires on every event of its path and stays") {
  registry r;
  r.add(1, "/a", watch_kind::persistent);
  run(r, {
             {created, "/a", {1}},
             {changed, "/a", {1}},
             {changed, "/a", {1}},
             {children, "/a", {1}},
             {children, "/a", {1}},
             {deleted, "/a", {1}},  // one event although it is in both tables
             {created, "/a", {1}},
             // not recursive: a descendant's events do not match
             {created, "/a/b", {}},
             {changed, "/a/b", {}},
             {deleted, "/a/b", {}},
             {children, "/a/b", {}},
         });
  CHECK(r.contains(1, "/a", watcher_type::persistent));
  CHECK(r.total_watch_count() == 2);
}

TEST_CASE("recursive watch matches the path and every descendant, never children events") {
  registry r;
  r.add(1, "/a", watch_kind::persistent_recursive);
  run(r, {
             {created, "/a", {1}},
             {changed, "/a", {1}},
             {created, "/a/b", {1}},
             {changed, "/a/b", {1}},
             {created, "/a/b/c/d", {1}},
             {deleted, "/a/b/c/d", {1}},
             {deleted, "/a/b", {1}},
             {children, "/a", {}},
             {children, "/a/b", {}},
             // a sibling sharing the name prefix is not a descendant
             {created, "/ab", {}},
             {changed, "/ab/c", {}},
             {changed, "/", {}},
             {deleted, "/a", {1}},
             {created, "/a", {1}},
         });
  CHECK(r.contains(1, "/a", watcher_type::persistent_recursive));
  CHECK(r.total_watch_count() == 1);
  CHECK(r.data_watch_count() == 1);
}

TEST_CASE("'/' is every path's last ancestor, the parent of /a is /") {
  registry r;
  r.add(1, "/", watch_kind::persistent_recursive);
  r.add(2, "/", watch_kind::standard_child);
  r.add(3, "/", watch_kind::persistent);
  r.add(4, "/a", watch_kind::standard_data);
  // create /a, as the caller fires it: NodeCreated /a, then NodeChildrenChanged on parent '/'
  run(r, {
             {created, "/a", {1, 4}},
             {children, "/", {2, 3}},
             {created, "/a/b", {1}},
             {children, "/a", {}},
             {changed, "/", {1, 3}},
             {children, "/", {3}},
             {deleted, "/a/b", {1}},
             {deleted, "/a", {1}},
         });
}

TEST_CASE("ancestors' non-recursive watches never match a descendant") {
  registry r;
  r.add(1, "/a", watch_kind::standard_data);
  r.add(2, "/a", watch_kind::persistent);
  r.add(3, "/a", watch_kind::standard_child);
  r.add(4, "/", watch_kind::standard_data);
  run(r, {{created, "/a/b", {}}, {changed, "/a/b", {}}, {deleted, "/a/b", {}}});
  CHECK(r.total_watch_count() == 5);
}

TEST_CASE("at most one event per connection per trigger") {
  registry r;
  SECTION("exists and getData on the same path: one watch, one event") {
    r.add(1, "/a", watch_kind::standard_data);
    r.add(1, "/a", watch_kind::standard_data);
    CHECK(r.data_watch_count() == 1);
    run(r, {{changed, "/a", {1}}, {changed, "/a", {}}});
  }
  SECTION("data and child watches: one NodeDeleted, both consumed") {
    r.add(1, "/a", watch_kind::standard_data);
    r.add(1, "/a", watch_kind::standard_child);
    run(r, {{deleted, "/a", {1}}, {deleted, "/a", {}}, {children, "/a", {}}});
    CHECK(r.total_watch_count() == 0);
  }
  SECTION("standard and persistent: one event, the standard consumed, the persistent kept") {
    r.add(1, "/a", watch_kind::standard_data);
    r.add(1, "/a", watch_kind::standard_child);
    r.add(1, "/a", watch_kind::persistent);
    run(r, {{changed, "/a", {1}}, {children, "/a", {1}}});
    CHECK_FALSE(r.contains(1, "/a", watcher_type::data));
    CHECK_FALSE(r.contains(1, "/a", watcher_type::children));
    CHECK(r.contains(1, "/a", watcher_type::persistent));
    run(r, {{deleted, "/a", {1}}, {changed, "/a", {1}}});
  }
  SECTION("recursive on several ancestors and on the path itself") {
    r.add(1, "/", watch_kind::persistent_recursive);
    r.add(1, "/a", watch_kind::persistent_recursive);
    r.add(1, "/a/b", watch_kind::persistent_recursive);
    r.add(1, "/a/b", watch_kind::persistent);
    r.add(1, "/a/b", watch_kind::standard_data);
    run(r, {{changed, "/a/b", {1}}, {deleted, "/a/b", {1}}, {created, "/a/b/c", {1}}});
    CHECK_FALSE(r.contains(1, "/a/b", watcher_type::data));
  }
  SECTION("an ancestor's recursive watch consumes the path's standard watch with one event") {
    r.add(1, "/", watch_kind::persistent_recursive);
    r.add(1, "/a", watch_kind::standard_data);
    run(r, {{created, "/a", {1}}});
    CHECK_FALSE(r.contains(1, "/a", watcher_type::data));
    CHECK(r.contains(1, "/", watcher_type::persistent_recursive));
  }
}

TEST_CASE("NodeDeleted: data table first, then child table skipping notified connections") {
  registry r;
  r.add(9, "/a/b", watch_kind::standard_child);
  r.add(5, "/a/b", watch_kind::standard_child);
  r.add(2, "/a/b", watch_kind::standard_data);
  r.add(7, "/", watch_kind::persistent_recursive);
  r.add(6, "/a", watch_kind::persistent_recursive);
  r.add(6, "/a/b", watch_kind::standard_child);  // notified via the recursive watch
  r.add(3, "/a/b", watch_kind::persistent);
  r.add(4, "/a", watch_kind::standard_child);  // the parent: needs its own trigger
  // delete /a/b, as the caller fires it
  run(r, {
             {deleted, "/a/b", {2, 3, 6, 7, 5, 9}},
             {children, "/a", {4}},
         });
  // every standard watch on /a/b was consumed, including the skipped one of 6
  CHECK_FALSE(r.contains(6, "/a/b", watcher_type::children));
  CHECK_FALSE(r.contains(5, "/a/b", watcher_type::any));
  CHECK_FALSE(r.contains(2, "/a/b", watcher_type::any));
  run(r, {
             {created, "/a/b", {3, 6, 7}},
             {children, "/a/b", {3}},
             {deleted, "/a/b", {3, 6, 7}},
         });
}

TEST_CASE("deliveries are ordered by connection and appended after existing ones") {
  registry r;
  for (connection_id c : {50, 10, 40, 20, 30}) r.add(c, "/a", watch_kind::standard_data);
  r.add(35, "/", watch_kind::persistent_recursive);
  r.add(15, "/a", watch_kind::persistent_recursive);
  std::vector<delivery> out{{99, children}, {1, children}};
  r.trigger(changed, "/a", out);
  const std::vector<delivery> expected{{99, children}, {1, children}, {10, changed}, {15, changed},
                                       {20, changed},  {30, changed}, {35, changed}, {40, changed},
                                       {50, changed}};
  CHECK(out == expected);
}

TEST_CASE("connections are independent") {
  registry r;
  r.add(1, "/a", watch_kind::standard_data);
  r.add(2, "/a", watch_kind::standard_data);
  r.add(2, "/a", watch_kind::persistent);
  run(r, {{changed, "/a", {1, 2}}, {changed, "/a", {2}}});
  r.add(1, "/a", watch_kind::standard_child);
  CHECK_FALSE(r.remove(1, "/a", watcher_type::persistent));
  CHECK(r.remove(2, "/a", watcher_type::persistent));
  run(r, {{changed, "/a", {}}, {children, "/a", {1}}});
}

TEST_CASE("checkWatches/removeWatches match per watcher type (3.9)") {
  struct row {
    watch_kind kind;
    bool children, data, any, persistent, recursive;
  };
  // Children and Data match only standard watches; Any matches everything.
  const std::vector<row> table{
      {watch_kind::standard_data, false, true, true, false, false},
      {watch_kind::standard_child, true, false, true, false, false},
      {watch_kind::persistent, false, false, true, true, false},
      {watch_kind::persistent_recursive, false, false, true, false, true},
  };
  const std::vector<watcher_type> types{watcher_type::children, watcher_type::data,
                                        watcher_type::any, watcher_type::persistent,
                                        watcher_type::persistent_recursive};
  for (const auto& row : table) {
    const bool expected[] = {row.children, row.data, row.any, row.persistent, row.recursive};
    for (std::size_t t = 0; t < types.size(); ++t) {
      INFO("kind " << static_cast<int>(row.kind) << ", type " << static_cast<int>(types[t]));
      registry r;
      r.add(1, "/p", row.kind);
      CHECK(r.contains(1, "/p", types[t]) == expected[t]);
      CHECK_FALSE(r.contains(2, "/p", types[t]));
      CHECK_FALSE(r.contains(1, "/q", types[t]));
      CHECK_FALSE(r.contains(1, "/p/c", types[t]));
      CHECK(r.remove(1, "/p", types[t]) == expected[t]);
      // removed means gone for good; not removed means untouched
      CHECK_FALSE(r.contains(1, "/p", types[t]));
      CHECK(r.contains(1, "/p", watcher_type::any) == !expected[t]);
      CHECK(r.total_watch_count() == (expected[t] ? 0u : (row.kind == watch_kind::persistent ? 2u : 1u)));
      CHECK_FALSE(r.remove(1, "/p", types[t]));
    }
  }
}

TEST_CASE("removeWatches takes out exactly what it matched") {
  registry r;
  r.add(1, "/a", watch_kind::standard_data);
  r.add(1, "/a", watch_kind::standard_child);
  r.add(1, "/a", watch_kind::persistent);
  r.add(1, "/a", watch_kind::persistent_recursive);
  CHECK(r.total_watch_count() == 2);
  SECTION("Data leaves the persistent and recursive ones") {
    CHECK(r.remove(1, "/a", watcher_type::data));
    CHECK_FALSE(r.remove(1, "/a", watcher_type::data));
    CHECK(r.contains(1, "/a", watcher_type::children));
    CHECK(r.contains(1, "/a", watcher_type::persistent));
    CHECK(r.contains(1, "/a", watcher_type::persistent_recursive));
  }
  SECTION("Persistent leaves both tables but not the recursive watch") {
    CHECK(r.remove(1, "/a", watcher_type::persistent));
    CHECK(r.remove(1, "/a", watcher_type::children));
    run(r, {{children, "/a", {}}, {changed, "/a/b", {1}}});
    CHECK(r.total_watch_count() == 1);
  }
  SECTION("Persistent alone is removed from both tables") {
    registry p;
    p.add(2, "/b", watch_kind::persistent);
    CHECK(p.remove(2, "/b", watcher_type::persistent));
    run(p, {{children, "/b", {}}, {changed, "/b", {}}, {deleted, "/b", {}}});
    CHECK(p.total_watch_count() == 0);
  }
  SECTION("PersistentRecursive stops descendant events only") {
    CHECK(r.remove(1, "/a", watcher_type::persistent_recursive));
    run(r, {{changed, "/a/b", {}}, {changed, "/a", {1}}});
  }
  SECTION("Any removes everything") {
    CHECK(r.remove(1, "/a", watcher_type::any));
    CHECK_FALSE(r.remove(1, "/a", watcher_type::any));
    run(r, {{changed, "/a", {}}, {children, "/a", {}}, {changed, "/a/b", {}}});
    CHECK(r.total_watch_count() == 0);
    CHECK(r.data_watch_connection_count() == 0);
  }
  SECTION("nothing is removed for another connection or path") {
    CHECK_FALSE(r.remove(2, "/a", watcher_type::any));
    CHECK_FALSE(r.remove(1, "/", watcher_type::any));
    CHECK_FALSE(r.remove(1, "/a/b", watcher_type::any));
    CHECK(r.total_watch_count() == 2);
  }
}

TEST_CASE("a closed connection loses all its watches") {
  registry r;
  r.add(1, "/a", watch_kind::standard_data);
  r.add(1, "/a", watch_kind::standard_child);
  r.add(1, "/b", watch_kind::persistent);
  r.add(1, "/", watch_kind::persistent_recursive);
  r.add(2, "/a", watch_kind::standard_data);
  r.add(2, "/c", watch_kind::standard_child);
  r.remove_connection(1);
  r.remove_connection(1);
  r.remove_connection(42);
  CHECK_FALSE(r.contains(1, "/a", watcher_type::any));
  CHECK_FALSE(r.contains(1, "/b", watcher_type::any));
  CHECK_FALSE(r.contains(1, "/", watcher_type::any));
  CHECK(r.data_watch_count() == 1);
  CHECK(r.data_watch_path_count() == 1);
  CHECK(r.data_watch_connection_count() == 1);
  CHECK(r.total_watch_count() == 2);
  run(r, {{changed, "/a", {2}}, {children, "/a", {}}, {changed, "/b", {}}, {created, "/x", {}},
          {children, "/c", {2}}});
  r.remove_connection(2);
  CHECK(r.total_watch_count() == 0);
  CHECK(r.data_watches_by_connection().empty());
  CHECK(r.data_watches_by_path().empty());
}

TEST_CASE("wchs/wchc/wchp and mntr counts") {
  registry r;
  r.add(1, "/a", watch_kind::standard_data);
  r.add(1, "/a", watch_kind::standard_child);   // child table: not in wch*
  r.add(2, "/a", watch_kind::persistent);       // both tables
  r.add(2, "/b", watch_kind::persistent_recursive);
  r.add(2, "/a/x", watch_kind::standard_data);
  r.add(3, "/c", watch_kind::standard_child);   // a connection with child watches only
  CHECK(r.data_watch_count() == 4);
  CHECK(r.data_watch_path_count() == 3);
  CHECK(r.data_watch_connection_count() == 2);
  CHECK(r.total_watch_count() == 4 + 3);
  using by_conn = std::map<connection_id, std::vector<std::string>>;
  using by_path = std::map<std::string, std::vector<connection_id>>;
  CHECK(r.data_watches_by_connection() == by_conn{{1, {"/a"}}, {2, {"/a", "/a/x", "/b"}}});
  CHECK(r.data_watches_by_path() == by_path{{"/a", {1, 2}}, {"/a/x", {2}}, {"/b", {2}}});

  run(r, {{changed, "/a", {1, 2}}});  // consumes 1's data watch, keeps its child watch
  CHECK(r.data_watch_count() == 3);
  CHECK(r.data_watch_path_count() == 3);
  CHECK(r.data_watch_connection_count() == 1);
  CHECK(r.total_watch_count() == 3 + 3);
  CHECK(r.data_watches_by_connection() == by_conn{{2, {"/a", "/a/x", "/b"}}});
  CHECK(r.data_watches_by_path() == by_path{{"/a", {2}}, {"/a/x", {2}}, {"/b", {2}}});

  run(r, {{deleted, "/a/x", {2}}});
  CHECK(r.data_watch_path_count() == 2);
  CHECK(r.data_watches_by_path() == by_path{{"/a", {2}}, {"/b", {2}}});
  run(r, {{deleted, "/a", {2, 1}}, {children, "/c", {3}}});
  CHECK(r.data_watch_count() == 2);
  CHECK(r.total_watch_count() == 2 + 1);
}

namespace {

// ZooKeeper's own formulation: two tables path -> watcher -> set of modes, triggered as in
// WatchManager.triggerWatch. The registry must behave the same under any sequence of calls.
class reference_model {
 public:
  enum mode { standard, persistent, recursive };
  using table = std::map<std::string, std::map<connection_id, std::set<mode>>>;

  void add(connection_id c, const std::string& p, watch_kind k) {
    switch (k) {
      case watch_kind::standard_data: data_[p][c].insert(standard); break;
      case watch_kind::standard_child: child_[p][c].insert(standard); break;
      case watch_kind::persistent:
        data_[p][c].insert(persistent);
        child_[p][c].insert(persistent);
        break;
      case watch_kind::persistent_recursive: data_[p][c].insert(recursive); break;
    }
  }

  ids trigger(event_type t, const std::string& p) {
    if (t == children) return to_ids(trigger_table(child_, p));
    auto notified = trigger_table(data_, p);
    ids result = to_ids(notified);
    if (t == deleted) {
      for (connection_id c : trigger_table(child_, p)) {
        if (!notified.count(c)) result.push_back(c);
      }
    }
    return result;
  }

  bool contains(connection_id c, const std::string& p, watcher_type t) const {
    switch (t) {
      case watcher_type::children: return has(child_, c, p, standard);
      case watcher_type::data: return has(data_, c, p, standard);
      case watcher_type::persistent: return has(data_, c, p, persistent);
      case watcher_type::persistent_recursive: return has(data_, c, p, recursive);
      case watcher_type::any: return has_any(child_, c, p) || has_any(data_, c, p);
    }
    return false;
  }

  bool remove(connection_id c, const std::string& p, watcher_type t) {
    switch (t) {
      case watcher_type::children: return drop(child_, c, p, {standard});
      case watcher_type::data: return drop(data_, c, p, {standard});
      case watcher_type::persistent: {
        const bool a = drop(child_, c, p, {persistent});
        const bool b = drop(data_, c, p, {persistent});
        return a || b;
      }
      case watcher_type::persistent_recursive: return drop(data_, c, p, {recursive});
      case watcher_type::any: {
        const bool a = drop(child_, c, p, {standard, persistent, recursive});
        const bool b = drop(data_, c, p, {standard, persistent, recursive});
        return a || b;
      }
    }
    return false;
  }

  void remove_connection(connection_id c) {
    for (auto* t : {&data_, &child_}) {
      for (auto it = t->begin(); it != t->end();) {
        it->second.erase(c);
        it = it->second.empty() ? t->erase(it) : std::next(it);
      }
    }
  }

  std::map<std::string, ids> by_path() const {
    std::map<std::string, ids> out;
    for (const auto& [p, ws] : data_) {
      for (const auto& [c, modes] : ws) out[p].push_back(c);
    }
    return out;
  }
  std::map<connection_id, std::vector<std::string>> by_connection() const {
    std::map<connection_id, std::vector<std::string>> out;
    for (const auto& [p, ws] : data_) {
      for (const auto& [c, modes] : ws) out[c].push_back(p);
    }
    return out;
  }
  std::size_t pairs(const table& t) const {
    std::size_t n = 0;
    for (const auto& [p, ws] : t) n += ws.size();
    return n;
  }
  std::size_t data_pairs() const { return pairs(data_); }
  std::size_t total_pairs() const { return pairs(data_) + pairs(child_); }

 private:
  static std::string parent(const std::string& p) {
    const auto slash = p.rfind('/');
    return slash == 0 ? "/" : p.substr(0, slash);
  }

  static std::set<connection_id> trigger_table(table& t, const std::string& p) {
    std::set<connection_id> hit;
    for (std::string at = p;; at = parent(at)) {
      const auto it = t.find(at);
      if (it != t.end()) {
        auto& ws = it->second;
        for (auto w = ws.begin(); w != ws.end();) {
          if (at == p) {
            hit.insert(w->first);
            w->second.erase(standard);
          } else if (w->second.count(recursive)) {
            hit.insert(w->first);
          }
          w = w->second.empty() ? ws.erase(w) : std::next(w);
        }
        if (ws.empty()) t.erase(it);
      }
      if (at == "/") break;
    }
    return hit;
  }

  static ids to_ids(const std::set<connection_id>& s) { return ids(s.begin(), s.end()); }

  static bool has(const table& t, connection_id c, const std::string& p, mode m) {
    const auto it = t.find(p);
    if (it == t.end()) return false;
    const auto w = it->second.find(c);
    return w != it->second.end() && w->second.count(m);
  }
  static bool has_any(const table& t, connection_id c, const std::string& p) {
    const auto it = t.find(p);
    return it != t.end() && it->second.count(c);
  }
  static bool drop(table& t, connection_id c, const std::string& p, std::set<mode> modes) {
    const auto it = t.find(p);
    if (it == t.end()) return false;
    const auto w = it->second.find(c);
    if (w == it->second.end()) return false;
    bool removed = false;
    for (mode m : modes) removed |= w->second.erase(m) > 0;
    if (w->second.empty()) it->second.erase(w);
    if (it->second.empty()) t.erase(it);
    return removed;
  }

  table data_, child_;
};

}  // namespace

TEST_CASE("random call sequences behave like ZooKeeper's two-table formulation") {
  const std::vector<std::string> paths{"/", "/a", "/a/b", "/a/b/c", "/ab", "/ab/c", "/x"};
  const std::vector<watch_kind> kinds{watch_kind::standard_data, watch_kind::standard_child,
                                      watch_kind::persistent, watch_kind::persistent_recursive};
  const std::vector<event_type> events{created, deleted, changed, children};
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    registry r;
    reference_model m;
    for (int i = 0; i < 5000; ++i) {
      const connection_id c = 1 + pick(6);
      const std::string& p = paths[pick(paths.size())];
      const auto t = static_cast<watcher_type>(1 + pick(5));
      std::ostringstream what;
      const std::size_t op = pick(100);
      if (op < 45) {
        const auto k = kinds[pick(kinds.size())];
        what << "add " << c << " " << p << " kind " << static_cast<int>(k);
        r.add(c, p, k);
        m.add(c, p, k);
      } else if (op < 80) {
        const auto e = events[pick(events.size())];
        what << name(e) << " " << p;
        INFO("seed " << seed << " op " << i << ": " << what.str());
        REQUIRE(fire(r, e, p) == m.trigger(e, p));
      } else if (op < 88) {
        what << "contains " << c << " " << p << " type " << static_cast<int>(t);
        INFO("seed " << seed << " op " << i << ": " << what.str());
        REQUIRE(r.contains(c, p, t) == m.contains(c, p, t));
      } else if (op < 98) {
        what << "remove " << c << " " << p << " type " << static_cast<int>(t);
        INFO("seed " << seed << " op " << i << ": " << what.str());
        REQUIRE(r.remove(c, p, t) == m.remove(c, p, t));
      } else {
        what << "remove_connection " << c;
        r.remove_connection(c);
        m.remove_connection(c);
      }
      INFO("seed " << seed << " after op " << i << ": " << what.str());
      REQUIRE(r.data_watch_count() == m.data_pairs());
      REQUIRE(r.total_watch_count() == m.total_pairs());
      const auto by_path = m.by_path();
      const auto by_conn = m.by_connection();
      REQUIRE(r.data_watch_path_count() == by_path.size());
      REQUIRE(r.data_watch_connection_count() == by_conn.size());
      if (i % 16 == 0) {
        REQUIRE(r.data_watches_by_path() == by_path);
        REQUIRE(r.data_watches_by_connection() == by_conn);
      }
    }
  }
}
