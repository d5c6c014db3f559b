#include "storage/snapshot_image.hpp"

#include <cstring>
#include <stdexcept>

namespace rookery::storage {

namespace {

// Node keys.
// A path that fits under LMDB's key limit and has no NUL byte is its own
// key and its value is the record. Any other path gets the key
//   '\0' | fnv1a64(path) (8 bytes, big-endian) | probe (2 bytes, big-endian)
// and the value  path length (4 bytes, big-endian) | path | record.
// Short keys never contain NUL, so the two forms cannot collide, and the
// probe separates long paths whose hashes collide.
constexpr std::size_t max_short_path = 511;  // mdb_env_get_maxkeysize for stock builds
constexpr std::size_t long_key_size = 1 + 8 + 2;
constexpr std::size_t long_hash_prefix = 1 + 8;
constexpr unsigned max_probe = 0xffff;

bool is_short(std::string_view path) noexcept {
  // LMDB rejects empty keys, so "" takes the long form too.
  return !path.empty() && path.size() <= max_short_path && path.find('\0') == std::string_view::npos;
}

uint64_t fnv1a64(std::string_view s) noexcept {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

struct long_key {
  char bytes[long_key_size];
  explicit long_key(std::string_view path, unsigned probe = 0) noexcept {
    bytes[0] = '\0';
    put_be64(bytes + 1, fnv1a64(path));
    set_probe(probe);
  }
  void set_probe(unsigned probe) noexcept {
    bytes[9] = static_cast<char>((probe >> 8) & 0xff);
    bytes[10] = static_cast<char>(probe & 0xff);
  }
  std::string_view view() const noexcept { return {bytes, sizeof bytes}; }
  std::string_view hash_prefix() const noexcept { return {bytes, long_hash_prefix}; }
};

unsigned probe_of(std::string_view key) noexcept {
  return (static_cast<unsigned>(static_cast<unsigned char>(key[9])) << 8) | static_cast<unsigned char>(key[10]);
}

// Splits a long-form value into path and record.
std::pair<std::string_view, std::string_view> split_long_value(std::string_view v) {
  if (v.size() < 4) throw storage_error(storage_error::kind::corrupt, "short long-path node value");
  uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(v[0])) << 24) |
               (static_cast<uint32_t>(static_cast<unsigned char>(v[1])) << 16) |
               (static_cast<uint32_t>(static_cast<unsigned char>(v[2])) << 8) |
               static_cast<uint32_t>(static_cast<unsigned char>(v[3]));
  if (v.size() - 4 < n) throw storage_error(storage_error::kind::corrupt, "long-path node value truncated");
  return {v.substr(4, n), v.substr(4 + n)};
}

// Finds the key holding `path` among its hash bucket; otherwise reports the
// lowest free probe (max_probe + 1 when none), so an insert fills holes left
// by erasures.
struct bucket_hit {
  bool found = false;
  unsigned probe = 0;  // of the hit, or the lowest free one
};

bucket_hit find_long(const txn& t, std::string_view path, const long_key& k) {
  bucket_hit hit;
  unsigned next_expected = 0;
  bool hole_seen = false;
  cursor c(t, db::nodes);
  for (bool ok = c.seek(k.view()); ok; ok = c.next()) {
    auto key = c.key();
    if (key.size() != long_key_size || key.substr(0, long_hash_prefix) != k.hash_prefix()) break;
    unsigned p = probe_of(key);
    if (split_long_value(c.value()).first == path) return {true, p};
    if (!hole_seen) {
      if (p == next_expected)
        ++next_expected;
      else
        hole_seen = true;
    }
  }
  hit.probe = next_expected;
  return hit;
}

void upsert_node(txn& t, std::string_view path, std::string_view record) {
  if (is_short(path)) {
    t.put(db::nodes, path, record);
    return;
  }
  if (path.size() > UINT32_MAX) throw std::invalid_argument("node path too long");
  long_key k(path);
  auto hit = find_long(t, path, k);
  if (hit.probe > max_probe) throw storage_error(storage_error::kind::io, "too many long node paths share one hash");
  k.set_probe(hit.probe);
  char* out = t.reserve(db::nodes, k.view(), 4 + path.size() + record.size());
  auto n = static_cast<uint32_t>(path.size());
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  std::memcpy(out + 4, path.data(), path.size());
  if (!record.empty()) std::memcpy(out + 4 + path.size(), record.data(), record.size());
}

void erase_node(txn& t, std::string_view path) {
  if (is_short(path)) {
    t.del(db::nodes, path);
    return;
  }
  long_key k(path);
  auto hit = find_long(t, path, k);
  if (!hit.found) return;
  k.set_probe(hit.probe);
  t.del(db::nodes, k.view());
}

}  // namespace

snapshot_image::snapshot_image(lmdb_env& env) : env_(env) {
  // The key format above is fixed on disk; refuse an LMDB built with a
  // smaller key limit rather than fail on some paths later.
  if (static_cast<std::size_t>(mdb_env_get_maxkeysize(env.raw())) < max_short_path)
    throw storage_error(storage_error::kind::io, "LMDB key size limit below 511 bytes");
}

void snapshot_image::write(const image_batch& batch) {
  env_.write([&](txn& t) {
    int64_t current = t.get_i64(db::meta, meta_key::image_zxid).value_or(0);
    if (batch.zxid < current)
      throw std::invalid_argument("snapshot image: zxid " + std::to_string(batch.zxid) + " is behind image zxid " +
                                  std::to_string(current));

    for (const auto& path : batch.erased_nodes) erase_node(t, path);
    for (const auto& [path, record] : batch.upserted_nodes) upsert_node(t, path, record);

    char key[8];
    for (int64_t id : batch.erased_sessions) {
      put_be64(key, static_cast<uint64_t>(id));
      t.del(db::sessions, std::string_view(key, sizeof key));
    }
    for (const auto& [id, record] : batch.upserted_sessions) {
      put_be64(key, static_cast<uint64_t>(id));
      t.put(db::sessions, std::string_view(key, sizeof key), record);
    }

    t.put_i64(db::meta, meta_key::image_zxid, batch.zxid);
  });
}

int64_t snapshot_image::zxid() const {
  return env_.read([](const txn& t) { return t.get_i64(db::meta, meta_key::image_zxid).value_or(0); });
}

void snapshot_image::for_each_node(
    const std::function<void(std::string_view path, std::string_view record)>& fn) const {
  env_.read([&](const txn& t) {
    cursor c(t, db::nodes);
    for (bool ok = c.first(); ok; ok = c.next()) {
      auto key = c.key();
      if (key.empty() || key[0] != '\0') {
        fn(key, c.value());
      } else {
        auto [path, record] = split_long_value(c.value());
        fn(path, record);
      }
    }
  });
}

void snapshot_image::for_each_session(const std::function<void(int64_t id, std::string_view record)>& fn) const {
  env_.read([&](const txn& t) {
    cursor c(t, db::sessions);
    for (bool ok = c.first(); ok; ok = c.next()) {
      auto key = c.key();
      if (key.size() != 8) throw storage_error(storage_error::kind::corrupt, "session key of unexpected size");
      fn(static_cast<int64_t>(get_be64(key.data())), c.value());
    }
  });
}

std::size_t snapshot_image::node_count() const {
  return env_.read([](const txn& t) { return t.entries(db::nodes); });
}

std::size_t snapshot_image::session_count() const {
  return env_.read([](const txn& t) { return t.entries(db::sessions); });
}

}  // namespace rookery::storage
