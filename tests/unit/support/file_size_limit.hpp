#pragma once
// Lowers this process's file-size limit for one scope: no file can grow past it, which is how
// tests (like `ulimit -f` in the process tests) stand in for a full disk.
#include <sys/resource.h>

#include <csignal>

namespace rookery::test {

class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    // Growing past the limit must fail with EFBIG, not kill the test.
    std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit lowered{bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~file_size_limit() { setrlimit(RLIMIT_FSIZE, &saved_); }
  file_size_limit(const file_size_limit&) = delete;
  file_size_limit& operator=(const file_size_limit&) = delete;

 private:
  rlimit saved_{};
};

}  // namespace rookery::test
