#include "actors/watch/watch_core.hpp"

#include <algorithm>

namespace rookery::watch {

namespace {

// A pair's modes in both tables. persistent is one bit because addWatch mode 0 always puts it
// in both tables and removeWatches(Persistent) always takes it out of both.
constexpr uint8_t standard_data_bit = 1;
constexpr uint8_t standard_child_bit = 2;
constexpr uint8_t persistent_bit = 4;
constexpr uint8_t recursive_bit = 8;
constexpr uint8_t data_table = standard_data_bit | persistent_bit | recursive_bit;
constexpr uint8_t child_table = standard_child_bit | persistent_bit;

uint8_t bit_of(watch_kind kind) {
  switch (kind) {
    case watch_kind::standard_data: return standard_data_bit;
    case watch_kind::standard_child: return standard_child_bit;
    case watch_kind::persistent: return persistent_bit;
    case watch_kind::persistent_recursive: return recursive_bit;
  }
  return 0;
}

// 3.9 matching (§6.15): Children and Data see only standard watches, so a client removing
// its one-shot watches does not silently drop a persistent one on the same path.
uint8_t bits_of(watcher_type type) {
  switch (type) {
    case watcher_type::children: return standard_child_bit;
    case watcher_type::data: return standard_data_bit;
    case watcher_type::any: return data_table | child_table;
    case watcher_type::persistent: return persistent_bit;
    case watcher_type::persistent_recursive: return recursive_bit;
  }
  return 0;
}

// Paths arrive validated, so only '/' has no parent; the guards keep a malformed path from
// looping rather than define behaviour for it.
std::optional<std::string_view> parent_of(std::string_view path) {
  if (path.size() <= 1) return std::nullopt;
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return path.substr(0, slash == 0 ? 1 : slash);
}

// Works on pairs and on deliveries alike: both are kept sorted by `connection`.
template <typename It>
It find_watcher_in(It first, It last, connection_id c) {
  return std::lower_bound(first, last, c,
                          [](const auto& w, connection_id id) { return w.connection < id; });
}

template <typename Watchers>
auto find_watcher(Watchers& watchers, connection_id c) {
  return find_watcher_in(watchers.begin(), watchers.end(), c);
}

bool by_connection(const delivery& a, const delivery& b) { return a.connection < b.connection; }

}  // namespace

std::optional<watcher_type> watcher_type_from_int(int32_t value) {
  if (value < 1 || value > 5) return std::nullopt;
  return static_cast<watcher_type>(value);
}

std::optional<watch_kind> add_watch_mode_from_int(int32_t mode) {
  switch (mode) {
    case 0: return watch_kind::persistent;
    case 1: return watch_kind::persistent_recursive;
    default: return std::nullopt;
  }
}

registry::path_entry* registry::find_entry(std::string_view path) const {
  const auto it = paths_.find(path);
  return it == paths_.end() ? nullptr : it->second.get();
}

// Counters are kept exact on every change so that mntr and wchs cost nothing and the
// recursive fast path is a single comparison.
void registry::account(path_entry& e, connection_entry& ce, uint8_t old_bits, uint8_t new_bits) {
  const bool old_data = old_bits & data_table, new_data = new_bits & data_table;
  if (old_data != new_data) {
    if (new_data) {
      ++data_pairs_;
      if (e.data_watchers++ == 0) ++data_paths_;
      if (ce.data_watches++ == 0) ++data_connections_;
    } else {
      --data_pairs_;
      if (--e.data_watchers == 0) --data_paths_;
      if (--ce.data_watches == 0) --data_connections_;
    }
  }
  const bool old_child = old_bits & child_table, new_child = new_bits & child_table;
  if (old_child != new_child) {
    if (new_child) ++child_pairs_; else --child_pairs_;
  }
  const bool old_rec = old_bits & recursive_bit, new_rec = new_bits & recursive_bit;
  if (old_rec != new_rec) {
    if (new_rec) {
      ++recursive_pairs_;
      ++e.recursive_watchers;
    } else {
      --recursive_pairs_;
      --e.recursive_watchers;
    }
  }
}

// Swap-remove keeps unlinking O(log n): only the moved entry's back-index needs fixing.
void registry::unlink_slot(connection_id c, connection_entry& ce, uint32_t slot) {
  path_entry* moved = ce.entries.back();
  if (slot + 1 != ce.entries.size()) {
    ce.entries[slot] = moved;
    find_watcher(moved->watchers, c)->slot = slot;
  }
  ce.entries.pop_back();
}

// Leaves a pair with no bits in place: callers erase it, so loops over `watchers` can
// compact in one pass instead of erasing from the middle repeatedly.
void registry::change_bits(path_entry& e, std::size_t index, uint8_t new_bits) {
  watcher& w = e.watchers[index];
  if (w.bits == new_bits) return;
  const auto ci = connections_.find(w.connection);
  account(e, ci->second, w.bits, new_bits);
  w.bits = new_bits;
  if (new_bits == 0) {
    unlink_slot(w.connection, ci->second, w.slot);
    if (ci->second.entries.empty()) connections_.erase(ci);
  }
}

void registry::erase_if_empty(path_entry* e) {
  if (!e->watchers.empty()) return;
  // Erase by iterator: the key views e->path, which the erase destroys.
  paths_.erase(paths_.find(std::string_view(e->path)));
}

// Returns false when the entry was erased, so the caller must not touch `e` again.
bool registry::fire(path_entry* e, uint8_t match, uint8_t consume, event_type type,
                    std::vector<delivery>& out, std::size_t skip_begin, std::size_t skip_end) {
  auto& ws = e->watchers;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const uint8_t bits = ws[i].bits;
    if (bits & match) {
      const connection_id c = ws[i].connection;
      const auto skip_first = out.begin() + static_cast<std::ptrdiff_t>(skip_begin);
      const auto skip_last = out.begin() + static_cast<std::ptrdiff_t>(skip_end);
      const auto seen = find_watcher_in(skip_first, skip_last, c);
      if (seen == skip_last || seen->connection != c) out.push_back({c, type});
      // Consumed even when skipped: the connection was notified, just once.
      const uint8_t remaining = bits & static_cast<uint8_t>(~consume);
      if (remaining != bits) change_bits(*e, i, remaining);
    }
    if (ws[i].bits != 0) {
      if (kept != i) ws[kept] = ws[i];
      ++kept;
    }
  }
  ws.erase(ws.begin() + static_cast<std::ptrdiff_t>(kept), ws.end());
  if (ws.empty()) {
    erase_if_empty(e);
    return false;
  }
  return true;
}

