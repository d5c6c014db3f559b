// rookery-bench: a closed-loop load generator for ZooKeeper-protocol servers (Rookery or
// Apache ZooKeeper). Each session is one thread with one blocking socket that keeps
// --in-flight requests outstanding. See --help and docs/benchmarks.md.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/rookery-bench/histogram.hpp"
#include "apps/rookery-bench/proc_stats.hpp"
#include "apps/rookery-bench/zk_client.hpp"
#include "runtime/jute/jute.hpp"

namespace rb = rookery::bench;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::vector<std::string> servers{"127.0.0.1:2181"};
  int sessions = 1;
  int in_flight = 1;
  std::string workload = "get";
  int value_bytes = 100;
  int keys = 1000;
  double duration_s = 10;
  double warmup_s = 2;
  long create = 0;
  bool csv = false;
  bool json = false;
  int server_pid = 0;
  int session_timeout_ms = 30000;
  double io_timeout_s = 10;
};

enum phase : int { connecting = 0, warmup = 1, measuring = 2, stopping = 3 };

struct session_result {
  rb::histogram latency_ns;
  uint64_t ops = 0;  // replies counted (inside the measurement window in load mode)
  uint64_t gets = 0;
  uint64_t sets = 0;
  uint64_t creates = 0;
  uint64_t errors = 0;       // non-zero err among counted replies
  uint64_t errors_all = 0;   // non-zero err in any reply, warmup and drain included
  std::map<int32_t, uint64_t> error_codes;
  uint64_t bad_replies = 0;  // err 0 but a body that does not match the request
  uint64_t notifications = 0;
  std::string failure;  // connection-level failure (closed, timeout, xid out of order, ...)
};

struct shared_state {
  std::atomic<int> phase{connecting};
  std::atomic<int> ready{0};
};

std::string key_path(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/bench/key-%07d", index);
  return buf;
}

std::string create_path(long index) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "/bench/n%08ld", index);
  return buf;
}

rb::endpoint server_for(const options& o, int session) {
  return rb::parse_endpoint(o.servers[static_cast<std::size_t>(session) % o.servers.size()]);
}

std::unique_ptr<rb::zk_client> connect(const options& o, int session) {
  return std::make_unique<rb::zk_client>(server_for(o, session), std::chrono::milliseconds(o.session_timeout_ms),
                                         std::chrono::milliseconds(static_cast<long>(o.io_timeout_s * 1000)));
}

// Sends closeSession and waits for its reply, so servers do not keep idle sessions around.
void close_session(rb::zk_client& c) {
  c.queue_close_session();
  c.flush();
  c.read_reply();
}

// Tracks when each outstanding request went out. xids are consecutive and at most `slots`
// are outstanding, so xid % slots is a unique slot.
class send_times {
 public:
  explicit send_times(int slots) : times_(static_cast<std::size_t>(slots)) {}
  // Flushes the client and stamps every xid queued since the last flush.
  void flush(rb::zk_client& c, int32_t next_xid) {
    if (!c.has_unsent()) return;
    c.flush();
    auto now = clock_type::now();
    for (; stamped_ < next_xid; ++stamped_) at(stamped_) = now;
  }
  clock_type::time_point& at(int32_t xid) { return times_[static_cast<std::size_t>(xid) % times_.size()]; }

 private:
  std::vector<clock_type::time_point> times_;
  int32_t stamped_ = 1;
};

