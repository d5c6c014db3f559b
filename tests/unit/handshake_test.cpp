// The connect handshake records (§2.1, §2.2) and timeout negotiation (§2.3 step 5).
// Bytes are written by hand from the reference, not with the production jute writer.
#include <catch2/catch.hpp>

#include <climits>
#include <cstdint>
#include <string>

#include "runtime/config/server_config.hpp"
#include "runtime/zk/handshake.hpp"
#include "tests/unit/support/hex.hpp"

using namespace rookery::zk;
using rookery::test::to_hex;
using rookery::test::unhex;

namespace {

// A Java client re-attaching: lastZxidSeen 0x1234, timeOut 30000, sessionId
// 0x0100007a52ca0000, the password of §2.2's example, readOnly 1 (45 bytes).
const std::string password_hex = "24939094e12f86cfa25493d492ddbef7";
const std::string reattach_hex =
    "00000000"                          // protocolVersion
    "0000000000001234"                  // lastZxidSeen
    "00007530"                          // timeOut 30000
    "0100007a52ca0000"                  // sessionId
    "00000010" + password_hex;          // passwd
const std::string reattach_44 = unhex(reattach_hex);
const std::string reattach_45 = unhex(reattach_hex + "01");

}  // namespace

TEST_CASE("ConnectRequest with the trailing readOnly byte (45 bytes)") {
  REQUIRE(reattach_45.size() == 45);
  auto r = parse_connect_request(reattach_45);
  REQUIRE(r);
  CHECK(r->protocol_version == 0);
  CHECK(r->last_zxid_seen == 0x1234);
  CHECK(r->timeout_ms == 30000);
  CHECK(r->session_id == 0x0100007a52ca0000);
  CHECK(to_hex(r->password) == password_hex);
  CHECK(r->has_read_only_byte);
  CHECK(r->read_only);

  SECTION("readOnly 0 is still a trailing byte") {
    auto zero = parse_connect_request(unhex(reattach_hex + "00"));
    REQUIRE(zero);
    CHECK(zero->has_read_only_byte);
    CHECK_FALSE(zero->read_only);
  }
  SECTION("any non-zero byte reads as true (§1.2)") {
    auto two = parse_connect_request(unhex(reattach_hex + "02"));
    REQUIRE(two);
    CHECK(two->read_only);
  }
}

TEST_CASE("ConnectRequest without the readOnly byte (44 bytes, pre-3.4 client)") {
  REQUIRE(reattach_44.size() == 44);
  auto r = parse_connect_request(reattach_44);
  REQUIRE(r);
  CHECK(r->last_zxid_seen == 0x1234);
  CHECK(r->timeout_ms == 30000);
  CHECK(r->session_id == 0x0100007a52ca0000);
  CHECK(to_hex(r->password) == password_hex);
  CHECK_FALSE(r->has_read_only_byte);
  CHECK_FALSE(r->read_only);
}

TEST_CASE("a brand-new client's ConnectRequest") {
  // §2.1: sessionId 0, 16 zero password bytes, lastZxidSeen 0; a non-zero protocolVersion
  // is read but ignored by the server.
  auto r = parse_connect_request(unhex("00000000 0000000000000000 00002710 0000000000000000 00000010"
                                       "00000000000000000000000000000000 00"));
  REQUIRE(r);
  CHECK(r->timeout_ms == 10000);
  CHECK(r->session_id == 0);
  CHECK(r->last_zxid_seen == 0);
  CHECK(r->password == std::string(16, '\0'));
  CHECK(r->has_read_only_byte);
  CHECK_FALSE(r->read_only);

  auto odd = parse_connect_request(unhex("00000007 0000000000000000 ffffffff 0000000000000000 ffffffff"));
  REQUIRE(odd);
  CHECK(odd->protocol_version == 7);
  CHECK(odd->timeout_ms == -1);
  CHECK(odd->password.empty());  // a null buffer reads as an empty password
  CHECK_FALSE(odd->has_read_only_byte);
}

TEST_CASE("a truncated or malformed ConnectRequest is refused") {
  for (std::size_t n = 0; n < reattach_44.size(); ++n) {
    INFO("first " << n << " bytes");
    CHECK_FALSE(parse_connect_request(std::string_view(reattach_44.data(), n)));
  }
  // A password length larger than what is left, and a negative length other than -1.
  CHECK_FALSE(parse_connect_request(unhex("00000000 0000000000000000 00002710 0000000000000000 00000011"
                                          "00000000000000000000000000000000")));
  CHECK_FALSE(parse_connect_request(unhex("00000000 0000000000000000 00002710 0000000000000000 fffffffe"
                                          "00000000000000000000000000000000 00")));
}

