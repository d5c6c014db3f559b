#include <catch2/catch.hpp>

#include "runtime/jute/jute.hpp"

using namespace rookery::jute;

TEST_CASE("jute primitives round-trip in big-endian order") {
  std::string bytes;
  writer w(bytes);
  w.write_int(-2);
  w.write_long(0x0102030405060708);
  w.write_bool(true);
  w.write_buffer(std::optional<std::string>{});
  w.write_buffer(std::string_view(""));
  w.write_ustring("/zookeeper");
  w.write_ustring_vector({"a", "bc"});

  CHECK(bytes.substr(0, 4) == std::string("\xff\xff\xff\xfe", 4));
  CHECK(bytes.substr(4, 8) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));

  reader r(bytes);
  CHECK(r.read_int() == -2);
  CHECK(r.read_long() == 0x0102030405060708);
  CHECK(r.read_bool());
  CHECK_FALSE(r.read_buffer().has_value());
  auto empty = r.read_buffer();
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
  CHECK(r.read_ustring() == "/zookeeper");
  auto names = r.read_ustring_vector();
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"a", "bc"});
  CHECK(r.at_end());
}

TEST_CASE("jute reader rejects malformed input") {
  SECTION("truncated int") {
    reader r("\x00\x01", 2);
    CHECK_THROWS_AS(r.read_int(), decode_error);
  }
  SECTION("buffer length beyond the record") {
    std::string bytes;
    writer(bytes).write_int(100);
    bytes += "abc";
    reader r(bytes);
    CHECK_THROWS_AS(r.read_buffer(), decode_error);
  }
  SECTION("negative length other than -1") {
    std::string bytes;
    writer(bytes).write_int(-5);
    reader r(bytes);
    CHECK_THROWS_AS(r.read_ustring(), decode_error);
  }
  SECTION("vector count that cannot fit") {
    std::string bytes;
    writer(bytes).write_int(0x7fffffff);
    reader r(bytes);
    CHECK_THROWS_AS(r.read_ustring_vector(), decode_error);
  }
}

TEST_CASE("a null path is rejected where a null string reads as empty") {
  std::string bytes;
  writer w(bytes);
  w.write_int(-1);
  w.write_ustring("");
  w.write_ustring("/a");
  reader strings(bytes);
  CHECK(strings.read_ustring().empty());
  CHECK(strings.read_ustring().empty());
  CHECK(strings.read_ustring() == "/a");
  reader paths(bytes);
  CHECK_THROWS_AS(paths.read_path(), decode_error);  // having read the null's length
  CHECK(paths.read_path().empty());
  CHECK(paths.read_path_view() == "/a");
  CHECK(paths.at_end());
}

TEST_CASE("frames get their length patched in") {
  std::string bytes;
  writer w(bytes);
  auto start = w.begin_frame();
  w.write_int(7);
  w.write_long(1);
  w.end_frame(start);
  REQUIRE(bytes.size() == 16);
  CHECK(get_int(bytes.data()) == 12);
}