// Creates /bench, then (in load mode) the key nodes, pipelined. NODEEXISTS is fine: a second
// run against the same server reuses them. Anything else aborts the run.
void setup(const options& o, bool with_keys) {
  auto c = connect(o, 0);
  std::string value(static_cast<std::size_t>(o.value_bytes), 'v');
  c->queue_create("/bench", "");
  c->flush();
  auto r = c->read_reply();
  if (r.err != rb::err::ok && r.err != rb::err::node_exists)
    throw rb::client_error("create /bench failed with err " + std::to_string(r.err));
  // Runs one request per key, pipelined; returns how many came back NODEEXISTS.
  auto for_all_keys = [&](bool create) {
    constexpr int window = 256;
    int next = 0, done = 0, existing = 0;
    while (done < o.keys) {
      while (next < o.keys && c->outstanding() < window) {
        if (create) c->queue_create(key_path(next++), value);
        else c->queue_set_data(key_path(next++), value);
      }
      c->flush();
      do {
        r = c->read_reply();
        ++done;
        if (r.err == rb::err::node_exists && create) ++existing;
        else if (r.err != rb::err::ok)
          throw rb::client_error(std::string(create ? "creating" : "setting") + " key nodes failed with err " +
                                 std::to_string(r.err));
      } while (c->reply_buffered());
    }
    return existing;
  };
  // Keys left by an earlier run may hold values of another size: reset them all.
  if (with_keys && for_all_keys(true) > 0) for_all_keys(false);
  close_session(*c);
}

// Checks the body of a successful reply: getData carries the value (all values are
// value_bytes long) and a 68-byte Stat, setData a Stat, create the created path.
bool reply_body_ok(const rb::reply& r, int32_t opcode, int value_bytes, std::size_t path_size) {
  constexpr std::size_t stat_size = 68;
  if (r.err != 0) return true;
  switch (opcode) {
    case rb::op::get_data:
      return r.body.size() == 4 + static_cast<std::size_t>(value_bytes) + stat_size &&
             rookery::jute::get_int(r.body.data()) == value_bytes;
    case rb::op::set_data:
      return r.body.size() == stat_size;
    case rb::op::create:
      return r.body.size() == 4 + path_size && rookery::jute::get_int(r.body.data()) == static_cast<int32_t>(path_size);
    default:
      return true;
  }
}

void record_reply(session_result& res, const rb::reply& r, bool counted, clock_type::duration latency) {
  if (r.err != 0) {
    ++res.errors_all;
    ++res.error_codes[r.err];
  }
  if (!counted) return;
  ++res.ops;
  if (r.err != 0) ++res.errors;
  res.latency_ns.record(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count()));
}

void wait_for_start(shared_state& shared) {
  shared.ready.fetch_add(1);
  while (shared.phase.load() == connecting) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Connects, then waits until every session is connected; nullptr (failure recorded) if
// the connect fails.
std::unique_ptr<rb::zk_client> connect_and_wait(const options& o, int index, shared_state& shared,
                                                session_result& res) {
  std::unique_ptr<rb::zk_client> c;
  try {
    c = connect(o, index);
  } catch (const std::exception& e) {
    res.failure = std::string("connect: ") + e.what();
    shared.ready.fetch_add(1);
    return nullptr;
  }
  wait_for_start(shared);
  return c;
}

void load_session(const options& o, int index, const std::vector<std::string>& keys, shared_state& shared,
                  session_result& res) {
  auto c = connect_and_wait(o, index, shared, res);
  if (!c) return;
  try {
    std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(index));
    std::uniform_int_distribution<int> pick_key(0, static_cast<int>(keys.size()) - 1);
    std::uniform_int_distribution<int> pick_pct(0, 99);
    std::string value(static_cast<std::size_t>(o.value_bytes), 'v');
    const bool mixed = o.workload == "mix90";
    const bool all_sets = o.workload == "set";
    std::vector<char> is_set(static_cast<std::size_t>(o.in_flight), 0);
    send_times sent(o.in_flight);
    int32_t next_xid = 1;

    auto issue = [&] {
      const std::string& path = keys[static_cast<std::size_t>(pick_key(rng))];
      bool set = all_sets || (mixed && pick_pct(rng) < 10);
      next_xid = set ? c->queue_set_data(path, value) : c->queue_get_data(path);
      is_set[static_cast<std::size_t>(next_xid) % is_set.size()] = set;
      ++next_xid;
    };

    for (int i = 0; i < o.in_flight; ++i) issue();
    sent.flush(*c, next_xid);
    while (c->outstanding() > 0) {
      rb::reply r = c->read_reply();
      auto now = clock_type::now();
      int ph = shared.phase.load(std::memory_order_relaxed);
      bool counted = ph == measuring;
      record_reply(res, r, counted, now - sent.at(r.xid));
      bool was_set = is_set[static_cast<std::size_t>(r.xid) % is_set.size()];
      if (counted) ++(was_set ? res.sets : res.gets);
      if (!reply_body_ok(r, was_set ? rb::op::set_data : rb::op::get_data, o.value_bytes, 0)) ++res.bad_replies;
      if (ph != stopping) issue();
      if (!c->reply_buffered()) sent.flush(*c, next_xid);
    }
    res.notifications = c->notifications();
    close_session(*c);
  } catch (const std::exception& e) {
    res.failure = e.what();
  }
}

