#include "runtime/admin/four_letter.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "runtime/zk/protocol.hpp"

namespace rookery::admin {

const char* const version_string = "3.9.0-rookery-0.1.0, built on 1970-01-01 00:00 UTC";

void latency_stats::add(int64_t ms) {
  min_ms = count == 0 ? ms : std::min(min_ms, ms);
  max_ms = std::max(max_ms, ms);
  total_ms += ms;
  ++count;
}

void latency_stats::merge(const latency_stats& other) {
  if (other.count == 0) return;
  min_ms = count == 0 ? other.min_ms : std::min(min_ms, other.min_ms);
  max_ms = std::max(max_ms, other.max_ms);
  total_ms += other.total_ms;
  count += other.count;
}

void connection_view::reset_counters() {
  received = 0;
  sent = 0;
  latency = latency_stats{};
  last_op = "NA";
  last_xid = -1;
  last_zxid = -1;
  last_response_ms = 0;
}

bool is_static_word(const std::string& word) { return word == "ruok" || word == "isro" || word == "envi"; }

bool resets_stats(const std::string& word) { return word == "crst" || word == "srst"; }

bool needs_listings(const std::string& word) { return word == "wchc" || word == "wchp" || word == "dump"; }

std::string not_whitelisted(const std::string& word) {
  return word + " is not executed because it is not in the whitelist.\n";
}

std::string op_mnemonic(int32_t opcode) {
  namespace op = zk::op;
  switch (opcode) {
    case op::create:
    case op::create2:
    case op::create_container:
    case op::create_ttl: return "CREA";
    case op::remove: return "DELE";
    case op::exists: return "EXIS";
    case op::get_data: return "GETD";
    case op::set_data: return "SETD";
    case op::get_acl: return "GETA";
    case op::set_acl: return "SETA";
    case op::get_children:
    case op::get_children2: return "GETC";
    case op::sync: return "SYNC";
    case op::ping: return "PING";
    case op::multi: return "MULT";
    case op::multi_read: return "MLTR";
    case op::close_session: return "CLOS";
    case op::set_watches:
    case op::set_watches2: return "SETW";
    case op::add_watch: return "ADDW";
    case op::check_watches: return "CHKW";
    case op::remove_watches: return "REMW";
    case op::who_am_i: return "HOMI";
    case op::auth: return "AUTH";
    case op::get_ephemerals: return "GETE";
    case op::get_all_children_number: return "GACN";
    default: return "NA";
  }
}

namespace {

std::string hex(int64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// Java's Double.toString for the small positive values latency averages take.
std::string java_double(double value) {
  std::ostringstream out;
  out.precision(4);
  out << std::fixed << value;
  std::string text = out.str();
  while (text.back() == '0' && text[text.size() - 2] != '.') text.pop_back();
  return text;
}

struct server_totals {
  uint64_t received = 0;
  uint64_t sent = 0;
  latency_stats latency;
};

server_totals totals(const server_view& v) {
  server_totals t{v.retired.received, v.retired.sent, v.retired.latency};
  for (const auto& c : v.clients) {
    t.received += c.received;
    t.sent += c.sent;
    t.latency.merge(c.latency);
  }
  return t;
}

void server_lines(std::ostringstream& out, const server_view& v) {
  auto t = totals(v);
  out << "Latency min/avg/max: " << t.latency.min_ms << "/" << java_double(t.latency.average()) << "/"
      << t.latency.max_ms << "\n"
      << "Received: " << t.received << "\n"
      << "Sent: " << t.sent << "\n"
      << "Connections: " << v.clients.size() << "\n"
      << "Outstanding: " << v.outstanding << "\n"
      << "Zxid: " << hex(v.last_zxid) << "\n"
      << "Mode: standalone\n"
      << "Node count: " << v.node_count + 1 << "\n";
}

void client_line(std::ostringstream& out, const connection_view& c, bool full) {
  out << " /" << c.peer << "[1](queued=" << c.queued << ",recved=" << c.received << ",sent=" << c.sent;
  if (full && c.session != 0) {
    out << ",sid=" << hex(c.session) << ",lop=" << c.last_op << ",est=" << c.established_ms << ",to=" << c.timeout_ms;
    if (c.last_xid >= 0) out << ",lcxid=" << hex(c.last_xid);
    out << ",lzxid=" << hex(c.last_zxid) << ",lresp=" << c.last_response_ms << ",llat=0,minlat=" << c.latency.min_ms
        << ",avglat=" << static_cast<int64_t>(c.latency.average()) << ",maxlat=" << c.latency.max_ms;
  }
  out << ")\n";
}

std::string session_hex(const server_view& v, uint64_t connection) {
  auto found = v.session_of_connection.find(connection);
  return hex(found == v.session_of_connection.end() ? 0 : found->second);
}

void environment(std::ostringstream& out, const server_config& config) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  utsname system{};
  uname(&system);
  std::error_code ec;
  const char* user = getenv("USER");
  const char* home = getenv("HOME");
  out << "Environment:\nzookeeper.version=" << version_string << "\nhost.name=" << host
      << "\nos.name=" << system.sysname << "\nos.arch=" << system.machine << "\nos.version=" << system.release
      << "\nuser.name=" << (user ? user : "") << "\nuser.home=" << (home ? home : "")
      << "\nuser.dir=" << std::filesystem::current_path(ec).string() << "\nrookery.data_dir=" << config.data_dir
      << "\n";
}

}  // namespace

std::string render(const std::string& word, const server_view& v, const server_config& config) {
  std::ostringstream out;
  if (word == "ruok") return "imok";
  if (word == "isro") return "rw";
  if (word == "crst") return "Connection stats reset.\n";
  if (word == "srst") return "Server stats reset.\n";
  if (word == "envi") {
    environment(out, config);
  } else if (word == "srvr") {
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
        << "\ndataDirSize=" << v.data_dir_bytes << "\ndataLogDir=" << config.log_dir()
        << "\ndataLogSize=" << v.log_dir_bytes << "\ntickTime=" << config.tick_time_ms
        << "\nmaxClientCnxns=" << config.max_connections_per_address
        << "\nminSessionTimeout=" << config.effective_min_session_timeout()
        << "\nmaxSessionTimeout=" << config.effective_max_session_timeout()
        << "\nclientPortListenBacklog=-1\nserverId=0\n";
  } else if (word == "mntr") {
    auto t = totals(v);
    out << "zk_version\t" << version_string << "\nzk_server_state\tstandalone\n"
        << "zk_avg_latency\t" << java_double(t.latency.average()) << "\nzk_max_latency\t" << t.latency.max_ms
        << "\nzk_min_latency\t" << t.latency.min_ms << "\nzk_packets_received\t" << t.received
        << "\nzk_packets_sent\t" << t.sent << "\nzk_num_alive_connections\t" << v.clients.size()
        << "\nzk_outstanding_requests\t" << v.outstanding << "\nzk_znode_count\t" << v.node_count + 1
        << "\nzk_watch_count\t" << v.total_watches << "\nzk_ephemerals_count\t" << v.ephemerals
        << "\nzk_approximate_data_size\t" << v.data_bytes << "\nzk_open_file_descriptor_count\t" << v.open_fds
        << "\nzk_max_file_descriptor_count\t" << v.max_fds << "\nzk_uptime\t" << v.uptime_ms
        << "\nzk_global_sessions\t" << v.sessions << "\nzk_local_sessions\t0\nzk_log_commits\t" << v.log_commits
        << "\nzk_log_records\t" << v.log_records << "\nzk_resident_memory_bytes\t" << v.resident_bytes << "\n";
  } else if (word == "wchs") {
    out << v.watch_connections << " connections watching " << v.watch_paths << " paths\nTotal watches:"
        << v.data_watches << "\n";
  } else if (word == "wchc") {
    for (const auto& [connection, paths] : v.watches_by_connection) {
      out << session_hex(v, connection) << "\n";
      for (const auto& path : paths) out << "\t" << path << "\n";
    }
    out << "\n";
  } else if (word == "wchp") {
    for (const auto& [path, connections] : v.watches_by_path) {
      out << path << "\n";
      for (auto connection : connections) out << "\t" << session_hex(v, connection) << "\n";
    }
    out << "\n";
  } else if (word == "dump") {
    out << "SessionTracker dump:\nSession Sets (" << v.expiry_buckets.size() << ")/(" << v.sessions << "):\n";
    for (const auto& [deadline, sessions] : v.expiry_buckets) {
      out << sessions.size() << " expire at " << deadline << ":\n";
      for (auto session : sessions) out << "\t" << hex(session) << "\n";
    }
    out << "ephemeral nodes dump:\nSessions with Ephemerals (" << v.ephemerals_by_session.size() << "):\n";
    for (const auto& [session, paths] : v.ephemerals_by_session) {
      out << hex(session) << ":\n";
      for (const auto& path : paths) out << "\t" << path << "\n";
    }
    out << "Connections dump:\nConnections Sets (1)/(" << v.clients.size() << ")\n";
  } else if (word == "dirs") {
    out << "datadir_size: " << v.data_dir_bytes << "\nlogdir_size: " << v.log_dir_bytes << "\n";
  }
  return out.str();
}

}  // namespace rookery::admin