void registry::add(connection_id c, std::string_view path, watch_kind kind) {
  const uint8_t bit = bit_of(kind);
  if (bit == 0) return;
  path_entry* e = find_entry(path);
  if (e == nullptr) {
    auto owned = std::make_unique<path_entry>();
    owned->path.assign(path.data(), path.size());
    e = owned.get();
    paths_.emplace(std::string_view(e->path), std::move(owned));
  }
  auto w = find_watcher(e->watchers, c);
  if (w != e->watchers.end() && w->connection == c) {
    change_bits(*e, static_cast<std::size_t>(w - e->watchers.begin()), w->bits | bit);
    return;
  }
  connection_entry& ce = connections_[c];
  w = e->watchers.insert(w, watcher{c, static_cast<uint32_t>(ce.entries.size()), 0});
  ce.entries.push_back(e);
  account(*e, ce, 0, bit);
  w->bits = bit;
}

void registry::trigger(event_type type, std::string_view path, std::vector<delivery>& out) {
  const std::size_t start = out.size();
  switch (type) {
    case event_type::node_created:
    case event_type::node_data_changed:
    case event_type::node_deleted: {
      path_entry* e = find_entry(path);
      bool alive = e != nullptr && fire(e, data_table, standard_data_bit, type, out, start, start);
      // ZooKeeper walks ancestors only while a recursive watch exists anywhere; so do we,
      // which keeps the common case at one hash lookup.
      if (recursive_pairs_ != 0) {
        const std::size_t own_end = out.size();
        for (auto p = parent_of(path); p; p = parent_of(*p)) {
          path_entry* a = find_entry(*p);
          if (a != nullptr && a->recursive_watchers != 0) {
            fire(a, recursive_bit, 0, type, out, start, start);
          }
        }
        if (out.size() != own_end) {
          const auto first = out.begin() + static_cast<std::ptrdiff_t>(start);
          std::sort(first, out.end(), by_connection);
          out.erase(std::unique(first, out.end(),
                                [](const delivery& a, const delivery& b) {
                                  return a.connection == b.connection;
                                }),
                    out.end());
        }
      }
      if (type == event_type::node_deleted && alive) {
        fire(e, child_table, standard_child_bit, type, out, start, out.size());
      }
      return;
    }
    case event_type::node_children_changed: {
      path_entry* e = find_entry(path);
      if (e != nullptr) fire(e, child_table, standard_child_bit, type, out, start, start);
      return;
    }
  }
}

