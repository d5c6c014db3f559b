#include "storage/data_tree.hpp"

#include <cassert>

namespace rookery::storage {

std::string_view parent_path(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos || path == "/") return {};
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view node_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

data_tree::data_tree() { create_builtin_nodes(); }

void data_tree::create_builtin_nodes() {
  // ZooKeeper pre-creates these without counting them as child creations, which is why a
  // fresh server shows cversion -1 on "/" and -2 on "/zookeeper".
  auto builtin = [this](const char* path, const acl::list& acl, int32_t aversion) {
    znode node;
    node.acl = acls_.acquire(acl);
    node.aversion = aversion;
    insert_node(path, std::move(node));
  };
  builtin("/", acl::open_acl_unsafe(), 0);
  builtin("/zookeeper", acl::open_acl_unsafe(), 0);
  builtin("/zookeeper/quota", acl::open_acl_unsafe(), 0);
  builtin("/zookeeper/config", acl::read_acl_unsafe(), -1);
  dirty_ = {};
}

const znode* data_tree::find(std::string_view path) const {
  lookup_key_.assign(path.data(), path.size());
  auto found = nodes_.find(lookup_key_);
  return found == nodes_.end() ? nullptr : &found->second;
}

znode* data_tree::find_mutable(std::string_view path) { return const_cast<znode*>(find(path)); }

std::vector<std::string> data_tree::child_names(const znode& node) const {
  std::vector<std::string> names;
  if (!node.children) return names;
  names.reserve(node.children->size());
  for (auto name : *node.children) names.emplace_back(name);
  return names;
}

int32_t data_tree::descendant_count(std::string_view path) const {
  // Iterative, with one path buffer per pending node: a deep tree must not exhaust the stack.
  int32_t count = 0;
  std::vector<std::string> pending{std::string(path)};
  while (!pending.empty()) {
    std::string current = std::move(pending.back());
    pending.pop_back();
    const znode* node = find(current);
    if (!node || !node->children) continue;
    if (current == "/") current.clear();
    for (auto name : *node->children) {
      ++count;
      pending.push_back(current + "/" + std::string(name));
    }
  }
  return count;
}

void data_tree::mark_dirty(std::string_view path) { dirty_.paths.emplace(path); }

void data_tree::index_special(const std::string& path, const znode& node) {
  if (is_session_owner(node.owner)) sessions_[node.owner].ephemerals.insert(path);
  else if (is_container_owner(node.owner)) containers_.insert(path);
  else if (is_ttl_owner(node.owner)) ttl_nodes_.insert(path);
}

void data_tree::unindex_special(const std::string& path, const znode& node) {
  if (is_session_owner(node.owner)) {
    auto session = sessions_.find(node.owner);
    if (session != sessions_.end()) session->second.ephemerals.erase(path);
  } else if (is_container_owner(node.owner)) {
    containers_.erase(path);
  } else if (is_ttl_owner(node.owner)) {
    ttl_nodes_.erase(path);
  }
}

void data_tree::insert_node(std::string path, znode node) {
  data_bytes_ += path.size() + node.data.size();
  auto [it, inserted] = nodes_.insert_or_assign(std::move(path), std::move(node));
  (void)inserted;
  const std::string& key = it->first;
  index_special(key, it->second);
  mark_dirty(key);
  if (key == "/") return;
  znode* parent = find_mutable(parent_path(key));
  assert(parent);
  if (!parent->children) parent->children = std::make_unique<std::set<std::string_view>>();
  parent->children->insert(node_name(key));
}

znode data_tree::take_node(std::string_view path) {
  lookup_key_.assign(path.data(), path.size());
  auto it = nodes_.find(lookup_key_);
  assert(it != nodes_.end());
  if (znode* parent = find_mutable(parent_path(it->first)); parent && parent->children) {
    parent->children->erase(node_name(it->first));
  }
  unindex_special(it->first, it->second);
  data_bytes_ -= it->first.size() + it->second.data.size();
  mark_dirty(it->first);
  znode node = std::move(it->second);
  nodes_.erase(it);
  return node;
}

void data_tree::create(std::string_view path, std::string data, bool data_is_null, const acl::list& acl,
                       int64_t owner, int64_t zxid, int64_t time_ms) {
  std::string_view parent_name = parent_path(path);
  znode* parent = find_mutable(parent_name);
  assert(parent);
  if (recording_undo_) {
    undo_entry entry{undo_entry::kind::created, std::string(path), {}, parent->child_creations, parent->pzxid};
    undo_.push_back(std::move(entry));
  }
  ++parent->child_creations;
  parent->pzxid = zxid;
  mark_dirty(parent_name);

  znode node;
  node.data = std::move(data);
  node.data_is_null = data_is_null;
  node.czxid = node.mzxid = node.pzxid = zxid;
  node.ctime = node.mtime = time_ms;
  node.owner = owner;
  node.acl = acls_.acquire(acl);
  insert_node(std::string(path), std::move(node));
}

void data_tree::remove(std::string_view path, int64_t zxid) {
  std::string_view parent_name = parent_path(path);
  znode* parent = find_mutable(parent_name);
  assert(parent);
  int64_t old_pzxid = parent->pzxid;
  parent->pzxid = zxid;
  mark_dirty(parent_name);
  std::string key(path);
  znode node = take_node(path);
  if (recording_undo_) {
    undo_.push_back(undo_entry{undo_entry::kind::removed, std::move(key), std::move(node), 0, old_pzxid});
  } else {
    acls_.release(node.acl);
  }
}

void data_tree::set_data(std::string_view path, std::string data, bool data_is_null, int64_t zxid,
                         int64_t time_ms) {
  znode* node = find_mutable(path);
  assert(node);
  if (recording_undo_) {
    undo_entry entry{undo_entry::kind::data_set, std::string(path), {}, 0, 0};
    entry.old_node.data = node->data;
    entry.old_node.data_is_null = node->data_is_null;
    entry.old_node.version = node->version;
    entry.old_node.mzxid = node->mzxid;
    entry.old_node.mtime = node->mtime;
    undo_.push_back(std::move(entry));
  }
  data_bytes_ = data_bytes_ - node->data.size() + data.size();
  node->data = std::move(data);
  node->data_is_null = data_is_null;
  ++node->version;
  node->mzxid = zxid;
  node->mtime = time_ms;
  mark_dirty(path);
}

void data_tree::set_acl(std::string_view path, const acl::list& acl) {
  znode* node = find_mutable(path);
  assert(node);
  acl_ref fresh = acls_.acquire(acl);
  if (recording_undo_) {
    undo_entry entry{undo_entry::kind::acl_set, std::string(path), {}, 0, 0};
    entry.old_node.acl = node->acl;
    entry.old_node.aversion = node->aversion;
    undo_.push_back(std::move(entry));
  } else {
    acls_.release(node->acl);
  }
  node->acl = fresh;
  ++node->aversion;
  mark_dirty(path);
}

void data_tree::add_session(int64_t id, int32_t timeout_ms, std::string password) {
  auto& session = sessions_[id];
  session.timeout_ms = timeout_ms;
  session.password = std::move(password);
  dirty_.sessions.insert(id);
}

void data_tree::remove_session(int64_t id) {
  sessions_.erase(id);
  dirty_.sessions.insert(id);
}

const session_record* data_tree::find_session(int64_t id) const {
  auto found = sessions_.find(id);
  return found == sessions_.end() ? nullptr : &found->second;
}

void data_tree::begin_undo() {
  undo_.clear();
  recording_undo_ = true;
}

void data_tree::commit_undo() {
  recording_undo_ = false;
  for (auto& entry : undo_) {
    if (entry.what == undo_entry::kind::removed || entry.what == undo_entry::kind::acl_set)
      acls_.release(entry.old_node.acl);
  }
  undo_.clear();
}

void data_tree::rollback_undo() {
  recording_undo_ = false;
  for (auto entry = undo_.rbegin(); entry != undo_.rend(); ++entry) {
    switch (entry->what) {
      case undo_entry::kind::created: {
        znode node = take_node(entry->path);
        acls_.release(node.acl);
        znode* parent = find_mutable(parent_path(entry->path));
        parent->child_creations = entry->parent_child_creations;
        parent->pzxid = entry->parent_pzxid;
        break;
      }
      case undo_entry::kind::removed: {
        insert_node(entry->path, std::move(entry->old_node));
        find_mutable(parent_path(entry->path))->pzxid = entry->parent_pzxid;
        break;
      }
      case undo_entry::kind::data_set: {
        znode* node = find_mutable(entry->path);
        data_bytes_ = data_bytes_ - node->data.size() + entry->old_node.data.size();
        node->data = std::move(entry->old_node.data);
        node->data_is_null = entry->old_node.data_is_null;
        node->version = entry->old_node.version;
        node->mzxid = entry->old_node.mzxid;
        node->mtime = entry->old_node.mtime;
        break;
      }
      case undo_entry::kind::acl_set: {
        znode* node = find_mutable(entry->path);
        acls_.release(node->acl);
        node->acl = entry->old_node.acl;
        node->aversion = entry->old_node.aversion;
        break;
      }
    }
  }
  undo_.clear();
}

data_tree::dirty_set data_tree::take_dirty() {
  dirty_set taken;
  std::swap(taken, dirty_);
  return taken;
}

void data_tree::restore_node(std::string path, znode node, const acl::list& acl) {
  if (const znode* existing = find(path)) acls_.release(existing->acl);
  node.acl = acls_.acquire(acl);
  node.children.reset();
  data_bytes_ += path.size() + node.data.size();
  if (const znode* existing = find(path)) data_bytes_ -= path.size() + existing->data.size();
  auto [it, inserted] = nodes_.insert_or_assign(std::move(path), std::move(node));
  (void)inserted;
  index_special(it->first, it->second);
}

void data_tree::link_children() {
  for (auto& [path, node] : nodes_) {
    if (path == "/") continue;
    znode* parent = find_mutable(parent_path(path));
    if (!parent) continue;
    if (!parent->children) parent->children = std::make_unique<std::set<std::string_view>>();
    parent->children->insert(node_name(path));
  }
  dirty_ = {};
}

void data_tree::clear() {
  nodes_.clear();
  acls_ = acl_cache();
  sessions_.clear();
  containers_.clear();
  ttl_nodes_.clear();
  data_bytes_ = 0;
  undo_.clear();
  recording_undo_ = false;
  dirty_ = {};
  create_builtin_nodes();
}

}  // namespace rookery::storage
