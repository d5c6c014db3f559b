#pragma once
// Flow control for one connection's replies. A client that pipelines requests but does not
// read its replies must not make the server buffer without bound: once the bytes waiting
// behind a blocked socket pass `pause_bytes` the connection is no longer read (TCP then
// holds the client back), reading resumes when the backlog falls under `resume_bytes`, and a
// backlog over `close_bytes` (watch events keep coming while reads are paused) ends the
// connection. Pure: sizes in, decisions out; the framer owns the socket.
#include <cstdint>

namespace rookery::net {

class send_backlog {
 public:
  enum class action { none, pause, resume, close };

  send_backlog(uint64_t pause_bytes, uint64_t resume_bytes, uint64_t close_bytes)
      : pause_bytes_(pause_bytes), resume_bytes_(resume_bytes), close_bytes_(close_bytes) {}

  // Limits for a server whose largest frame is `max_frame_bytes`: room for a few of the
  // largest replies before reading pauses. Once paused, replies to the requests already
  // inside the server (up to `max_outstanding` of them, twice over as the pause reaches the
  // session actor one round late) still come, so only a backlog beyond that, which only watch
  // events can build, drops the connection.
  static send_backlog for_limits(uint64_t max_frame_bytes, uint64_t max_outstanding);

  // After queueing replies: `waiting` is what still sits behind the socket's write buffer.
  action after_queue(uint64_t waiting);
  // After the kernel took bytes: `remaining` is everything not yet written.
  action after_transfer(uint64_t remaining);

  bool paused() const { return paused_; }

 private:
  uint64_t pause_bytes_;
  uint64_t resume_bytes_;
  uint64_t close_bytes_;
  bool paused_ = false;
};

}  // namespace rookery::net
