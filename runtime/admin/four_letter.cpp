#include "runtime/admin/four_letter.hpp"

#include <sstream>

namespace rookery::admin {

const char* const version_string = "3.9.0-rookery-0.1.0, built on 1970-01-01 00:00 UTC";

bool is_static_word(const std::string& word) { return word == "ruok" || word == "isro" || word == "conf" || word == "envi"; }

std::string not_whitelisted(const std::string& word) {
  return word + " is not executed because it is not in the whitelist.\n";
}

namespace {

std::string hex(int64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

void server_lines(std::ostringstream& out, const server_view& v) {
  out << "Latency min/avg/max: 0/0.0/0\n"
      << "Received: " << 0 << "\n"
      << "Sent: " << 0 << "\n"
      << "Connections: " << v.connections << "\n"
      << "Outstanding: " << v.outstanding << "\n"
      << "Zxid: " << hex(v.last_zxid) << "\n"
      << "Mode: standalone\n"
      << "Node count: " << v.node_count + 1 << "\n";
}

void client_line(std::ostringstream& out, const connection_view& c, bool full) {
  out << " /" << c.peer << "[1](queued=0,recved=" << c.received << ",sent=" << c.sent;
  if (full && c.session != 0)
    out << ",sid=" << hex(c.session) << ",lop=NA,est=" << c.established_ms << ",to=" << c.timeout_ms;
  out << ")\n";
}

}  // namespace

std::string render(const std::string& word, const server_view& v, const server_config& config) {
  std::ostringstream out;
  if (word == "ruok") return "imok";
  if (word == "isro") return "rw";
  if (word == "srvr") {
    out << "Zookeeper version: " << version_string << "\n";
    server_lines(out, v);
  } else if (word == "stat") {
    out << "Zookeeper version: " << version_string << "\nClients:\n";
    for (const auto& c : v.clients) client_line(out, c, false);
    out << "\n";
    server_lines(out, v);
  } else if (word == "cons") {
    for (const auto& c : v.clients) client_line(out, c, true);
    out << "\n";
  } else if (word == "conf") {
    out << "clientPort=" << config.client_port << "\nsecureClientPort=-1\ndataDir=" << config.data_dir
        << "\ndataDirSize=" << v.data_dir_bytes << "\ndataLogDir=" << config.data_dir
        << "\ndataLogSize=" << v.data_dir_bytes << "\ntickTime=" << config.tick_time_ms
        << "\nmaxClientCnxns=" << config.max_connections_per_address
        << "\nminSessionTimeout=" << config.effective_min_session_timeout()
        << "\nmaxSessionTimeout=" << config.effective_max_session_timeout()
        << "\nclientPortListenBacklog=-1\nserverId=0\n";
  } else if (word == "envi") {
    out << "Environment:\nzookeeper.version=" << version_string << "\nhost.name=localhost\nos.name=Linux\n"
        << "rookery.data_dir=" << config.data_dir << "\n";
  } else if (word == "mntr") {
    out << "zk_version\t" << version_string << "\nzk_server_state\tstandalone\n"
        << "zk_avg_latency\t0.0\nzk_max_latency\t0\nzk_min_latency\t0\n"
        << "zk_packets_received\t0\nzk_packets_sent\t0\n"
        << "zk_num_alive_connections\t" << v.connections << "\n"
        << "zk_outstanding_requests\t" << v.outstanding << "\n"
        << "zk_znode_count\t" << v.node_count + 1 << "\n"
        << "zk_watch_count\t" << v.total_watches << "\n"
        << "zk_ephemerals_count\t" << v.ephemerals << "\n"
        << "zk_approximate_data_size\t" << v.data_bytes << "\n"
        << "zk_open_file_descriptor_count\t" << v.open_fds << "\n"
        << "zk_max_file_descriptor_count\t" << v.max_fds << "\n"
        << "zk_uptime\t" << v.uptime_ms << "\n"
        << "zk_global_sessions\t" << v.sessions << "\nzk_local_sessions\t0\n"
        << "zk_last_proposal_size\t-1\n"
        << "zk_log_commits\t" << v.log_commits << "\nzk_log_records\t" << v.log_records << "\n"
        << "zk_resident_memory_bytes\t" << v.resident_bytes << "\n";
  } else if (word == "wchs") {
    out << v.watch_connections << " connections watching " << v.watch_paths << " paths\nTotal watches:"
        << v.data_watches << "\n";
  } else if (word == "dirs") {
    out << "datadir_size: " << v.data_dir_bytes << "\nlogdir_size: " << v.data_dir_bytes << "\n";
  }
  return out.str();
}

}  // namespace rookery::admin
