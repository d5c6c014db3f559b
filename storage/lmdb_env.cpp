#include "storage/lmdb_env.hpp"

#include "storage/durable_dirs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace rookery::storage {

namespace {

// Read transactions the current thread has open; growing the map while one
// is open would wait on this thread's own shared lock forever.
thread_local int reads_open_on_this_thread = 0;

storage_error::kind kind_of(int rc) noexcept {
  switch (rc) {
    case MDB_MAP_FULL:
      return storage_error::kind::map_full;
    case ENOSPC:
    case EDQUOT:
      return storage_error::kind::no_space;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
      return storage_error::kind::corrupt;
    default:
      return storage_error::kind::io;
  }
}

}  // namespace

void throw_mdb(int rc, const char* what) {
  std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  // An oversized key is a caller bug, not a storage fault.
  if (rc == MDB_BAD_VALSIZE) throw std::invalid_argument(msg);
  throw storage_error(kind_of(rc), std::move(msg));
}

const char* db_name(db d) noexcept {
  switch (d) {
    case db::nodes:
      return "nodes";
    case db::sessions:
      return "sessions";
    case db::meta:
      return "meta";
  }
  return "?";
}

// ---- txn -------------------------------------------------------------------

std::optional<std::string_view> txn::get(db d, std::string_view key) const {
  MDB_val k = to_val(key);
  MDB_val v{0, nullptr};
  int rc = mdb_get(raw_, dbi(d), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check_mdb(rc, "mdb_get");
  return to_view(v);
}

std::optional<int64_t> txn::get_i64(db d, std::string_view key) const {
  auto v = get(d, key);
  if (!v) return std::nullopt;
  if (v->size() != 8) throw storage_error(storage_error::kind::corrupt, "bad 64-bit value under key " + std::string(key));
  return static_cast<int64_t>(get_be64(v->data()));
}

void txn::put(db d, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  check_mdb(mdb_put(raw_, dbi(d), &k, &v, flags), "mdb_put");
}

void txn::put_i64(db d, std::string_view key, int64_t value) {
  char buf[8];
  put_be64(buf, static_cast<uint64_t>(value));
  put(d, key, std::string_view(buf, sizeof buf));
}

char* txn::reserve(db d, std::string_view key, std::size_t size, unsigned flags) {
  MDB_val k = to_val(key);
  MDB_val v{size, nullptr};
  check_mdb(mdb_put(raw_, dbi(d), &k, &v, flags | MDB_RESERVE), "mdb_put");
  return static_cast<char*>(v.mv_data);
}

bool txn::del(db d, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(raw_, dbi(d), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check_mdb(rc, "mdb_del");
  return true;
}

std::size_t txn::entries(db d) const {
  MDB_stat st;
  check_mdb(mdb_stat(raw_, dbi(d), &st), "mdb_stat");
  return st.ms_entries;
}

// ---- cursor ----------------------------------------------------------------

cursor::cursor(const txn& t, db d) { check_mdb(mdb_cursor_open(t.raw(), t.dbi(d), &cur_), "mdb_cursor_open"); }

cursor::~cursor() { mdb_cursor_close(cur_); }

bool cursor::op(MDB_cursor_op o) {
  int rc = mdb_cursor_get(cur_, &key_, &val_, o);
  if (rc == MDB_NOTFOUND) return false;
  check_mdb(rc, "mdb_cursor_get");
  return true;
}

bool cursor::first() { return op(MDB_FIRST); }

bool cursor::next() { return op(MDB_NEXT); }

bool cursor::seek(std::string_view k) {
  key_ = to_val(k);
  return op(MDB_SET_RANGE);
}

void cursor::del() { check_mdb(mdb_cursor_del(cur_, 0), "mdb_cursor_del"); }

// ---- lmdb_env --------------------------------------------------------------

lmdb_env::lmdb_env(lmdb_options opts) : opts_(std::move(opts)) {
  if (opts_.map_initial_bytes <= 0 || opts_.map_max_bytes <= 0)
    throw std::invalid_argument("lmdb map sizes must be positive");
  opts_.map_initial_bytes = std::min(opts_.map_initial_bytes, opts_.map_max_bytes);

  create_directories_durably(opts_.directory);

  check_mdb(mdb_env_create(&env_), "mdb_env_create");
  try {
    check_mdb(mdb_env_set_maxdbs(env_, 8), "mdb_env_set_maxdbs");
    check_mdb(mdb_env_set_mapsize(env_, static_cast<std::size_t>(opts_.map_initial_bytes)), "mdb_env_set_mapsize");
    // MDB_NOTLS: read transactions belong to the txn object, not the thread,
    // because actors hop between CAF worker threads.
    check_mdb(mdb_env_open(env_, opts_.directory.c_str(), MDB_NOTLS, 0644), ("mdb_env_open " + opts_.directory).c_str());
    // LMDB creates its files without syncing the directory that names them.
    sync_directory(opts_.directory);

    // An existing file larger than map_initial_bytes makes LMDB adopt the
    // file's size; track what is actually mapped.
    MDB_envinfo info;
    check_mdb(mdb_env_info(env_, &info), "mdb_env_info");
    map_size_ = static_cast<int64_t>(info.me_mapsize);

    // DBI handles opened in a committed transaction stay valid for the
    // environment's lifetime, so open them all once here.
    write([this](txn& t) {
      for (std::size_t i = 0; i < db_count; ++i)
        check_mdb(mdb_dbi_open(t.raw(), db_name(static_cast<db>(i)), MDB_CREATE, &dbis_[i]), "mdb_dbi_open");
    });
  } catch (...) {
    mdb_env_close(env_);
    throw;
  }
}

lmdb_env::~lmdb_env() { mdb_env_close(env_); }

lmdb_env::read_scope::read_scope(const lmdb_env& env) : lock(env.resize_mutex_, std::defer_lock) {
  // An outer read on this thread already holds the shared lock, which keeps
  // the map from being resized; locking again would be undefined.
  if (reads_open_on_this_thread == 0) lock.lock();
  check_mdb(mdb_txn_begin(env.env_, nullptr, MDB_RDONLY, &raw), "mdb_txn_begin(read)");
  ++reads_open_on_this_thread;
}

lmdb_env::read_scope::~read_scope() {
  --reads_open_on_this_thread;
  mdb_txn_abort(raw);
}

void lmdb_env::write_impl(void (*fn)(void*, txn&), void* ctx) {
  for (;;) {
    int64_t seen = 0;
    {
      std::shared_lock<std::shared_mutex> lock(resize_mutex_, std::defer_lock);
      if (reads_open_on_this_thread == 0) lock.lock();
      seen = map_size();
      MDB_txn* raw = nullptr;
      check_mdb(mdb_txn_begin(env_, nullptr, 0, &raw), "mdb_txn_begin(write)");
      bool full = false;
      try {
        txn t(raw, dbis_);
        fn(ctx, t);
      } catch (const storage_error& e) {
        mdb_txn_abort(raw);
        if (e.what_kind() != storage_error::kind::map_full) throw;
        full = true;
      } catch (...) {
        mdb_txn_abort(raw);
        throw;
      }
      if (!full) {
        // mdb_txn_commit frees the transaction whether or not it succeeds.
        int rc = mdb_txn_commit(raw);
        if (rc == MDB_SUCCESS) return;
        if (rc != MDB_MAP_FULL) throw_mdb(rc, "mdb_txn_commit");
      }
    }
    grow(seen);
  }
}

void lmdb_env::grow(int64_t seen_size) {
  if (reads_open_on_this_thread > 0)
    throw std::logic_error("lmdb map must grow, but this thread holds a read transaction");
  std::unique_lock<std::shared_mutex> lock(resize_mutex_);
  int64_t cur = map_size();
  // Another writer grew it while we waited: just retry.
  if (cur != seen_size) return;
  if (cur >= opts_.map_max_bytes)
    throw storage_error(storage_error::kind::map_full,
                        "lmdb map full at its maximum of " + std::to_string(opts_.map_max_bytes) + " bytes in " +
                            opts_.directory);
  int64_t next = cur > opts_.map_max_bytes / 2 ? opts_.map_max_bytes : cur * 2;
  check_mdb(mdb_env_set_mapsize(env_, static_cast<std::size_t>(next)), "mdb_env_set_mapsize");
  MDB_envinfo info;
  check_mdb(mdb_env_info(env_, &info), "mdb_env_info");
  // Never report less than we asked for, or a rounded size below the max
  // would make us try to grow forever.
  map_size_ = std::max(next, static_cast<int64_t>(info.me_mapsize));
}

}  // namespace rookery::storage
