#include "storage/lmdb_env.hpp"
#include "storage/log_store.hpp"
#include "storage/snapshot_image.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace rookery::storage;
namespace fs = std::filesystem;

namespace {

constexpr int64_t MiB = int64_t{1} << 20;

// A fresh directory per test, removed afterwards; the environment lives in a
// subdirectory so the test also covers lmdb_env creating it.
struct temp_dir {
  fs::path root;
  temp_dir() {
    std::string tmpl = "/tmp/rookery-storage-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  lmdb_options opts(int64_t initial = 64 * MiB, int64_t max = int64_t{16} << 30) const {
    return lmdb_options{(root / "data").string(), initial, max};
  }
};

std::vector<std::pair<int64_t, std::string>> read_log(const log_store& log, int64_t after = 0) {
  std::vector<std::pair<int64_t, std::string>> out;
  log.for_each_after(after, [&](int64_t z, std::string_view b) { out.emplace_back(z, std::string(b)); });
  return out;
}

std::map<std::string, std::string> read_nodes(const snapshot_image& img) {
  std::map<std::string, std::string> out;
  img.for_each_node([&](std::string_view p, std::string_view r) {
    bool fresh = out.emplace(std::string(p), std::string(r)).second;
    CHECK(fresh);
  });
  return out;
}

std::map<int64_t, std::string> read_sessions(const snapshot_image& img) {
  std::map<int64_t, std::string> out;
  img.for_each_session([&](int64_t id, std::string_view r) { out.emplace(id, std::string(r)); });
  return out;
}

std::string blob(std::size_t n, int seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed) * 7) & 0xff);
  return s;
}

void append_range(log_store& log, int64_t from, int64_t to, const std::string& prefix = "txn-") {
  std::vector<std::string> bytes;
  for (int64_t z = from; z <= to; ++z) bytes.push_back(prefix + std::to_string(z));
  std::vector<log_record> batch;
  for (int64_t z = from; z <= to; ++z) batch.push_back({z, bytes[static_cast<std::size_t>(z - from)]});
  log.append(batch);
}

}  // namespace

TEST_CASE("log entries survive a reopen", "[log_store]") {
  temp_dir dir;
  const int64_t epoch = int64_t{3} << 32;
  std::string big = blob(MiB, 1);  // values may be ~1 MiB
  {
    lmdb_env env(dir.opts());
    log_store log(env);
    CHECK(log.last_zxid() == 0);
    CHECK(log.size() == 0);
    log.append({{epoch | 1, "one"}, {epoch | 2, big}, {epoch | 3, std::string_view("\0x\0", 3)}});
    log.append({{epoch | 4, ""}});
    CHECK(log.size() == 4);
    CHECK(log.last_zxid() == (epoch | 4));
  }
  lmdb_env env(dir.opts());
  log_store log(env);
  CHECK(log.last_zxid() == (epoch | 4));
  REQUIRE(log.size() == 4);
  auto all = read_log(log);
  REQUIRE(all.size() == 4);
  CHECK(all[0] == std::make_pair(epoch | 1, std::string("one")));
  CHECK(all[1].first == (epoch | 2));
  CHECK(all[1].second == big);
  CHECK(all[2].second == std::string("\0x\0", 3));
  CHECK(all[3] == std::make_pair(epoch | 4, std::string()));
}

TEST_CASE("append rejects zxids out of order and writes nothing", "[log_store]") {
  temp_dir dir;
  lmdb_env env(dir.opts());
  log_store log(env);
  append_range(log, 10, 12);

  CHECK_THROWS_AS(log.append({{12, "dup of last"}}), std::invalid_argument);
  CHECK_THROWS_AS(log.append({{5, "behind"}}), std::invalid_argument);
  CHECK_THROWS_AS(log.append({{13, "a"}, {15, "b"}, {14, "c"}}), std::invalid_argument);
  CHECK_THROWS_AS(log.append({{13, "a"}, {13, "b"}}), std::invalid_argument);
  CHECK(log.size() == 3);
  CHECK(log.last_zxid() == 12);

  log.append({});  // empty batch: no-op
  CHECK(log.size() == 3);

  temp_dir fresh;
  lmdb_env env2(fresh.opts());
  log_store log2(env2);
  CHECK_THROWS_AS(log2.append({{0, "zero"}}), std::invalid_argument);
  CHECK_THROWS_AS(log2.append({{-1, "negative"}}), std::invalid_argument);
  CHECK(log2.size() == 0);
  CHECK(log2.last_zxid() == 0);

  log.append({{13, "ok"}, {20, "gap is fine"}});
  CHECK(log.last_zxid() == 20);
  CHECK(log.size() == 5);
}

