#pragma once
// A deliberately small ZooKeeper wire client for load generation: one blocking TCP socket,
// the handshake, and a handful of requests (create, getData, setData, closeSession) that can be
// pipelined. Requests are queued into an output buffer and written by flush(); replies are read
// one frame at a time from a large input buffer, so many replies cost one recv().
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/zk/protocol.hpp"

namespace rookery::bench {

// Connection-level failures: refused, closed by the server, timed out, malformed frames,
// replies out of order. Per-request error codes are not exceptions; they come back in reply.
class client_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The protocol numbers are the server's own.
namespace op = rookery::zk::op;
namespace err = rookery::zk::err;

struct reply {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  std::string_view body;  // valid until the next read_reply()
};

struct endpoint {
  std::string host;
  int port = 0;
};

// Parses "host:port"; throws std::invalid_argument.
endpoint parse_endpoint(std::string_view text);

class zk_client {
 public:
  // Connects and performs the handshake. io_timeout bounds every blocking recv/send: a server
  // that stops answering turns into a client_error instead of a hang.
  zk_client(const endpoint& server, std::chrono::milliseconds session_timeout,
            std::chrono::milliseconds io_timeout);
  ~zk_client();
  zk_client(const zk_client&) = delete;
  zk_client& operator=(const zk_client&) = delete;

  // Each queue_* appends one request frame and returns its xid (1, 2, 3, ...).
  int32_t queue_create(std::string_view path, std::string_view data);
  int32_t queue_get_data(std::string_view path);
  int32_t queue_set_data(std::string_view path, std::string_view data);
  int32_t queue_close_session();

  // Writes everything queued. Blocks until the kernel took it all.
  void flush();
  bool has_unsent() const { return !out_.empty(); }

  // Blocks until one reply frame is available. Watch notifications (xid -1) are skipped and
  // counted. The xid is checked against the oldest outstanding request: ZooKeeper replies in
  // request order, anything else throws client_error.
  reply read_reply();
  // True if a whole frame is already buffered, so read_reply() will not block.
  bool reply_buffered() const;

  int32_t outstanding() const { return next_xid_ - oldest_xid_; }
  uint64_t notifications() const { return notifications_; }

 private:
  void handshake(std::chrono::milliseconds session_timeout);
  std::string_view read_frame();
  void fill();
  int32_t begin_request(int32_t opcode, std::size_t& frame_start);

  int fd_ = -1;
  std::string out_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  int32_t next_xid_ = 1;
  int32_t oldest_xid_ = 1;
  int64_t session_id_ = 0;
  int32_t negotiated_timeout_ms_ = 0;
  uint64_t notifications_ = 0;
  bool handshaking_ = true;
};

}  // namespace rookery::bench
