#pragma once
// The watch registry: which connection watches which path, and who hears a change.
// Semantics follow ZooKeeper 3.9 (wire-protocol reference §10.2, §6.15, §6.22, §13.2).
// It knows nothing about sessions, ACLs or sockets: the caller computes the triggers of a
// write (including the parent's NodeChildrenChanged), filters deliveries by ACL (§10.6)
// and maps connections to session ids for the 4lw reports.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rookery::watch {

using connection_id = uint64_t;

// Numbers are the wire values of Watcher.Event.EventType.
enum class event_type : int32_t {
  node_created = 1,
  node_deleted = 2,
  node_data_changed = 3,
  node_children_changed = 4
};

// What a request registers: exists/getData => standard_data; getChildren(2) => standard_child;
// addWatch mode 0 => persistent (both tables); addWatch mode 1 => persistent_recursive (data
// table only, matches descendants).
enum class watch_kind { standard_data, standard_child, persistent, persistent_recursive };

// checkWatches/removeWatches type numbers (§10.5).
enum class watcher_type : int32_t {
  children = 1,
  data = 2,
  any = 3,
  persistent = 4,
  persistent_recursive = 5
};

// nullopt means the request must be answered with MARSHALLINGERROR.
std::optional<watcher_type> watcher_type_from_int(int32_t value);
std::optional<watch_kind> add_watch_mode_from_int(int32_t mode);

// The path of a delivery is the trigger's path, so it is not repeated here.
struct delivery {
  connection_id connection;
  event_type type;
  friend bool operator==(const delivery& a, const delivery& b) {
    return a.connection == b.connection && a.type == b.type;
  }
  friend bool operator!=(const delivery& a, const delivery& b) { return !(a == b); }
};

class registry {
 public:
  registry() = default;
  // Connection slots hold raw pointers to path entries; a copy would alias them.
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;
  registry(registry&&) = default;
  registry& operator=(registry&&) = default;
  ~registry() = default;

  void add(connection_id c, std::string_view path, watch_kind kind);

  // Fires one trigger (§10.2). created/data_changed: data table of `path` plus recursive
  // watches of its ancestors up to '/'. deleted: the same, then the child table of `path`,
  // skipping connections already notified. children_changed: child table of `path` only.
  // At most one delivery per connection; standard watches are consumed even when the
  // delivery is skipped. Appends to `out`: the data-table group in ascending connection id,
  // then (deleted only) the child-table group in ascending connection id.
  void trigger(event_type type, std::string_view path, std::vector<delivery>& out);

  bool contains(connection_id c, std::string_view path, watcher_type type) const;
  // false => nothing was removed (NOWATCHER).
  bool remove(connection_id c, std::string_view path, watcher_type type);
  void remove_connection(connection_id c);

  // The 4lw wchs/wchc/wchp report the data table only, as ZooKeeper does.
  std::size_t data_watch_count() const { return data_pairs_; }
  std::size_t data_watch_path_count() const { return data_paths_; }
  std::size_t data_watch_connection_count() const { return data_connections_; }
  std::map<connection_id, std::vector<std::string>> data_watches_by_connection() const;
  std::map<std::string, std::vector<connection_id>> data_watches_by_path() const;
  // Both tables, counted as ZooKeeper's zk_watch_count does: a persistent watch counts twice.
  std::size_t total_watch_count() const { return data_pairs_ + child_pairs_; }

 private:
  // One (connection, path) pair with every mode it holds in both tables, so that
  // "one event per connection" needs no set and a watch costs 16 bytes here plus
  // 8 in the connection's index.
  struct watcher {
    connection_id connection;
    uint32_t slot;  // position of the entry in connections_[connection].entries
    uint8_t bits;
  };
  struct path_entry {
    std::string path;
    std::vector<watcher> watchers;  // sorted by connection: binary search, ordered output
    uint32_t data_watchers = 0;
    uint32_t recursive_watchers = 0;
  };
  struct connection_entry {
    std::vector<path_entry*> entries;
    std::size_t data_watches = 0;
  };
  using path_map = std::unordered_map<std::string_view, std::unique_ptr<path_entry>>;

  path_entry* find_entry(std::string_view path) const;
  void account(path_entry& e, connection_entry& ce, uint8_t old_bits, uint8_t new_bits);
  void unlink_slot(connection_id c, connection_entry& ce, uint32_t slot);
  void change_bits(path_entry& e, std::size_t index, uint8_t new_bits);
  void erase_if_empty(path_entry* e);
  bool fire(path_entry* e, uint8_t match, uint8_t consume, event_type type,
            std::vector<delivery>& out, std::size_t skip_begin, std::size_t skip_end);

  // Keys view the entry's own path string, which a unique_ptr keeps in place; this gives
  // allocation-free lookups by string_view in C++17.
  path_map paths_;
  std::unordered_map<connection_id, connection_entry> connections_;
  std::size_t data_pairs_ = 0;
  std::size_t child_pairs_ = 0;
  std::size_t data_paths_ = 0;
  std::size_t data_connections_ = 0;
  std::size_t recursive_pairs_ = 0;
};

}  // namespace rookery::watch
