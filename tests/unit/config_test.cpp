#include <catch2/catch.hpp>

#include "runtime/config/server_config.hpp"

using rookery::config_error;
using rookery::parse_server_config;

TEST_CASE("a full config file is read") {
  auto config = parse_server_config(R"(
data_dir = "/tmp/x"
client_address = "0.0.0.0:3181"
tick_time_ms = 500
max_frame_bytes = 2048
four_letter_words = ["ruok", "mntr"]
scheduler_threads = 3
scheduler_policy = "stealing"
log_level = "debug"
reconfig_enabled = true
max_outstanding_requests = 64
[storage]
map_initial_mb = 8
)", "test.toml");
  CHECK(config.data_dir == "/tmp/x");
  CHECK(config.client_host == "0.0.0.0");
  CHECK(config.client_port == 3181);
  CHECK(config.effective_min_session_timeout() == 1000);
  CHECK(config.effective_max_session_timeout() == 10000);
  CHECK(config.max_frame_bytes == 2048);
  CHECK(config.four_letter_words == std::set<std::string>{"ruok", "mntr", "srvr"});
  CHECK(config.scheduler_threads == 3);
  CHECK(config.scheduler_policy == "stealing");
  CHECK(config.storage_map_initial_mb == 8);
  CHECK(config.reconfig_enabled);
  CHECK(config.max_outstanding_requests == 64);
}

TEST_CASE("the whitelist * enables every four-letter word") {
  auto config = parse_server_config("four_letter_words = \"*\"", "t");
  CHECK(config.four_letter_words == rookery::known_four_letter_words());
}

TEST_CASE("bad keys are named in the error") {
  auto message_for = [](const std::string& text) {
    try {
      parse_server_config(text, "t");
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message_for("colour = 1"), Catch::Contains("unknown key 'colour'"));
  CHECK_THAT(message_for("tick_time_ms = \"fast\""), Catch::Contains("'tick_time_ms'"));
  CHECK_THAT(message_for("client_address = \"localhost\""), Catch::Contains("'client_address'"));
  CHECK_THAT(message_for("[storage]\nsize = 3"), Catch::Contains("unknown key 'storage.size'"));
  CHECK_THAT(message_for("four_letter_words = [\"oops\"]"), Catch::Contains("'four_letter_words'"));
  CHECK_THAT(message_for("log_level = \"loud\""), Catch::Contains("'log_level'"));
  CHECK_THAT(message_for("reconfig_enabled = 1"), Catch::Contains("'reconfig_enabled'"));
  CHECK_THAT(message_for("max_outstanding_requests = 0"), Catch::Contains("'max_outstanding_requests'"));
  CHECK_THAT(message_for("scheduler_policy = \"random\""), Catch::Contains("'scheduler_policy'"));
  CHECK_THAT(message_for("min_session_timeout_ms = 9000\nmax_session_timeout_ms = 100"),
             Catch::Contains("'min_session_timeout_ms'"));
  CHECK_THAT(message_for("tick_time_ms = "), Catch::Contains("line 1"));
}
