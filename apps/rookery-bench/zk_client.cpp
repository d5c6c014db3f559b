#include "apps/rookery-bench/zk_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "actors/acl/acl_core.hpp"
#include "runtime/jute/jute.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::bench {

namespace {

constexpr std::size_t kMaxFrame = 0xFFFFF + 1024;  // jute.maxbuffer plus slack
constexpr std::size_t kReadChunk = 256 * 1024;

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

void set_timeout(int fd, int option, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0)
    throw client_error(sys_error("setsockopt(timeout)"));
}

}  // namespace

endpoint parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument("expected host:port, got '" + std::string(text) + "'");
  endpoint e;
  e.host = std::string(text.substr(0, colon));
  try {
    e.port = std::stoi(std::string(text.substr(colon + 1)));
  } catch (const std::exception&) {
    throw std::invalid_argument("bad port in '" + std::string(text) + "'");
  }
  if (e.port < 1 || e.port > 65535) throw std::invalid_argument("port out of range in '" + std::string(text) + "'");
  return e;
}

zk_client::zk_client(const endpoint& server, std::chrono::milliseconds session_timeout,
                     std::chrono::milliseconds io_timeout)
    : in_(kReadChunk + kMaxFrame) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(server.port);
  int rc = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) throw client_error("resolve " + server.host + ": " + ::gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      last_error = sys_error("socket");
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    last_error = sys_error("connect " + server.host + ":" + port);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) throw client_error(last_error);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  try {
    set_timeout(fd_, SO_RCVTIMEO, io_timeout);
    set_timeout(fd_, SO_SNDTIMEO, io_timeout);
    handshake(session_timeout);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

zk_client::~zk_client() {
  if (fd_ >= 0) ::close(fd_);
}

void zk_client::handshake(std::chrono::milliseconds session_timeout) {
  jute::writer w(out_);
  auto frame = w.begin_frame();
  w.write_int(0);   // protocolVersion
  w.write_long(0);  // lastZxidSeen
  w.write_int(static_cast<int32_t>(session_timeout.count()));
  w.write_long(0);  // sessionId: new session
  w.write_buffer(std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
  w.write_bool(false);  // readOnly
  w.end_frame(frame);
  flush();
  std::string_view payload = read_frame();
  try {
    jute::reader r(payload);
    r.read_int();  // protocolVersion
    negotiated_timeout_ms_ = r.read_int();
    session_id_ = r.read_long();
    r.read_buffer();  // password
  } catch (const jute::decode_error& e) {
    throw client_error(std::string("malformed ConnectResponse: ") + e.what());
  }
  handshaking_ = false;
  if (negotiated_timeout_ms_ <= 0 || session_id_ == 0)
    throw client_error("server refused the session (timeout " + std::to_string(negotiated_timeout_ms_) + ")");
}

int32_t zk_client::begin_request(int32_t opcode, std::size_t& frame_start) {
  jute::writer w(out_);
  frame_start = w.begin_frame();
  int32_t xid = next_xid_++;
  w.write_int(xid);
  w.write_int(opcode);
  return xid;
}

int32_t zk_client::queue_create(std::string_view path, std::string_view data) {
  std::size_t frame;
  int32_t xid = begin_request(op::create, frame);
  jute::writer w(out_);
  w.write_ustring(path);
  w.write_buffer(data);
  zk::write_acl_list(w, acl::open_acl_unsafe());
  w.write_int(0);  // persistent
  w.end_frame(frame);
  return xid;
}

int32_t zk_client::queue_get_data(std::string_view path) {
  std::size_t frame;
  int32_t xid = begin_request(op::get_data, frame);
  jute::writer w(out_);
  w.write_ustring(path);
  w.write_bool(false);  // no watch
  w.end_frame(frame);
  return xid;
}

int32_t zk_client::queue_set_data(std::string_view path, std::string_view data) {
  std::size_t frame;
  int32_t xid = begin_request(op::set_data, frame);
  jute::writer w(out_);
  w.write_ustring(path);
  w.write_buffer(data);
  w.write_int(-1);  // any version
  w.end_frame(frame);
  return xid;
}

int32_t zk_client::queue_close_session() {
  std::size_t frame;
  int32_t xid = begin_request(op::close_session, frame);
  jute::writer(out_).end_frame(frame);
  return xid;
}

void zk_client::flush() {
  std::size_t sent = 0;
  while (sent < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw client_error("send timed out (server not reading)");
      throw client_error(sys_error("send"));
    }
    sent += static_cast<std::size_t>(n);
  }
  out_.clear();
}

void zk_client::fill() {
  // Keep the unread tail at the front so a whole frame always fits.
  if (in_begin_ > 0) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      return;
    }
    if (n == 0) throw client_error("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (handshaking_) throw client_error("no ConnectResponse within the I/O timeout");
      throw client_error("no reply within the I/O timeout (" + std::to_string(outstanding()) +
                         " requests outstanding, next expected xid " + std::to_string(oldest_xid_) + ")");
    }
    throw client_error(sys_error("recv"));
  }
}

bool zk_client::reply_buffered() const {
  std::size_t have = in_end_ - in_begin_;
  if (have < 4) return false;
  auto length = jute::get_int(in_.data() + in_begin_);
  return length >= 0 && have >= 4 + static_cast<std::size_t>(length);
}

std::string_view zk_client::read_frame() {
  while (in_end_ - in_begin_ < 4) fill();
  int32_t length = jute::get_int(in_.data() + in_begin_);
  if (length < 0 || static_cast<std::size_t>(length) > kMaxFrame)
    throw client_error("bad frame length " + std::to_string(length));
  while (in_end_ - in_begin_ < 4 + static_cast<std::size_t>(length)) fill();
  std::string_view payload(in_.data() + in_begin_ + 4, static_cast<std::size_t>(length));
  in_begin_ += 4 + static_cast<std::size_t>(length);
  return payload;
}

reply zk_client::read_reply() {
  for (;;) {
    std::string_view payload = read_frame();
    if (payload.size() < 16) throw client_error("reply shorter than a ReplyHeader (" + std::to_string(payload.size()) + " bytes)");
    jute::reader r(payload);
    reply out;
    out.xid = r.read_int();
    out.zxid = r.read_long();
    out.err = r.read_int();
    out.body = payload.substr(16);
    if (out.xid == -1) {  // watch notification: none are set, but tolerate them
      ++notifications_;
      continue;
    }
    if (outstanding() == 0)
      throw client_error("unsolicited reply with xid " + std::to_string(out.xid));
    if (out.xid != oldest_xid_)
      throw client_error("xid out of order: expected " + std::to_string(oldest_xid_) + ", got " +
                         std::to_string(out.xid));
    ++oldest_xid_;
    return out;
  }
}

}  // namespace rookery::bench
