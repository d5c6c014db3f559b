#pragma once
// One znode as the in-memory tree keeps it, and the Stat clients see.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace rookery::storage {

// Owner markers (ZooKeeper's EphemeralType): containers and TTL nodes are not session
// ephemerals, and clients see ephemeralOwner 0 for them.
constexpr int64_t container_owner = INT64_MIN;
constexpr uint64_t ttl_owner_marker = 0xFF00000000000000ull;
constexpr int64_t max_ttl_ms = 0xFFFFFFFFFFll;

inline bool is_container_owner(int64_t owner) { return owner == container_owner; }
inline bool is_ttl_owner(int64_t owner) {
  return (static_cast<uint64_t>(owner) & 0xFF00000000000000ull) == ttl_owner_marker;
}
inline int64_t ttl_owner(int64_t ttl_ms) { return static_cast<int64_t>(ttl_owner_marker | static_cast<uint64_t>(ttl_ms)); }
inline int64_t ttl_of_owner(int64_t owner) { return owner & max_ttl_ms; }
inline bool is_session_owner(int64_t owner) {
  return owner != 0 && !is_container_owner(owner) && !is_ttl_owner(owner);
}

struct stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
};

using acl_ref = uint32_t;

struct znode {
  std::string data;
  bool data_is_null = false;
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t pzxid = 0;
  int32_t version = 0;
  int32_t aversion = 0;
  // Child creations ever performed under this node: drives both the visible cversion
  // (2*C - numChildren) and sequential suffixes, exactly as ZooKeeper counts them.
  int32_t child_creations = 0;
  int64_t owner = 0;
  acl_ref acl = 0;
  // Names point into the children's own map keys; leaves pay only a null pointer.
  std::unique_ptr<std::set<std::string_view>> children;

  int32_t num_children() const { return children ? static_cast<int32_t>(children->size()) : 0; }
  stat to_stat() const {
    stat s;
    s.czxid = czxid;
    s.mzxid = mzxid;
    s.ctime = ctime;
    s.mtime = mtime;
    s.version = version;
    s.cversion = 2 * child_creations - num_children();
    s.aversion = aversion;
    s.ephemeral_owner = is_session_owner(owner) ? owner : 0;
    s.data_length = static_cast<int32_t>(data.size());
    s.num_children = num_children();
    s.pzxid = pzxid;
    return s;
  }
};

}  // namespace rookery::storage
