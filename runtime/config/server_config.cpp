#include "runtime/config/server_config.hpp"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace rookery {
namespace {

std::string key_name(const std::string& table, const std::string& key) {
  return table.empty() ? key : table + "." + key;
}

template <class T>
T integer_in_range(const toml::node& node, const std::string& key, int64_t min, int64_t max) {
  auto value = node.value<int64_t>();
  if (!node.is_integer() || !value || *value < min || *value > max)
    throw config_error("invalid value for key '" + key + "': expected an integer in [" +
                       std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<T>(*value);
}

std::string string_value(const toml::node& node, const std::string& key) {
  if (!node.is_string()) throw config_error("invalid value for key '" + key + "': expected a string");
  return *node.value<std::string>();
}

bool bool_value(const toml::node& node, const std::string& key) {
  if (!node.is_boolean()) throw config_error("invalid value for key '" + key + "': expected true or false");
  return *node.value<bool>();
}

void parse_client_address(const std::string& text, server_config& config) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw config_error("invalid value for key 'client_address': expected HOST:PORT");
  try {
    std::size_t used = 0;
    int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 1 || port > 65535) throw std::out_of_range("port");
    config.client_port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    throw config_error("invalid value for key 'client_address': port must be 1..65535");
  }
  config.client_host = text.substr(0, colon);
}

void parse_four_letter_words(const toml::node& node, server_config& config) {
  const std::string key = "four_letter_words";
  if (node.is_string() && *node.value<std::string>() == "*") {
    config.four_letter_words = known_four_letter_words();
    return;
  }
  const auto* words = node.as_array();
  if (!words) throw config_error("invalid value for key '" + key + "': expected \"*\" or a list of words");
  config.four_letter_words = {"srvr"};
  for (const auto& word : *words) {
    auto text = word.value<std::string>();
    if (!text || !known_four_letter_words().count(*text))
      throw config_error("invalid value for key '" + key + "': unknown word '" +
                         (text ? *text : std::string("?")) + "'");
    config.four_letter_words.insert(*text);
  }
}

void apply_server_key(const std::string& key, const toml::node& node, server_config& config) {
  constexpr int64_t max_int = 0x7fffffff;
  if (key == "data_dir") config.data_dir = string_value(node, key);
  else if (key == "client_address") parse_client_address(string_value(node, key), config);
  else if (key == "tick_time_ms") config.tick_time_ms = integer_in_range<int32_t>(node, key, 1, 600000);
  else if (key == "min_session_timeout_ms")
    config.min_session_timeout_ms = integer_in_range<int32_t>(node, key, 1, max_int);
  else if (key == "max_session_timeout_ms")
    config.max_session_timeout_ms = integer_in_range<int32_t>(node, key, 1, max_int);
  else if (key == "max_frame_bytes")
    // A frame travels inside Cap'n Proto messages, whose Data fields end below 512 MiB.
    config.max_frame_bytes = integer_in_range<int32_t>(node, key, 1024, 256 << 20);
  else if (key == "max_connections_per_address")
    config.max_connections_per_address = integer_in_range<int32_t>(node, key, 0, max_int);
  else if (key == "max_outstanding_requests")
    config.max_outstanding_requests = integer_in_range<int32_t>(node, key, 1, max_int);
  else if (key == "four_letter_words") parse_four_letter_words(node, config);
  else if (key == "scheduler_threads") config.scheduler_threads = integer_in_range<int32_t>(node, key, 1, 256);
  else if (key == "scheduler_policy") {
    config.scheduler_policy = string_value(node, key);
    if (config.scheduler_policy != "sharing" && config.scheduler_policy != "stealing")
      throw config_error("invalid value for key 'scheduler_policy': expected sharing or stealing");
  } else if (key == "log_level") {
    config.log_level = string_value(node, key);
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!levels.count(config.log_level))
      throw config_error("invalid value for key 'log_level': expected trace, debug, info, warn, error, critical or off");
  } else if (key == "super_digest") {
    config.super_digest = string_value(node, key);
    if (config.super_digest.find(':') == std::string::npos)
      throw config_error("invalid value for key 'super_digest': expected user:BASE64(SHA1(user:password))");
  } else if (key == "ttl_nodes_enabled") config.ttl_nodes_enabled = bool_value(node, key);
  else if (key == "reconfig_enabled") config.reconfig_enabled = bool_value(node, key);
  else if (key == "container_check_interval_ms")
    config.container_check_interval_ms = integer_in_range<int32_t>(node, key, 10, max_int);
  else throw config_error("unknown key '" + key + "'");
}

void apply_storage_key(const std::string& key, const toml::node& node, server_config& config) {
  const std::string name = key_name("storage", key);
  if (key == "map_initial_mb") config.storage_map_initial_mb = integer_in_range<int64_t>(node, name, 1, 1 << 24);
  else if (key == "map_max_mb") config.storage_map_max_mb = integer_in_range<int64_t>(node, name, 1, 1 << 24);
  else if (key == "log_segment_mb") config.storage_log_segment_mb = integer_in_range<int64_t>(node, name, 1, 1 << 16);
  else if (key == "log_preallocate_mb")
    config.storage_log_preallocate_mb = integer_in_range<int64_t>(node, name, 1, 1 << 16);
  else if (key == "snapshot_every_txns")
    config.snapshot_every_txns = integer_in_range<int32_t>(node, name, 1, 100000000);
  else throw config_error("unknown key '" + name + "'");
}

}  // namespace

const std::set<std::string>& known_four_letter_words() {
  static const std::set<std::string> words{"ruok", "srvr", "stat", "mntr", "conf", "cons", "envi",
                                           "wchs", "wchc", "wchp", "dump", "dirs", "isro", "crst", "srst"};
  return words;
}

server_config parse_server_config(const std::string& toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    message << source_name << ": " << e.description() << " (line " << e.source().begin.line << ")";
    throw config_error(message.str());
  }
  server_config config;
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    if (name == "storage") {
      const auto* table = node.as_table();
      if (!table) throw config_error("invalid value for key 'storage': expected a table");
      for (const auto& [storage_key, storage_node] : *table)
        apply_storage_key(std::string(storage_key.str()), storage_node, config);
    } else {
      apply_server_key(name, node, config);
    }
  }
  validate_server_config(config);
  return config;
}

server_config load_server_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_server_config(text.str(), path);
}

void validate_server_config(const server_config& config) {
  if (config.effective_min_session_timeout() > config.effective_max_session_timeout())
    throw config_error("invalid value for key 'min_session_timeout_ms': greater than max_session_timeout_ms");
  if (config.storage_map_initial_mb > config.storage_map_max_mb)
    throw config_error("invalid value for key 'storage.map_initial_mb': greater than storage.map_max_mb");
  if (config.data_dir.empty()) throw config_error("invalid value for key 'data_dir': empty");
}

}  // namespace rookery
