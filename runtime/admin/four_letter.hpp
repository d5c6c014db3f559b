#pragma once
// Text of ZooKeeper's four-letter words, rendered from a snapshot of the server's figures.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/config/server_config.hpp"

namespace rookery::admin {

// Request latency in milliseconds, as ZooKeeper reports it.
struct latency_stats {
  int64_t min_ms = 0;
  int64_t max_ms = 0;
  int64_t total_ms = 0;
  int64_t count = 0;
  void add(int64_t ms);
  void merge(const latency_stats& other);
  double average() const { return count ? static_cast<double>(total_ms) / static_cast<double>(count) : 0.0; }
};

// One connection's figures, kept by its session actor.
struct connection_view {
  std::string peer;  // "ip:port"
  uint64_t connection = 0;
  uint64_t received = 0;
  uint64_t sent = 0;
  int64_t queued = 0;
  int64_t session = 0;
  int32_t timeout_ms = 0;
  int64_t established_ms = 0;  // wall clock
  std::string last_op = "NA";
  int32_t last_xid = -1;
  int64_t last_zxid = -1;
  int64_t last_response_ms = 0;
  latency_stats latency;
  void reset_counters();
};

// Totals of connections that are gone, so server-wide figures do not drop when one closes.
struct connection_totals {
  uint64_t received = 0;
  uint64_t sent = 0;
  latency_stats latency;
};

// What the watch manager reports; the listings only when asked for.
struct watch_report {
  int64_t connections = 0;
  int64_t paths = 0;
  int64_t data_watches = 0;
  int64_t total = 0;
  std::map<uint64_t, std::vector<std::string>> by_connection;
  std::map<std::string, std::vector<uint64_t>> by_path;
};

// What the client listener reports: every live connection's figures and the totals of
// the closed ones.
struct listener_report {
  std::vector<connection_view> clients;
  connection_totals retired;
  int64_t started_ms = 0;
};

struct server_view {
  int64_t last_zxid = 0;
  int64_t node_count = 0;  // real znodes; ZooKeeper reports one more (the root twice)
  int64_t data_bytes = 0;
  int64_t sessions = 0;
  int64_t ephemerals = 0;
  int64_t outstanding = 0;
  int64_t watch_connections = 0;
  int64_t watch_paths = 0;
  int64_t data_watches = 0;
  int64_t total_watches = 0;
  int64_t uptime_ms = 0;
  int64_t data_dir_bytes = 0;  // the image, and anything else in the data dir but the log
  int64_t log_dir_bytes = 0;
  int64_t log_commits = 0;
  int64_t log_records = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;
  int64_t resident_bytes = 0;
  std::vector<connection_view> clients;
  connection_totals retired;
  // For wchc/wchp/dump: watched paths per connection, session buckets, ephemerals.
  std::map<uint64_t, std::vector<std::string>> watches_by_connection;
  std::map<std::string, std::vector<uint64_t>> watches_by_path;
  std::map<uint64_t, int64_t> session_of_connection;
  std::map<int64_t, std::set<int64_t>> expiry_buckets;
  std::map<int64_t, std::vector<std::string>> ephemerals_by_session;
};

// ZooKeeper's four-letter mnemonic of an opcode ("lop" in cons).
std::string op_mnemonic(int32_t opcode);
// Words whose answer needs watch, session and ephemeral listings.
bool needs_listings(const std::string& word);

// Words that need no figures at all.
bool is_static_word(const std::string& word);
// Words that reset the server's statistics (and need no figures either).
bool resets_stats(const std::string& word);
std::string render(const std::string& word, const server_view& view, const server_config& config);
std::string not_whitelisted(const std::string& word);
extern const char* const version_string;

}  // namespace rookery::admin
