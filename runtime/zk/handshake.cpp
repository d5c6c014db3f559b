#include "runtime/zk/handshake.hpp"

#include <algorithm>

#include "runtime/jute/jute.hpp"

namespace rookery::zk {

std::optional<connect_request_record> parse_connect_request(std::string_view payload) {
  try {
    jute::reader in(payload);
    connect_request_record record;
    record.protocol_version = in.read_int();
    record.last_zxid_seen = in.read_long();
    record.timeout_ms = in.read_int();
    record.session_id = in.read_long();
    record.password = in.read_buffer().value_or(std::string());
    if (!in.at_end()) {
      record.has_read_only_byte = true;
      record.read_only = in.read_bool();
    }
    return record;
  } catch (const jute::decode_error&) {
    return std::nullopt;
  }
}

std::string connect_response_frame(int32_t timeout_ms, int64_t session_id, const std::string& password,
                                   bool with_read_only_byte) {
  std::string frame;
  jute::writer out(frame);
  auto start = out.begin_frame();
  out.write_int(0);
  out.write_int(timeout_ms);
  out.write_long(session_id);
  std::string sixteen = password;
  sixteen.resize(16, '\0');
  out.write_buffer(std::string_view(sixteen));
  if (with_read_only_byte) out.write_bool(false);
  out.end_frame(start);
  return frame;
}

int32_t negotiate_timeout(int32_t requested_ms, int32_t min_ms, int32_t max_ms) {
  return std::clamp(requested_ms, min_ms, max_ms);
}

}  // namespace rookery::zk
