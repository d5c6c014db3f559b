#pragma once

#include <cerrno>
#include <cstring>
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

// A failed system call as a storage_error: no room where the disk or a limit is full.
[[noreturn]] inline void throw_errno(int error, const std::string& what) {
  const bool no_room = error == ENOSPC || error == EDQUOT || error == EFBIG;
  throw storage_error(no_room ? storage_error::kind::no_space : storage_error::kind::io,
                      what + ": " + std::strerror(error));
}

}  // namespace rookery::storage
