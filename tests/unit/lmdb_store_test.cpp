#include "storage/lmdb_env.hpp"
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

}  // namespace

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

namespace {

// A batch of `count` nodes "/<prefix><i>" of `bytes` each, seeded by `seed + i`.
image_batch nodes_batch(int64_t zxid, const std::string& prefix, int count, std::size_t bytes, int seed) {
  image_batch b;
  b.zxid = zxid;
  for (int i = 0; i < count; ++i) b.upserted_nodes.emplace_back("/" + prefix + std::to_string(i), blob(bytes, seed + i));
  return b;
}

}  // namespace

TEST_CASE("the map grows from a tiny initial size", "[lmdb_env]") {
  temp_dir dir;
  {
    lmdb_env env(dir.opts(MiB, 64 * MiB));
    CHECK(env.map_size() == MiB);
    snapshot_image img(env);
    for (int i = 0; i < 12; ++i) img.write(nodes_batch(i + 1, "small" + std::to_string(i) + "-", 1, 512 * 1024, i));
    // A single write bigger than the current map, so it must grow (possibly several times)
    // and retry.
    img.write(nodes_batch(20, "big", 8, 700 * 1024, 100));
    CHECK(env.map_size() > 8 * MiB);
    CHECK(env.map_size() <= 64 * MiB);
  }
  // Reopening with the tiny initial size adopts the grown file.
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  CHECK(env.map_size() > 8 * MiB);
  snapshot_image img(env);
  CHECK(img.zxid() == 20);
  auto nodes = read_nodes(img);
  REQUIRE(nodes.size() == 20);
  CHECK(nodes["/small3-0"] == blob(512 * 1024, 3));
  CHECK(nodes["/big7"] == blob(700 * 1024, 107));
}

TEST_CASE("map_full at the maximum keeps earlier data and allows smaller writes", "[lmdb_env]") {
  temp_dir dir;
  const int64_t max = 4 * MiB;
  const std::size_t chunk = 256 * 1024;
  {
    lmdb_env env(dir.opts(MiB, max));
    snapshot_image img(env);
    img.write(nodes_batch(6, "kept", 6, chunk, 0));

    // 3 MiB on top of 1.5 MiB cannot fit in 4 MiB: the write fails as a whole.
    try {
      img.write(nodes_batch(10, "huge", 12, chunk, 50));
      FAIL("image write beyond the maximum map size succeeded");
    } catch (const storage_error& e) {
      CHECK(e.what_kind() == storage_error::kind::map_full);
    }
    CHECK(env.map_size() == max);
    CHECK(img.zxid() == 6);
    CHECK(img.node_count() == 6);

    // Smaller writes still go through.
    img.write(image_batch{11, {{"/small", "s"}}, {"/kept0"}, {}, {}});
    CHECK(img.zxid() == 11);
  }
  lmdb_env env(dir.opts(MiB, max));
  snapshot_image img(env);
  CHECK(img.zxid() == 11);
  auto nodes = read_nodes(img);
  REQUIRE(nodes.size() == 6);
  CHECK(nodes.count("/kept0") == 0);
  CHECK(nodes["/kept5"] == blob(chunk, 5));
  CHECK(nodes["/small"] == "s");
}

TEST_CASE("growing the map waits for readers on other threads", "[lmdb_env]") {
  temp_dir dir;
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  snapshot_image img(env);
  img.write(image_batch{1, {{"/a", "a"}}, {}, {}, {}});

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
  img.write(image_batch{2, {{"/big", big}}, {}, {}, {}});  // needs the map grown twice
  write_done = true;
  reader.join();
  CHECK(reader_done);
  CHECK_FALSE(write_done_before_reader);
  CHECK(env.map_size() >= 4 * MiB);
  CHECK(read_nodes(img).at("/big") == big);
}

TEST_CASE("growing the map inside this thread's own read is refused", "[lmdb_env]") {
  temp_dir dir;
  lmdb_env env(dir.opts(MiB, 64 * MiB));
  snapshot_image img(env);
  std::string big = blob(static_cast<std::size_t>(2 * MiB), 1);
  CHECK_THROWS_AS(env.read([&](const txn&) { img.write(image_batch{1, {{"/big", big}}, {}, {}, {}}); }),
                  std::logic_error);
  CHECK(img.node_count() == 0);
  img.write(image_batch{1, {{"/big", big}}, {}, {}, {}});
  CHECK(img.node_count() == 1);
}
