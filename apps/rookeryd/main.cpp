// rookeryd: one Rookery server. Standalone for now: `rookeryd --data-dir DIR --client-port PORT`
// or `rookeryd --config FILE`; command-line options override the file.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "runtime/bootstrap.hpp"
#include "runtime/config/server_config.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rookeryd: a ZooKeeper-compatible coordination server"};
  std::string config_file, data_dir, client_host, log_level;
  int client_port = 0;
  app.add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "directory for the log and the tree image");
  app.add_option("--client-port", client_port, "port for ZooKeeper clients")->check(CLI::Range(1, 65535));
  app.add_option("--client-host", client_host, "address to listen on (default 127.0.0.1)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  rookery::server_config config;
  try {
    if (!config_file.empty()) config = rookery::load_server_config_file(config_file);
    if (!data_dir.empty()) config.data_dir = data_dir;
    if (client_port != 0) config.client_port = static_cast<uint16_t>(client_port);
    if (!client_host.empty()) config.client_host = client_host;
    if (!log_level.empty()) config.log_level = log_level;
    rookery::validate_server_config(config);
  } catch (const rookery::config_error& e) {
    std::cerr << "rookeryd: " << e.what() << "\n";
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("rookeryd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  try {
    return rookery::run_standalone_server(config);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
