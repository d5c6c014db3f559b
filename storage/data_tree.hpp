#pragma once
// The in-memory znode tree: nodes by full path, children, ACLs, sessions and their
// ephemerals, containers and TTL nodes. It only stores and mutates; deciding whether an
// operation is allowed (versions, ACLs, paths) is the apply core's job. Mutations can be
// recorded in an undo log so a failing multi leaves no trace.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/acl_cache.hpp"
#include "storage/znode.hpp"

namespace rookery::storage {

struct session_record {
  int32_t timeout_ms = 0;
  std::string password;
  std::set<std::string> ephemerals;
};

// "/a/b" -> "/a", "/a" -> "/".
std::string_view parent_path(std::string_view path);
std::string_view node_name(std::string_view path);

class data_tree {
 public:
  data_tree();
  data_tree(const data_tree&) = delete;
  data_tree& operator=(const data_tree&) = delete;

  const znode* find(std::string_view path) const;
  const acl::list& acl_of(const znode& node) const { return acls_.get(node.acl); }
  const std::shared_ptr<const acl::list>& shared_acl_of(const znode& node) const { return acls_.shared(node.acl); }
  std::vector<std::string> child_names(const znode& node) const;
  // Descendants at every depth, excluding the node itself.
  int32_t descendant_count(std::string_view path) const;
  std::size_t node_count() const { return nodes_.size(); }
  std::size_t approximate_data_size() const { return data_bytes_; }

  // Mutations. The caller has checked that they are valid (parent exists, node absent...).
  void create(std::string_view path, std::string data, bool data_is_null, const acl::list& acl,
              int64_t owner, int64_t zxid, int64_t time_ms);
  void remove(std::string_view path, int64_t zxid);
  void set_data(std::string_view path, std::string data, bool data_is_null, int64_t zxid, int64_t time_ms);
  void set_acl(std::string_view path, const acl::list& acl);

  // Sessions are part of the replicated state: ephemerals and expiry survive restarts.
  void add_session(int64_t id, int32_t timeout_ms, std::string password);
  // Removes the session record; its ephemerals must have been removed first.
  void remove_session(int64_t id);
  const session_record* find_session(int64_t id) const;
  const std::unordered_map<int64_t, session_record>& sessions() const { return sessions_; }

  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttl_nodes() const { return ttl_nodes_; }

  // Undo log for multi: between begin and commit, every mutation is recorded;
  // rollback reverts them in reverse order.
  void begin_undo();
  void commit_undo();
  void rollback_undo();

  // Paths and sessions changed since the last take, for the incremental on-disk image.
  struct dirty_set {
    std::unordered_set<std::string> paths;
    std::unordered_set<int64_t> sessions;
  };
  dirty_set take_dirty();

  // Restores a node read back from the image; children are linked by link_children().
  void restore_node(std::string path, znode node, const acl::list& acl);
  void link_children();
  void clear();

 private:
  struct undo_entry {
    enum class kind { created, removed, data_set, acl_set } what;
    std::string path;
    znode old_node;  // removed: the whole node; data_set: old data and versions; acl_set: old acl
    int32_t parent_child_creations = 0;
    int64_t parent_pzxid = 0;
  };

  znode* find_mutable(std::string_view path);
  void create_builtin_nodes();
  void index_special(const std::string& path, const znode& node);
  void unindex_special(const std::string& path, const znode& node);
  void mark_dirty(std::string_view path);
  void insert_node(std::string path, znode node);
  znode take_node(std::string_view path);

  std::unordered_map<std::string, znode> nodes_;
  acl_cache acls_;
  std::unordered_map<int64_t, session_record> sessions_;
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  std::size_t data_bytes_ = 0;
  bool recording_undo_ = false;
  std::vector<undo_entry> undo_;
  dirty_set dirty_;
  // Reused for lookups by string_view, so a lookup allocates nothing once warmed up.
  mutable std::string lookup_key_;
};

}  // namespace rookery::storage