TEST_CASE("for_each_after yields later entries in ascending order", "[log_store]") {
  temp_dir dir;
  lmdb_env env(dir.opts());
  log_store log(env);
  // Zxids spanning an epoch boundary and several pages of the B-tree.
  std::vector<int64_t> zxids;
  for (int64_t c = 1; c <= 300; ++c) zxids.push_back((int64_t{1} << 32) | c);
  for (int64_t c = 1; c <= 300; ++c) zxids.push_back((int64_t{2} << 32) | c);
  std::vector<std::string> bytes;
  for (auto z : zxids) bytes.push_back("v" + std::to_string(z));
  std::vector<log_record> batch;
  for (std::size_t i = 0; i < zxids.size(); ++i) batch.push_back({zxids[i], bytes[i]});
  log.append(batch);

  auto all = read_log(log);
  REQUIRE(all.size() == zxids.size());
  for (std::size_t i = 0; i < zxids.size(); ++i) {
    REQUIRE(all[i].first == zxids[i]);
    REQUIRE(all[i].second == bytes[i]);
  }

  CHECK(read_log(log, -5).size() == 600);
  CHECK(read_log(log, zxids.back()).empty());
  CHECK(read_log(log, std::numeric_limits<int64_t>::max()).empty());

  auto tail = read_log(log, zxids[299]);  // last of epoch 1
  REQUIRE(tail.size() == 300);
  CHECK(tail.front().first == ((int64_t{2} << 32) | 1));

  // A zxid between two stored ones starts at the next stored one.
  auto mid = read_log(log, (int64_t{1} << 32) | 1000);
  REQUIRE(mid.size() == 300);
  CHECK(mid.front().first == ((int64_t{2} << 32) | 1));

  auto from_exact = read_log(log, zxids[9]);
  REQUIRE(from_exact.size() == 590);
  CHECK(from_exact.front().first == zxids[10]);
}

TEST_CASE("snapshot image survives a reopen", "[snapshot_image]") {
  temp_dir dir;
  const std::string long_path = "/" + std::string(600, 'x');
  const std::string long_path2 = "/" + std::string(600, 'x') + "/child";
  const std::string very_long_path = "/" + std::string(5000, 'y');
  {
    lmdb_env env(dir.opts());
    snapshot_image img(env);
    CHECK(img.zxid() == 0);
    CHECK(img.node_count() == 0);

    image_batch b1;
    b1.zxid = 7;
    b1.upserted_nodes = {{"/", "root"},
                         {"/a", "A1"},
                         {"/a/b", ""},
                         {"/gone", "soon"},
                         {long_path, "L1"},
                         {long_path2, "L2"},
                         {very_long_path, blob(100000, 3)}};
    b1.upserted_sessions = {{0x0100000000000001, "s1"}, {-42, "negative id"}, {77, "doomed"}};
    img.write(b1);
    CHECK(img.zxid() == 7);
    CHECK(img.node_count() == 7);

    image_batch b2;
    b2.zxid = 9;
    b2.upserted_nodes = {{"/a", "A2"}, {long_path, "L1 changed"}};
    b2.erased_nodes = {"/gone", long_path2, "/never-existed", "/" + std::string(700, 'z')};
    b2.upserted_sessions = {{-42, "negative id v2"}};
    b2.erased_sessions = {77, 12345};
    img.write(b2);
  }

  lmdb_env env(dir.opts());
  snapshot_image img(env);
  CHECK(img.zxid() == 9);
  auto nodes = read_nodes(img);
  std::map<std::string, std::string> expected{{"/", "root"},
                                              {"/a", "A2"},
                                              {"/a/b", ""},
                                              {long_path, "L1 changed"},
                                              {very_long_path, blob(100000, 3)}};
  CHECK(nodes == expected);
  CHECK(img.node_count() == expected.size());
  auto sessions = read_sessions(img);
  std::map<int64_t, std::string> expected_sessions{{0x0100000000000001, "s1"}, {-42, "negative id v2"}};
  CHECK(sessions == expected_sessions);
  CHECK(img.session_count() == 2);

  image_batch back;
  back.zxid = 8;
  CHECK_THROWS_AS(img.write(back), std::invalid_argument);
  CHECK(img.zxid() == 9);
}