void create_session(const options& o, int index, long first, long last, shared_state& shared, session_result& res) {
  auto c = connect_and_wait(o, index, shared, res);
  if (!c) return;
  try {
    std::string value(static_cast<std::size_t>(o.value_bytes), 'v');
    send_times sent(o.in_flight);
    int32_t next_xid = 1;
    long next = first;
    auto fill = [&] {
      while (next < last && c->outstanding() < o.in_flight) next_xid = c->queue_create(create_path(next++), value) + 1;
    };
    fill();
    sent.flush(*c, next_xid);
    while (c->outstanding() > 0) {
      rb::reply r = c->read_reply();
      record_reply(res, r, true, clock_type::now() - sent.at(r.xid));
      ++res.creates;
      if (!reply_body_ok(r, rb::op::create, o.value_bytes, create_path(0).size())) ++res.bad_replies;
      fill();
      if (!c->reply_buffered()) sent.flush(*c, next_xid);
    }
    res.notifications = c->notifications();
    close_session(*c);
  } catch (const std::exception& e) {
    res.failure = e.what();
  }
}

struct summary {
  std::string mode;
  double seconds = 0;
  session_result total;
  std::vector<std::string> failures;
  std::optional<double> server_cpu_s;
  double client_cpu_s = 0;
};

std::string fmt(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string error_codes_text(const std::map<int32_t, uint64_t>& codes) {
  std::string out;
  for (const auto& [code, n] : codes) {
    if (!out.empty()) out += ' ';
    out += std::to_string(code) + "x" + std::to_string(n);
  }
  return out;
}

void print(const options& o, const summary& s) {
  const auto& t = s.total;
  double ops_per_s = s.seconds > 0 ? static_cast<double>(t.ops) / s.seconds : 0;
  auto us = [&](double q) { return fmt(static_cast<double>(t.latency_ns.percentile(q)) / 1000.0); };
  auto per_op_us = [&](std::optional<double> cpu) -> std::string {
    if (!cpu || t.ops == 0) return "";
    return fmt(*cpu * 1e6 / static_cast<double>(t.ops), 2);
  };
  std::string server_cpu = s.server_cpu_s ? fmt(*s.server_cpu_s, 2) : "";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"mode", s.mode},
      {"sessions", std::to_string(o.sessions)},
      {"in_flight", std::to_string(o.in_flight)},
      {"value_bytes", std::to_string(o.value_bytes)},
      {"keys", o.create > 0 ? std::to_string(o.create) : std::to_string(o.keys)},
      {"seconds", fmt(s.seconds, 3)},
      {"ops", std::to_string(t.ops)},
      {"ops_per_s", fmt(ops_per_s)},
      {"gets", std::to_string(t.gets)},
      {"sets", std::to_string(t.sets)},
      {"creates", std::to_string(t.creates)},
      {"errors", std::to_string(t.errors)},
      {"errors_all", std::to_string(t.errors_all)},
      {"error_codes", error_codes_text(t.error_codes)},
      {"bad_replies", std::to_string(t.bad_replies)},
      {"failed_sessions", std::to_string(s.failures.size())},
      {"p50_us", us(0.50)},
      {"p99_us", us(0.99)},
      {"p999_us", us(0.999)},
      {"max_us", fmt(static_cast<double>(t.latency_ns.max()) / 1000.0)},
      {"mean_us", fmt(t.latency_ns.mean() / 1000.0)},
      {"server_cpu_s", server_cpu},
      {"server_cpu_us_per_op", per_op_us(s.server_cpu_s)},
      {"client_cpu_s", fmt(s.client_cpu_s, 2)},
      {"client_cpu_us_per_op", per_op_us(s.client_cpu_s)},
  };
  static const std::vector<std::string> text_fields = {"mode", "error_codes"};
  if (o.csv) {
    for (std::size_t i = 0; i < fields.size(); ++i) std::cout << (i ? "," : "") << fields[i].first;
    std::cout << "\n";
    for (std::size_t i = 0; i < fields.size(); ++i) std::cout << (i ? "," : "") << fields[i].second;
    std::cout << "\n";
  } else if (o.json) {
    std::cout << "{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& [k, v] = fields[i];
      bool text = std::find(text_fields.begin(), text_fields.end(), k) != text_fields.end();
      std::cout << (i ? ", " : "") << '"' << k << "\": ";
      if (text) std::cout << '"' << v << '"';
      else std::cout << (v.empty() ? "null" : v);
    }
    std::cout << "}\n";
  } else {
    std::cout << s.mode << ": " << o.sessions << " sessions x " << o.in_flight << " in flight, " << o.value_bytes
              << "-byte values, " << fields[4].second << " keys, " << fmt(s.seconds, 2) << " s\n"
              << "  throughput  " << fmt(ops_per_s) << " ops/s (" << t.ops << " ops";
    if (t.gets || t.sets) std::cout << ": " << t.gets << " get, " << t.sets << " set";
    std::cout << ")\n"
              << "  latency us  p50 " << us(0.5) << "  p99 " << us(0.99) << "  p999 " << us(0.999) << "  max "
              << fmt(static_cast<double>(t.latency_ns.max()) / 1000.0) << "  mean "
              << fmt(t.latency_ns.mean() / 1000.0) << "\n"
              << "  errors      " << t.errors << " (all replies incl. warmup: " << t.errors_all << ")"
              << (t.error_codes.empty() ? "" : "  codes " + error_codes_text(t.error_codes)) << "\n";
    if (s.server_cpu_s)
      std::cout << "  server cpu  " << server_cpu << " s, " << per_op_us(s.server_cpu_s) << " us/op\n";
    std::cout << "  client cpu  " << fmt(s.client_cpu_s, 2) << " s, " << per_op_us(s.client_cpu_s) << " us/op\n";
    if (t.bad_replies) std::cout << "  BAD REPLIES " << t.bad_replies << " (body does not match the request)\n";
    if (!s.failures.empty()) std::cout << "  FAILED SESSIONS " << s.failures.size() << "\n";
  }
}

