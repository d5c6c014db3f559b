#pragma once
// Splitting the bytes a connection is sent back into ZooKeeper reply frames (§3.5 header:
// length, xid, zxid, err; then the record).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/jute/jute.hpp"

namespace rookery::test {

struct frame {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  std::string body;
  std::string raw;  // the whole frame, length prefix included
};

inline std::vector<frame> frames_of(const std::string& bytes) {
  std::vector<frame> frames;
  std::size_t at = 0;
  while (at < bytes.size()) {
    REQUIRE(bytes.size() - at >= 4);
    int32_t length = jute::get_int(bytes.data() + at);
    REQUIRE(length >= 16);
    REQUIRE(at + 4 + static_cast<std::size_t>(length) <= bytes.size());
    jute::reader r(bytes.data() + at + 4, static_cast<std::size_t>(length));
    frame f;
    f.xid = r.read_int();
    f.zxid = r.read_long();
    f.err = r.read_int();
    f.body.assign(bytes.data() + at + 20, static_cast<std::size_t>(length) - 16);
    f.raw.assign(bytes.data() + at, static_cast<std::size_t>(length) + 4);
    frames.push_back(std::move(f));
    at += 4 + static_cast<std::size_t>(length);
  }
  return frames;
}

}  // namespace rookery::test