TEST_CASE("image write drops the log entries it covers", "[snapshot_image][log_store]") {
  temp_dir dir;
  {
    lmdb_env env(dir.opts());
    log_store log(env);
    snapshot_image img(env);
    append_range(log, 1, 10);

    image_batch b;
    b.zxid = 6;
    b.upserted_nodes = {{"/n", "at 6"}};
    img.write(b);

    CHECK(log.size() == 4);
    auto rest = read_log(log);
    REQUIRE(rest.size() == 4);
    CHECK(rest.front().first == 7);
    CHECK(rest.back().first == 10);
    CHECK(log.last_zxid() == 10);
  }
  lmdb_env env(dir.opts());
  log_store log(env);
  snapshot_image img(env);
  CHECK(img.zxid() == 6);
  CHECK(log.size() == 4);
  CHECK(read_log(log).front().first == 7);
}

TEST_CASE("last_zxid survives truncating the log to empty", "[log_store][snapshot_image]") {
  temp_dir dir;
  {
    lmdb_env env(dir.opts());
    log_store log(env);
    snapshot_image img(env);
    append_range(log, 1, 5);
    img.write(image_batch{5, {{"/x", "x"}}, {}, {}, {}});
    CHECK(log.size() == 0);
    CHECK(log.last_zxid() == 5);
  }
  lmdb_env env(dir.opts());
  log_store log(env);
  snapshot_image img(env);
  CHECK(log.size() == 0);
  CHECK(log.last_zxid() == 5);
  CHECK_THROWS_AS(log.append({{5, "again"}}), std::invalid_argument);
  CHECK_THROWS_AS(log.append({{3, "older"}}), std::invalid_argument);
  log.append({{6, "six"}});
  CHECK(log.last_zxid() == 6);
  CHECK(read_log(log) == std::vector<std::pair<int64_t, std::string>>{{6, "six"}});

  // An image ahead of the log (a SNAP from the leader) moves the log's end.
  img.write(image_batch{100, {}, {}, {}, {}});
  CHECK(log.size() == 0);
  CHECK(log.last_zxid() == 100);
  CHECK_THROWS_AS(log.append({{50, "covered"}}), std::invalid_argument);
}

TEST_CASE("the map grows from a tiny initial size", "[lmdb_env]") {
  temp_dir dir;
  const int n = 12;
  {
    lmdb_env env(dir.opts(MiB, 64 * MiB));
    CHECK(env.map_size() == MiB);
    log_store log(env);
    snapshot_image img(env);
    for (int i = 0; i < n; ++i) {
      std::string v = blob(512 * 1024, i);
      log.append({{i + 1, v}});
    }
    // A single batch bigger than the current map, so one write must grow
    // (possibly several times) and retry.
    std::vector<std::string> values;
    for (int i = 0; i < 8; ++i) values.push_back(blob(700 * 1024, 100 + i));
    std::vector<log_record> batch;
    for (int i = 0; i < 8; ++i) batch.push_back({n + 1 + i, values[static_cast<std::size_t>(i)]});
    log.append(batch);
    CHECK(env.map_size() > 8 * MiB);
    CHECK(env.map_size() <= 64 * MiB);

    image_batch b;
    b.zxid = 3;
    for (int i = 0; i < 10; ++i) b.upserted_nodes.emplace_back("/big" + std::to_string(i), blob(400 * 1024, 200 + i));
    img.write(b);
  }
  // Reopening with the tiny initial size adopts the grown file.
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  CHECK(env.map_size() > 8 * MiB);
  log_store log(env);
  snapshot_image img(env);
  auto all = read_log(log);
  REQUIRE(all.size() == static_cast<std::size_t>(n + 8 - 3));
  for (const auto& [z, v] : all) {
    if (z <= n)
      REQUIRE(v == blob(512 * 1024, static_cast<int>(z - 1)));
    else
      REQUIRE(v == blob(700 * 1024, static_cast<int>(100 + z - n - 1)));
  }
  auto nodes = read_nodes(img);
  REQUIRE(nodes.size() == 10);
  CHECK(nodes["/big7"] == blob(400 * 1024, 207));
}

