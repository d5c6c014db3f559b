#include "runtime/zk/records.hpp"

#include "runtime/zk/protocol.hpp"

namespace rookery::zk {

void write_stat(jute::writer& out, const storage::stat& stat) {
  out.write_long(stat.czxid);
  out.write_long(stat.mzxid);
  out.write_long(stat.ctime);
  out.write_long(stat.mtime);
  out.write_int(stat.version);
  out.write_int(stat.cversion);
  out.write_int(stat.aversion);
  out.write_long(stat.ephemeral_owner);
  out.write_int(stat.data_length);
  out.write_int(stat.num_children);
  out.write_long(stat.pzxid);
}

void write_acl_list(jute::writer& out, const acl::list& acl) {
  out.write_int(static_cast<int32_t>(acl.size()));
  for (const auto& entry : acl) {
    out.write_int(entry.perms);
    out.write_ustring(entry.who.scheme);
    out.write_ustring(entry.who.value);
  }
}

std::optional<acl::list> read_acl_list(jute::reader& in) {
  auto count = in.read_count(12);
  if (!count) return std::nullopt;
  acl::list acl;
  acl.reserve(static_cast<std::size_t>(*count));
  for (int32_t i = 0; i < *count; ++i) {
    acl::entry entry;
    entry.perms = in.read_int();
    entry.who.scheme = in.read_ustring();
    entry.who.value = in.read_ustring();
    acl.push_back(std::move(entry));
  }
  return acl;
}

auth_packet read_auth_packet(std::string_view body) {
  jute::reader in(body);
  in.read_int();
  auth_packet packet;
  packet.scheme = in.read_ustring();
  packet.auth = in.read_buffer().value_or(std::string());
  return packet;
}

std::size_t begin_reply(jute::writer& out, int32_t xid, int64_t zxid, int32_t error) {
  std::size_t start = out.begin_frame();
  out.write_int(xid);
  out.write_long(zxid);
  out.write_int(error);
  return start;
}

void append_header_frame(std::string& out, int32_t xid, int64_t zxid, int32_t error) {
  jute::writer w(out);
  w.end_frame(begin_reply(w, xid, zxid, error));
}

std::string notification_frame(int32_t event_type, std::string_view path, int64_t zxid) {
  std::string bytes;
  jute::writer w(bytes);
  auto start = begin_reply(w, xid::notification, zxid, err::ok);
  w.write_int(event_type);
  w.write_int(keeper_state_sync_connected);
  w.write_ustring(path);
  w.end_frame(start);
  return bytes;
}

}  // namespace rookery::zk
