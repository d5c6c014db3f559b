#include "storage/durable_dirs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "storage/storage_error.hpp"

namespace rookery::storage {

namespace fs = std::filesystem;

void sync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(errno, "open " + path);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) throw_errno(error, "fsync " + path);
}

void create_directories_durably(const fs::path& directory) {
  std::vector<fs::path> missing;
  for (fs::path p = directory; !p.empty() && !fs::exists(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(directory);
  for (const auto& created : missing) sync_directory(created.has_parent_path() ? created.parent_path().string() : ".");
}

}  // namespace rookery::storage
