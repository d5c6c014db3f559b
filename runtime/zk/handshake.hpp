#pragma once
// The connect handshake records (§2): ConnectRequest in, ConnectResponse out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rookery::zk {

struct connect_request_record {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string password;
  // Pre-3.4 clients omit the trailing byte and must get a reply without it.
  bool has_read_only_byte = false;
  bool read_only = false;
};

// nullopt when the frame is not a ConnectRequest (the connection is then closed).
std::optional<connect_request_record> parse_connect_request(std::string_view payload);

// A whole frame. An invalid session is answered with timeout 0, id 0 and 16 zero bytes:
// Java checks the timeout, the C client checks the id.
std::string connect_response_frame(int32_t timeout_ms, int64_t session_id, const std::string& password,
                                   bool with_read_only_byte);

int32_t negotiate_timeout(int32_t requested_ms, int32_t min_ms, int32_t max_ms);

}  // namespace rookery::zk