bool registry::contains(connection_id c, std::string_view path, watcher_type type) const {
  const path_entry* e = find_entry(path);
  if (e == nullptr) return false;
  const auto w = find_watcher(e->watchers, c);
  return w != e->watchers.end() && w->connection == c && (w->bits & bits_of(type)) != 0;
}

bool registry::remove(connection_id c, std::string_view path, watcher_type type) {
  path_entry* e = find_entry(path);
  if (e == nullptr) return false;
  const auto w = find_watcher(e->watchers, c);
  if (w == e->watchers.end() || w->connection != c) return false;
  const uint8_t mask = bits_of(type);
  if ((w->bits & mask) == 0) return false;
  const auto index = static_cast<std::size_t>(w - e->watchers.begin());
  change_bits(*e, index, w->bits & static_cast<uint8_t>(~mask));
  if (e->watchers[index].bits == 0) {
    e->watchers.erase(e->watchers.begin() + static_cast<std::ptrdiff_t>(index));
    erase_if_empty(e);
  }
  return true;
}

void registry::remove_connection(connection_id c) {
  const auto ci = connections_.find(c);
  if (ci == connections_.end()) return;
  // Detached first so no slot bookkeeping is done for a list about to vanish.
  connection_entry ce = std::move(ci->second);
  connections_.erase(ci);
  for (path_entry* e : ce.entries) {
    const auto w = find_watcher(e->watchers, c);
    account(*e, ce, w->bits, 0);
    e->watchers.erase(w);
    erase_if_empty(e);
  }
}

std::map<connection_id, std::vector<std::string>> registry::data_watches_by_connection() const {
  std::map<connection_id, std::vector<std::string>> result;
  for (const auto& [c, ce] : connections_) {
    if (ce.data_watches == 0) continue;
    auto& paths = result[c];
    paths.reserve(ce.data_watches);
    for (const path_entry* e : ce.entries) {
      if (find_watcher(e->watchers, c)->bits & data_table) paths.push_back(e->path);
    }
    std::sort(paths.begin(), paths.end());
  }
  return result;
}

std::map<std::string, std::vector<connection_id>> registry::data_watches_by_path() const {
  std::map<std::string, std::vector<connection_id>> result;
  for (const auto& [key, e] : paths_) {
    if (e->data_watchers == 0) continue;
    auto& ids = result[e->path];
    ids.reserve(e->data_watchers);
    for (const watcher& w : e->watchers) {
      if (w.bits & data_table) ids.push_back(w.connection);
    }
  }
  return result;
}

}  // namespace rookery::watch
