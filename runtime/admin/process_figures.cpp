#include "runtime/admin/process_figures.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rookery::admin {

void fill_process_figures(server_view& view, const std::string& data_dir, const std::string& log_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  view.open_fds = 0;
  for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    ++view.open_fds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) view.max_fds = static_cast<int64_t>(limit.rlim_cur);
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  if (statm >> pages >> resident) view.resident_bytes = resident * sysconf(_SC_PAGESIZE);
  auto bytes_below = [&](const std::string& dir) {
    int64_t bytes = 0;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec)) bytes += static_cast<int64_t>(it->file_size(ec));
    }
    return bytes;
  };
  // Log segments count at their preallocated size, as ZooKeeper's do.
  view.log_dir_bytes = bytes_below(log_dir);
  view.data_dir_bytes = bytes_below(data_dir) - view.log_dir_bytes;
}

}  // namespace rookery::admin
