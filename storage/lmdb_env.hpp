#pragma once

#include <lmdb.h>

#include "storage/storage_error.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rookery::storage {

// Throws the storage_error (or std::invalid_argument for MDB_BAD_VALSIZE)
// that matches an LMDB / errno return code.
[[noreturn]] void throw_mdb(int rc, const char* what);
inline void check_mdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw_mdb(rc, what);
}

struct lmdb_options {
  std::string directory;
  int64_t map_initial_bytes = 64 << 20;
  int64_t map_max_bytes = int64_t{16} << 30;
};

// Every named database in the environment, declared here only. The image's
// parts must change together, in one write transaction.
enum class db : unsigned { nodes, sessions, meta };
inline constexpr std::size_t db_count = 3;
const char* db_name(db d) noexcept;

// Keys of the meta database.
namespace meta_key {
inline constexpr std::string_view image_zxid = "image.zxid";
}  // namespace meta_key

// 8-byte big-endian encoding: with LMDB's default memcmp ordering, keys of
// non-negative values sort numerically, and the file is byte-order portable.
inline void put_be64(char* out, uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline uint64_t get_be64(const char* in) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

inline MDB_val to_val(std::string_view s) noexcept {
  // LMDB takes non-const pointers but never writes through them for keys
  // and input values.
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// A borrowed view of a transaction owned by lmdb_env::read / lmdb_env::write.
// Views returned by get() point into the map and die with the transaction.
class txn {
 public:
  txn(MDB_txn* raw, const std::array<MDB_dbi, db_count>& dbis) noexcept
      : raw_(raw), dbis_(&dbis) {}

  MDB_txn* raw() const noexcept { return raw_; }
  MDB_dbi dbi(db d) const noexcept { return (*dbis_)[static_cast<unsigned>(d)]; }

  std::optional<std::string_view> get(db d, std::string_view key) const;
  std::optional<int64_t> get_i64(db d, std::string_view key) const;
  void put(db d, std::string_view key, std::string_view value, unsigned flags = 0);
  void put_i64(db d, std::string_view key, int64_t value);
  // Returns LMDB-owned space of `size` bytes for the value, so callers can
  // assemble a value in place instead of in a heap buffer.
  char* reserve(db d, std::string_view key, std::size_t size, unsigned flags = 0);
  // False when the key was absent.
  bool del(db d, std::string_view key);
  std::size_t entries(db d) const;

 private:
  MDB_txn* raw_;
  const std::array<MDB_dbi, db_count>* dbis_;
};

class cursor {
 public:
  cursor(const txn& t, db d);
  ~cursor();
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  // Each positioning call returns false when there is no such entry.
  bool first();
  bool next();
  bool seek(std::string_view key);  // first entry with key >= `key`
  std::string_view key() const noexcept { return to_view(key_); }
  std::string_view value() const noexcept { return to_view(val_); }
  // Deletes the current entry; a following next() yields its successor.
  void del();

 private:
  bool op(MDB_cursor_op o);
  MDB_cursor* cur_ = nullptr;
  MDB_val key_{0, nullptr};
  MDB_val val_{0, nullptr};
};

// One LMDB environment (a directory holding data.mdb / lock.mdb) with all
// named databases of db opened.
//
// Thread use: read() and write() may be called from several threads (each
// transaction stays on its caller's stack). Growing the map needs every
// transaction of this process closed, so a writer that hits MDB_MAP_FULL
// waits until open readers finish; a thread must therefore not call write()
// from inside its own read() (that is reported as std::logic_error if it
// would need to grow). Reads may nest in reads, and a write may run inside a
// read; a write must not run inside a write (LMDB's writer lock is not
// reentrant).
class lmdb_env {
 public:
  explicit lmdb_env(lmdb_options opts);
  ~lmdb_env();
  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;

  // Runs fn(txn&) in one write transaction and commits it (one fsync).
  // fn may run more than once: when the map fills up the transaction is
  // aborted, the map grown and fn run again from scratch, so fn must not
  // have side effects outside the transaction. An exception from fn aborts
  // the transaction and propagates. Throws storage_error{map_full} when the
  // map is at map_max_bytes; nothing of the transaction is then written.
  template <class F>
  void write(F&& fn) {
    auto* ctx = &fn;
    write_impl(
        [](void* c, txn& t) { (*static_cast<std::remove_reference_t<F>*>(c))(t); },
        const_cast<void*>(static_cast<const void*>(ctx)));
  }

  // Runs fn(const txn&) in a read-only transaction (a consistent snapshot
  // that does not block writers) and returns what fn returns.
  template <class F>
  decltype(auto) read(F&& fn) const {
    read_scope scope(*this);
    const txn t(scope.raw, dbis_);
    return std::forward<F>(fn)(t);
  }

  int64_t map_size() const noexcept { return map_size_.load(std::memory_order_relaxed); }
  const std::string& directory() const noexcept { return opts_.directory; }
  MDB_env* raw() const noexcept { return env_; }

 private:
  struct read_scope {
    explicit read_scope(const lmdb_env& env);
    ~read_scope();
    read_scope(const read_scope&) = delete;
    read_scope& operator=(const read_scope&) = delete;
    std::shared_lock<std::shared_mutex> lock;
    MDB_txn* raw = nullptr;
  };

  void write_impl(void (*fn)(void*, txn&), void* ctx);
  void grow(int64_t seen_size);

  lmdb_options opts_;
  MDB_env* env_ = nullptr;
  std::array<MDB_dbi, db_count> dbis_{};
  std::atomic<int64_t> map_size_{0};
  // Shared by every transaction, exclusive while mdb_env_set_mapsize runs:
  // LMDB requires that no transaction in the process is active then.
  mutable std::shared_mutex resize_mutex_;
};

}  // namespace rookery::storage
