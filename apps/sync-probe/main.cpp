// Times one durable commit of a 200-byte record on the disk holding --dir, three ways:
//   append-only: pwrite into a preallocated file, then fdatasync (how ZooKeeper's log commits);
//   rookery log: txn_journal::append, what rookeryd's log store does per batch;
//   lmdb commit: one LMDB write transaction (what the log cost when it was kept in LMDB).
// A single-session write waits for exactly one log commit, so these explain the set-1x1
// rows of docs/benchmarks.md on the machine at hand.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cinttypes>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>

#include "apps/rookery-bench/histogram.hpp"
#include "storage/lmdb_env.hpp"
#include "storage/txn_journal.hpp"

namespace {

constexpr std::size_t record_bytes = 200;

void report(const char* what, const rookery::bench::histogram& nanos) {
  auto us = [&](double q) { return static_cast<double>(nanos.percentile(q)) / 1000.0; };
  std::printf("%-12s p50 %6.0f us  p90 %6.0f us  p99 %6.0f us  (%" PRIu64 " commits)\n", what, us(0.5), us(0.9),
              us(0.99), nanos.count());
}

rookery::bench::histogram timed(int samples, const std::function<void(int)>& commit) {
  rookery::bench::histogram nanos;
  for (int i = 0; i < samples; ++i) {
    auto start = std::chrono::steady_clock::now();
    commit(i);
    nanos.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count()));
  }
  return nanos;
}

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

rookery::bench::histogram append_only(const std::filesystem::path& file, int samples) {
  int fd = ::open(file.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) fail("open " + file.string());
  if (int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(samples) * record_bytes); rc != 0) {
    errno = rc;
    fail("posix_fallocate");
  }
  if (::fsync(fd) != 0) fail("fsync");
  const std::string record(record_bytes, 'r');
  auto nanos = timed(samples, [&](int i) {
    if (::pwrite(fd, record.data(), record.size(), static_cast<off_t>(i) * record_bytes) < 0) fail("pwrite");
    if (::fdatasync(fd) != 0) fail("fdatasync");
  });
  ::close(fd);
  return nanos;
}

rookery::bench::histogram rookery_log(const std::filesystem::path& directory, int samples) {
  rookery::storage::txn_journal journal({directory.string()});
  const std::string record(record_bytes, 'r');
  return timed(samples, [&](int i) { journal.append({{int64_t{i} + 1, record}}); });
}

rookery::bench::histogram lmdb_commit(const std::filesystem::path& directory, int samples) {
  rookery::storage::lmdb_options options;
  options.directory = directory.string();
  rookery::storage::lmdb_env env(options);
  const std::string record(record_bytes, 'r');
  char key[8];
  return timed(samples, [&](int i) {
    rookery::storage::put_be64(key, static_cast<uint64_t>(i));
    env.write([&](rookery::storage::txn& t) { t.put(rookery::storage::db::meta, std::string_view(key, 8), record); });
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rookery-sync-probe: the cost of one durable commit on the disk holding --dir"};
  std::string dir;
  int samples = 400;
  app.add_option("--dir", dir, "a directory on the disk to measure; the probe works in a new folder inside it")
      ->required();
  app.add_option("--samples", samples, "commits timed per method")->check(CLI::Range(10, 1000000));
  CLI11_PARSE(app, argc, argv);

  const auto work = std::filesystem::path(dir) / ("rookery-sync-probe." + std::to_string(::getpid()));
  try {
    std::filesystem::create_directories(work / "lmdb");
    report("append-only", append_only(work / "plain", samples));
    report("rookery log", rookery_log(work / "log", samples));
    report("lmdb commit", lmdb_commit(work / "lmdb", samples));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rookery-sync-probe: %s\n", e.what());
    std::filesystem::remove_all(work);
    return 1;
  }
  std::filesystem::remove_all(work);
  return 0;
}
