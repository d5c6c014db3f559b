#pragma once
// Settings of one rookeryd, from the command line or a TOML file.
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>

namespace rookery {

// A setting that is unknown or invalid; the message names the key.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct server_config {
  std::string data_dir = "./rookery-data";
  std::string client_host = "127.0.0.1";
  uint16_t client_port = 2181;
  int32_t tick_time_ms = 2000;
  // 0 means "derive from tick_time_ms" (2x and 20x), as ZooKeeper does.
  int32_t min_session_timeout_ms = 0;
  int32_t max_session_timeout_ms = 0;
  int32_t max_frame_bytes = 0xFFFFF;  // jute.maxbuffer
  int32_t max_connections_per_address = 60;
  // Requests of one connection in the server at once (ZooKeeper's globalOutstandingLimit is
  // 1000 for the whole server); past it the connection is not read until replies go out.
  int32_t max_outstanding_requests = 1000;
  // Four-letter words that answer; "*" in the file enables all. srvr is always on.
  std::set<std::string> four_letter_words{"srvr"};
  int32_t scheduler_threads = 2;
  // CAF's "sharing" scheduler (one queue, workers block) beat work stealing (workers poll)
  // on every load measured on two cores; see docs/benchmarks.md.
  std::string scheduler_policy = "sharing";
  std::string log_level = "info";
  // "user:BASE64(SHA1(user:password))"; a digest auth matching it is the super user.
  std::string super_digest;
  // TTL nodes, like zookeeper.extendedTypesEnabled.
  bool ttl_nodes_enabled = false;
  bool reconfig_enabled = false;
  int32_t container_check_interval_ms = 60000;
  int64_t storage_map_initial_mb = 64;
  int64_t storage_map_max_mb = 16384;
  int64_t storage_log_segment_mb = 64;
  int64_t storage_log_preallocate_mb = 16;
  int32_t snapshot_every_txns = 5000;

  int32_t effective_min_session_timeout() const {
    return min_session_timeout_ms > 0 ? min_session_timeout_ms : 2 * tick_time_ms;
  }
  int32_t effective_max_session_timeout() const {
    return max_session_timeout_ms > 0 ? max_session_timeout_ms : 20 * tick_time_ms;
  }
  // The transaction log's segment files; the LMDB image lives in data_dir itself.
  std::string log_dir() const { return data_dir + "/log"; }
};

// Parses TOML text into a config; throws config_error naming the offending key.
server_config parse_server_config(const std::string& toml_text, const std::string& source_name);
server_config load_server_config_file(const std::string& path);
// Checks relations between settings that no single key can check alone.
void validate_server_config(const server_config& config);
// The set of all four-letter words the server knows.
const std::set<std::string>& known_four_letter_words();

}  // namespace rookery
