#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace rookery::storage {

// What went wrong with the disk, so callers can tell "no room" (refuse writes, keep going)
// from damage.
class storage_error : public std::runtime_error {
 public:
  enum class kind { map_full, no_space, io, corrupt };
  storage_error(kind k, std::string msg) : std::runtime_error(std::move(msg)), kind_(k) {}
  kind what_kind() const noexcept { return kind_; }

 private:
  kind kind_;
};

}  // namespace rookery::storage
