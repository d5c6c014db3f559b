#pragma once
// Text of ZooKeeper's four-letter words, rendered from a snapshot of the server's figures.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/server_config.hpp"

namespace rookery::admin {

struct connection_view {
  std::string peer;  // "ip:port"
  uint64_t received = 0;
  uint64_t sent = 0;
  int64_t session = 0;
  int32_t timeout_ms = 0;
  int64_t established_ms = 0;
};

struct server_view {
  int64_t last_zxid = 0;
  int64_t node_count = 0;  // real znodes; ZooKeeper reports one more (the root twice)
  int64_t data_bytes = 0;
  int64_t sessions = 0;
  int64_t ephemerals = 0;
  int64_t outstanding = 0;
  int64_t connections = 0;
  int64_t watch_connections = 0;
  int64_t watch_paths = 0;
  int64_t data_watches = 0;
  int64_t total_watches = 0;
  int64_t uptime_ms = 0;
  int64_t data_dir_bytes = 0;
  int64_t log_commits = 0;
  int64_t log_records = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;
  int64_t resident_bytes = 0;
  std::vector<connection_view> clients;
};

// Words that need no figures at all.
bool is_static_word(const std::string& word);
std::string render(const std::string& word, const server_view& view, const server_config& config);
std::string not_whitelisted(const std::string& word);
extern const char* const version_string;

}  // namespace rookery::admin
