#include "storage/log_store.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace rookery::storage {

log_store::log_store(lmdb_env& env) : env_(env) {}

void log_store::append(const std::vector<log_record>& batch) {
  if (batch.empty()) return;
  for (std::size_t i = 1; i < batch.size(); ++i)
    if (batch[i].zxid <= batch[i - 1].zxid)
      throw std::invalid_argument("log append: zxid " + std::to_string(batch[i].zxid) + " does not follow " +
                                  std::to_string(batch[i - 1].zxid));

  env_.write([&](txn& t) {
    // Checked inside the write transaction so a concurrent append cannot
    // slip in between check and write.
    int64_t last = t.get_i64(db::meta, meta_key::log_last_zxid).value_or(0);
    if (batch.front().zxid <= last)
      throw std::invalid_argument("log append: zxid " + std::to_string(batch.front().zxid) +
                                  " is not after last zxid " + std::to_string(last));
    char key[8];
    for (const auto& r : batch) {
      put_be64(key, static_cast<uint64_t>(r.zxid));
      // Keys only ever grow, so MDB_APPEND skips the tree search and fills
      // pages completely.
      t.put(db::log, std::string_view(key, sizeof key), r.bytes, MDB_APPEND);
    }
    t.put_i64(db::meta, meta_key::log_last_zxid, batch.back().zxid);
  });
}

int64_t log_store::last_zxid() const {
  return env_.read([](const txn& t) { return t.get_i64(db::meta, meta_key::log_last_zxid).value_or(0); });
}

void log_store::for_each_after(int64_t zxid, const std::function<void(int64_t, std::string_view)>& fn) const {
  if (zxid == std::numeric_limits<int64_t>::max()) return;
  env_.read([&](const txn& t) {
    cursor c(t, db::log);
    bool ok;
    if (zxid < 0) {
      // Negative keys would sort after all positive ones in big-endian.
      ok = c.first();
    } else {
      char key[8];
      put_be64(key, static_cast<uint64_t>(zxid + 1));
      ok = c.seek(std::string_view(key, sizeof key));
    }
    for (; ok; ok = c.next()) {
      auto k = c.key();
      if (k.size() != 8) throw storage_error(storage_error::kind::corrupt, "log key of " + std::to_string(k.size()) + " bytes");
      fn(static_cast<int64_t>(get_be64(k.data())), c.value());
    }
  });
}

std::size_t log_store::size() const {
  return env_.read([](const txn& t) { return t.entries(db::log); });
}

}  // namespace rookery::storage
