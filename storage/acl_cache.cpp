#include "storage/acl_cache.hpp"

namespace rookery::storage {

acl_ref acl_cache::acquire(const acl::list& list) {
  auto found = index_.find(list);
  if (found != index_.end()) {
    ++slots_[found->second].count;
    return found->second;
  }
  acl_ref ref;
  if (!free_.empty()) {
    ref = free_.back();
    free_.pop_back();
  } else {
    ref = static_cast<acl_ref>(slots_.size());
    slots_.emplace_back();
  }
  slots_[ref] = slot{std::make_shared<const acl::list>(list), 1};
  index_.emplace(list, ref);
  return ref;
}

void acl_cache::release(acl_ref ref) {
  if (--slots_[ref].count > 0) return;
  index_.erase(*slots_[ref].list);
  slots_[ref].list.reset();
  free_.push_back(ref);
}

}  // namespace rookery::storage