void sleep_seconds(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rookery-bench: closed-loop load generator for ZooKeeper-protocol servers"};
  options o;
  std::string servers = "127.0.0.1:2181";
  app.add_option("--servers", servers, "host:port[,host:port...]; sessions are spread round-robin")
      ->capture_default_str();
  app.add_option("--sessions", o.sessions, "concurrent sessions (one thread each)")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--in-flight", o.in_flight, "requests outstanding per session")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--workload", o.workload, "set | get | mix90 (90% getData, 10% setData)")
      ->check(CLI::IsMember({"set", "get", "mix90"}))->capture_default_str();
  app.add_option("--value-bytes", o.value_bytes, "znode value size")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  app.add_option("--keys", o.keys, "distinct znodes the load touches (/bench/key-N)")
      ->check(CLI::Range(1, 10000000))->capture_default_str();
  app.add_option("--duration", o.duration_s, "measured seconds")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "unmeasured seconds of load before measuring")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--create", o.create, "create N znodes /bench/nNNNNNNNN of --value-bytes, pipelined, then exit")
      ->check(CLI::Range(0L, 100000000L));
  app.add_option("--server-pid", o.server_pid,
                 "server process id: report its CPU time (/proc/PID/stat) over the measured window");
  app.add_option("--session-timeout", o.session_timeout_ms, "requested session timeout, ms")->capture_default_str();
  app.add_option("--io-timeout", o.io_timeout_s, "fail a session after this many seconds without a reply")
      ->check(CLI::PositiveNumber)->capture_default_str();
  auto* csv = app.add_flag("--csv", o.csv, "print a CSV header and one row");
  app.add_flag("--json", o.json, "print one JSON object")->excludes(csv);
  CLI11_PARSE(app, argc, argv);

  o.servers.clear();
  std::stringstream list(servers);
  for (std::string item; std::getline(list, item, ',');)
    if (!item.empty()) o.servers.push_back(item);
  try {
    if (o.servers.empty()) throw std::invalid_argument("--servers is empty");
    for (const auto& s : o.servers) rb::parse_endpoint(s);
    setup(o, o.create == 0);
  } catch (const std::exception& e) {
    std::cerr << "rookery-bench: setup: " << e.what() << "\n";
    return 2;
  }

  std::vector<std::string> keys;
  for (int i = 0; i < o.keys; ++i) keys.push_back(key_path(i));
  shared_state shared;
  std::vector<session_result> results(static_cast<std::size_t>(o.sessions));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.sessions; ++i) {
    auto& res = results[static_cast<std::size_t>(i)];
    if (o.create > 0) {
      long first = o.create * i / o.sessions, last = o.create * (i + 1) / o.sessions;
      threads.emplace_back([&, i, first, last] { create_session(o, i, first, last, shared, res); });
    } else {
      threads.emplace_back([&, i] { load_session(o, i, keys, shared, res); });
    }
  }
  while (shared.ready.load() < o.sessions) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  auto server_cpu = [&]() -> std::optional<double> {
    if (o.server_pid <= 0) return std::nullopt;
    return rb::process_cpu_seconds(static_cast<pid_t>(o.server_pid));
  };
  summary s;
  s.mode = o.create > 0 ? "create" : o.workload;
  std::optional<double> cpu_before, cpu_after;
  double self_before = 0, self_after = 0;
  clock_type::time_point start, end;
  if (o.create > 0) {
    cpu_before = server_cpu();
    self_before = rb::self_cpu_seconds();
    start = clock_type::now();
    shared.phase = measuring;
    for (auto& t : threads) t.join();
    end = clock_type::now();
    cpu_after = server_cpu();
    self_after = rb::self_cpu_seconds();
  } else {
    shared.phase = warmup;
    sleep_seconds(o.warmup_s);
    cpu_before = server_cpu();
    self_before = rb::self_cpu_seconds();
    start = clock_type::now();
    shared.phase = measuring;
    sleep_seconds(o.duration_s);
    shared.phase = stopping;
    end = clock_type::now();
    cpu_after = server_cpu();
    self_after = rb::self_cpu_seconds();
    for (auto& t : threads) t.join();
  }
  s.seconds = std::chrono::duration<double>(end - start).count();
  if (cpu_before && cpu_after) s.server_cpu_s = *cpu_after - *cpu_before;
  s.client_cpu_s = self_after - self_before;

  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    s.total.latency_ns.merge(r.latency_ns);
    s.total.ops += r.ops;
    s.total.gets += r.gets;
    s.total.sets += r.sets;
    s.total.creates += r.creates;
    s.total.errors += r.errors;
    s.total.errors_all += r.errors_all;
    s.total.notifications += r.notifications;
    s.total.bad_replies += r.bad_replies;
    for (const auto& [code, n] : r.error_codes) s.total.error_codes[code] += n;
    if (!r.failure.empty()) {
      s.failures.push_back(r.failure);
      std::cerr << "rookery-bench: session " << i << " failed: " << r.failure << "\n";
    }
  }
  if (o.server_pid > 0 && !s.server_cpu_s)
    std::cerr << "rookery-bench: could not read /proc/" << o.server_pid << "/stat\n";
  if (s.total.notifications > 0)
    std::cerr << "rookery-bench: " << s.total.notifications << " unexpected watch notifications\n";
  print(o, s);
  return (s.failures.empty() && s.total.errors_all == 0 && s.total.bad_replies == 0) ? 0 : 1;
}