TEST_CASE("ConnectResponse frames are byte-exact (§2.2)") {
  const std::string password = unhex(password_hex);

  SECTION("the observed example: 41-byte frame with the readOnly byte") {
    std::string f = connect_response_frame(10000, 0x0100007a52ca0000, password, true);
    CHECK(f.size() == 41);
    CHECK(to_hex(f) == "00000025"
                       "00000000"
                       "00002710"
                       "0100007a52ca0000"
                       "00000010" + password_hex +
                       "00");
  }

  SECTION("a pre-3.4 client gets 40 bytes, no readOnly byte") {
    std::string f = connect_response_frame(10000, 0x0100007a52ca0000, password, false);
    CHECK(f.size() == 40);
    CHECK(to_hex(f) == "00000024"
                       "00000000"
                       "00002710"
                       "0100007a52ca0000"
                       "00000010" + password_hex);
  }

  SECTION("an invalid session: timeout 0, id 0, 16 zero bytes (Java and C both detect it)") {
    std::string zeros(32, '0');
    CHECK(to_hex(connect_response_frame(0, 0, "", true)) ==
          "00000025" "00000000" "00000000" "0000000000000000" "00000010" + zeros + "00");
    CHECK(to_hex(connect_response_frame(0, 0, "", false)) ==
          "00000024" "00000000" "00000000" "0000000000000000" "00000010" + zeros);
  }

  SECTION("the password is always exactly 16 bytes") {
    // Shorter is padded with zeros, longer is cut: the C client copies exactly 16.
    std::string short_frame = connect_response_frame(4000, 1, "abc", true);
    CHECK(short_frame.size() == 41);
    CHECK(to_hex(short_frame.substr(20, 20)) == "00000010" + to_hex("abc") + std::string(26, '0'));

    std::string long_frame = connect_response_frame(4000, 1, std::string(40, 'x'), false);
    CHECK(long_frame.size() == 40);
    CHECK(long_frame.substr(20, 4) == unhex("00000010"));
    CHECK(long_frame.substr(24) == std::string(16, 'x'));
  }

  SECTION("large and negative values are written big-endian, two's complement") {
    std::string f = connect_response_frame(INT32_MAX, -2, password, true);
    CHECK(to_hex(f.substr(8, 12)) == "7fffffff" "fffffffffffffffe");
    CHECK(f.back() == '\0');  // a standalone server is never read-only (§12)
  }
}

TEST_CASE("negotiate_timeout clamps into [min, max] (§2.3 step 5)") {
  // Observed with tickTime 2000 (min 4000, max 40000): 0 and 1000 gave 4000, 10^8 gave 40000.
  rookery::server_config config;
  config.tick_time_ms = 2000;
  const int32_t min = config.effective_min_session_timeout();
  const int32_t max = config.effective_max_session_timeout();
  REQUIRE(min == 4000);
  REQUIRE(max == 40000);

  CHECK(negotiate_timeout(0, min, max) == 4000);
  CHECK(negotiate_timeout(1000, min, max) == 4000);
  CHECK(negotiate_timeout(100'000'000, min, max) == 40000);
  CHECK(negotiate_timeout(10000, min, max) == 10000);
  CHECK(negotiate_timeout(3999, min, max) == 4000);
  CHECK(negotiate_timeout(4000, min, max) == 4000);
  CHECK(negotiate_timeout(4001, min, max) == 4001);
  CHECK(negotiate_timeout(39999, min, max) == 39999);
  CHECK(negotiate_timeout(40000, min, max) == 40000);
  CHECK(negotiate_timeout(40001, min, max) == 40000);
  CHECK(negotiate_timeout(-1, min, max) == 4000);
  CHECK(negotiate_timeout(INT32_MIN, min, max) == 4000);
  CHECK(negotiate_timeout(INT32_MAX, min, max) == 40000);

  // Explicit bounds, including min == max.
  CHECK(negotiate_timeout(5, 100, 100) == 100);
  CHECK(negotiate_timeout(500, 100, 100) == 100);
  CHECK(negotiate_timeout(7000, 6000, 8000) == 7000);
}

#include "runtime/zk/records.hpp"

TEST_CASE("AuthPacket: scheme and auth bytes, truncated input throws") {
  // §15: digest user:pw, without the length and request header.
  auto body = unhex("00000000 00000006 646967657374 00000007 757365723a7077");
  auto packet = read_auth_packet(body);
  CHECK(packet.scheme == "digest");
  CHECK(packet.auth == "user:pw");
  CHECK_THROWS_AS(read_auth_packet(std::string_view(body).substr(0, body.size() - 1)), rookery::jute::decode_error);
}
