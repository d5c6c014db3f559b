#pragma once
// Interns ACL lists: most znodes share a handful of lists, so each node keeps a 4-byte
// reference instead of its own copy (ZooKeeper's ReferenceCountedACLCache does the same).
#include <map>
#include <memory>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "storage/znode.hpp"

namespace rookery::storage {

class acl_cache {
 public:
  // Returns a reference that holds one count on the list.
  acl_ref acquire(const acl::list& list);
  void add_ref(acl_ref ref) { ++slots_[ref].count; }
  void release(acl_ref ref);
  const acl::list& get(acl_ref ref) const { return *slots_[ref].list; }
  // Watch events carry the ACL they must be filtered by; sharing avoids a copy per event.
  const std::shared_ptr<const acl::list>& shared(acl_ref ref) const { return slots_[ref].list; }

 private:
  struct slot {
    std::shared_ptr<const acl::list> list;
    uint64_t count = 0;
  };
  std::vector<slot> slots_;
  std::vector<acl_ref> free_;
  std::map<acl::list, acl_ref> index_;
};

}  // namespace rookery::storage
