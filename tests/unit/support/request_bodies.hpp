#pragma once
// Client request records (jute), written by hand for the core tests: independent of the
// server's own record code, so a test can catch a bug there.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "runtime/jute/jute.hpp"

namespace rookery::test {

inline acl::list open_acl() { return {{acl::all, {"world", "anyone"}}}; }

inline void put_acl(jute::writer& w, const std::optional<acl::list>& acl) {
  if (!acl) return w.write_int(-1);
  w.write_int(static_cast<int32_t>(acl->size()));
  for (const auto& e : *acl) {
    w.write_int(e.perms);
    w.write_ustring(e.who.scheme);
    w.write_ustring(e.who.value);
  }
}

inline std::string create_body(std::string_view path, std::optional<std::string> data = std::string("d"),
                        std::optional<acl::list> acl = open_acl(), int32_t flags = 0) {
  std::string b;
  jute::writer w(b);
  w.write_ustring(path);
  w.write_buffer(data);
  put_acl(w, acl);
  w.write_int(flags);
  return b;
}

inline std::string create_ttl_body(std::string_view path, int32_t flags, int64_t ttl, std::optional<std::string> data = std::string("d")) {
  std::string b = create_body(path, std::move(data), open_acl(), flags);
  jute::writer(b).write_long(ttl);
  return b;
}

inline std::string delete_body(std::string_view path, int32_t version = -1) {
  std::string b;
  jute::writer w(b);
  w.write_ustring(path);
  w.write_int(version);
  return b;
}

inline std::string set_data_body(std::string_view path, std::optional<std::string> data, int32_t version = -1) {
  std::string b;
  jute::writer w(b);
  w.write_ustring(path);
  w.write_buffer(data);
  w.write_int(version);
  return b;
}

inline std::string set_acl_body(std::string_view path, std::optional<acl::list> acl, int32_t version = -1) {
  std::string b;
  jute::writer w(b);
  w.write_ustring(path);
  put_acl(w, acl);
  w.write_int(version);
  return b;
}

// exists, getData, getChildren, getChildren2.
inline std::string watch_body(std::string_view path, bool watch = false) {
  std::string b;
  jute::writer w(b);
  w.write_ustring(path);
  w.write_bool(watch);
  return b;
}

// getACL, sync, getAllChildrenNumber, getEphemerals.
inline std::string path_body(std::string_view path) {
  std::string b;
  jute::writer(b).write_ustring(path);
  return b;
}

inline std::string check_body(std::string_view path, int32_t version) { return delete_body(path, version); }

inline std::string path_int_body(std::string_view path, int32_t value) { return delete_body(path, value); }

inline std::string multi_body(const std::vector<std::pair<int32_t, std::string>>& ops) {
  std::string b;
  jute::writer w(b);
  for (const auto& [type, record] : ops) {
    w.write_int(type);
    w.write_bool(false);
    w.write_int(-1);
    b += record;
  }
  w.write_int(-1);
  w.write_bool(true);
  w.write_int(-1);
  return b;
}

inline std::string set_watches_body(int64_t relative_zxid, const std::vector<std::string>& data,
                             const std::vector<std::string>& exist, const std::vector<std::string>& child,
                             const std::vector<std::string>* persistent = nullptr,
                             const std::vector<std::string>* recursive = nullptr) {
  std::string b;
  jute::writer w(b);
  w.write_long(relative_zxid);
  w.write_ustring_vector(data);
  w.write_ustring_vector(exist);
  w.write_ustring_vector(child);
  if (persistent) w.write_ustring_vector(*persistent);
  if (recursive) w.write_ustring_vector(*recursive);
  return b;
}

}  // namespace rookery::test