TEST_CASE("map_full at the maximum keeps earlier data and allows smaller writes", "[lmdb_env]") {
  temp_dir dir;
  const int64_t max = 4 * MiB;
  const std::size_t chunk = 256 * 1024;
  std::vector<std::string> stored;
  {
    lmdb_env env(dir.opts(MiB, max));
    log_store log(env);
    snapshot_image img(env);
    for (int i = 0; i < 6; ++i) {
      stored.push_back(blob(chunk, i));
      log.append({{static_cast<int64_t>(stored.size()), stored.back()}});
    }

    // 3 MiB on top of 1.5 MiB cannot fit in 4 MiB.
    std::vector<std::string> values;
    for (int i = 0; i < 12; ++i) values.push_back(blob(chunk, 50 + i));
    std::vector<log_record> batch;
    for (int i = 0; i < 12; ++i) batch.push_back({100 + i, values[static_cast<std::size_t>(i)]});
    bool threw = false;
    try {
      log.append(batch);
    } catch (const storage_error& e) {
      threw = true;
      CHECK(e.what_kind() == storage_error::kind::map_full);
    }
    REQUIRE(threw);
    CHECK(env.map_size() == max);

    // Nothing of the failed batch is visible; everything before it is.
    CHECK(log.last_zxid() == 6);
    REQUIRE(log.size() == 6);
    auto all = read_log(log);
    for (std::size_t i = 0; i < all.size(); ++i) REQUIRE(all[i].second == stored[i]);

    // An image write that does not fit fails as a whole: the log entries it
    // would have dropped are still there and the image did not move.
    image_batch too_big;
    too_big.zxid = 4;
    too_big.upserted_nodes = {{"/huge", blob(static_cast<std::size_t>(3 * MiB), 9)}};
    try {
      img.write(too_big);
      FAIL("image write beyond the maximum map size succeeded");
    } catch (const storage_error& e) {
      CHECK(e.what_kind() == storage_error::kind::map_full);
    }
    CHECK(img.zxid() == 0);
    CHECK(img.node_count() == 0);
    CHECK(log.size() == 6);

    // Smaller writes still go through.
    stored.push_back(blob(64 * 1024, 77));
    log.append({{7, stored.back()}});
    img.write(image_batch{4, {{"/small", "s"}}, {}, {}, {}});
    CHECK(img.zxid() == 4);
    CHECK(log.size() == 3);
  }
  lmdb_env env(dir.opts(MiB, max));
  log_store log(env);
  snapshot_image img(env);
  CHECK(log.last_zxid() == 7);
  auto all = read_log(log);
  REQUIRE(all.size() == 3);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].first == static_cast<int64_t>(i + 5));
    CHECK(all[i].second == stored[i + 4]);
  }
  CHECK(read_nodes(img) == std::map<std::string, std::string>{{"/small", "s"}});
}

TEST_CASE("growing the map waits for readers on other threads", "[lmdb_env]") {
  temp_dir dir;
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  log_store log(env);
  snapshot_image img(env);
  img.write(image_batch{0, {{"/a", "a"}}, {}, {}, {}});

  std::atomic<bool> reading{false};
  std::atomic<bool> reader_done{false};
  std::atomic<bool> write_done{false};
  std::atomic<bool> write_done_before_reader{false};
  std::thread reader([&] {
    img.for_each_node([&](std::string_view, std::string_view) {
      reading = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      write_done_before_reader = write_done.load();
      reader_done = true;
    });
  });
  while (!reading) std::this_thread::yield();

  std::string big = blob(static_cast<std::size_t>(3 * MiB), 5);
  log.append({{1, big}});  // needs the map grown twice
  write_done = true;
  reader.join();
  CHECK(reader_done);
  CHECK_FALSE(write_done_before_reader);
  CHECK(env.map_size() >= 4 * MiB);
  CHECK(read_log(log).at(0).second == big);
}

TEST_CASE("growing the map inside this thread's own read is refused", "[lmdb_env]") {
  temp_dir dir;
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  log_store log(env);
  std::string big = blob(static_cast<std::size_t>(2 * MiB), 1);
  CHECK_THROWS_AS(env.read([&](const txn&) { log.append({{1, big}}); }), std::logic_error);
  CHECK(log.size() == 0);
  log.append({{1, big}});
  CHECK(log.size() == 1);
}
