#include "storage/journal_format.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace format = rookery::storage::journal_format;

namespace {
using records = std::vector<std::pair<int64_t, std::string>>;
}  // namespace

TEST_CASE("journal format: records round trip and the scan stops at zero fill", "[journal_format]") {
  std::vector<char> segment;
  format::append_segment_header(segment, 0x500000001);
  format::append_record(segment, 0x500000001, "one");
  format::append_record(segment, 0x500000002, std::string(70000, 'x'));
  format::append_record(segment, 0x600000001, std::string_view("\0z\0", 3));
  const std::size_t end = segment.size();
  segment.resize(end + 4096, '\0');

  std::string_view bytes(segment.data(), segment.size());
  CHECK(format::read_segment_header(bytes) == int64_t{0x500000001});
  records seen;
  auto scan = format::scan_records(bytes, [&](int64_t z, std::string_view p) { seen.emplace_back(z, std::string(p)); });
  CHECK(scan.end == format::scan_end::clean);
  CHECK(scan.valid_end == end);
  CHECK(scan.last_zxid == 0x600000001);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::make_pair(int64_t{0x500000001}, std::string("one")));
  CHECK(seen[1].second == std::string(70000, 'x'));
  CHECK(seen[2].second == std::string("\0z\0", 3));

  // Without zero fill after it, the last record ends the data exactly.
  CHECK(format::scan_records(bytes.substr(0, end), [](int64_t, std::string_view) {}).end == format::scan_end::clean);
}

TEST_CASE("journal format: a bad record ends the valid records, torn told apart from damaged", "[journal_format]") {
  std::vector<char> segment;
  format::append_segment_header(segment, 1);
  format::append_record(segment, 1, "first");
  const std::size_t first_end = segment.size();
  format::append_record(segment, 2, "second record");
  const std::size_t second_end = segment.size();
  auto scan_of = [](const std::vector<char>& s) {
    return format::scan_records(std::string_view(s.data(), s.size()), [](int64_t, std::string_view) {});
  };
  using format::scan_end;

  SECTION("cut inside the payload: runs past the end, torn") {
    auto cut = segment;
    cut.resize(second_end - 3);
    auto scan = scan_of(cut);
    CHECK(scan.end == scan_end::torn);
    CHECK(scan.valid_end == first_end);
    CHECK(scan.last_zxid == 1);
  }
  SECTION("cut inside the header: torn") {
    auto cut = segment;
    cut.resize(first_end + 6);
    CHECK(scan_of(cut).end == scan_end::torn);
    CHECK(scan_of(cut).valid_end == first_end);
  }
  SECTION("a few bytes at the end, too few for a header: torn") {
    auto cut = segment;
    cut.push_back('\x01');
    cut.push_back('\x02');
    CHECK(scan_of(cut).end == scan_end::torn);
    CHECK(scan_of(cut).valid_end == second_end);
  }
  SECTION("a damaged length, even one pointing into the zero fill: damaged") {
    auto damaged = segment;
    damaged.resize(64 * format::sector_bytes, '\0');
    damaged[first_end + 1] ^= 0x40;  // 13 + 16384 bytes: past the records, into the zeros
    CHECK(scan_of(damaged).end == scan_end::damaged);
    CHECK(scan_of(damaged).valid_end == first_end);
    damaged[first_end + 1] ^= 0x40;
    damaged[first_end + 3] = 0x7f;  // past the end of the file
    CHECK(scan_of(damaged).end == scan_end::damaged);
  }
  SECTION("damage in a record whose zero bytes spill into a sector that landed: damaged") {
    std::vector<char> s;
    format::append_segment_header(s, 1);
    const std::size_t next_sector = format::sector_bytes;
    // Its payload ends in zeros that are all it puts in the next sector; the next record, in
    // that same sector, shows the sector landed.
    std::string payload(next_sector - format::segment_header_bytes - format::record_header_bytes + 3, 'p');
    std::fill(payload.end() - 10, payload.end(), '\0');
    format::append_record(s, 1, payload);
    format::append_record(s, 2, "after");
    s[format::segment_header_bytes + format::record_header_bytes + 5] ^= 0x01;
    CHECK(scan_of(s).end == scan_end::damaged);
    CHECK(scan_of(s).valid_end == format::segment_header_bytes);
  }
  SECTION("a flipped payload byte in sectors that all landed: damaged") {
    auto damaged = segment;
    damaged[second_end - 1] ^= 0x20;
    auto scan = scan_of(damaged);
    CHECK(scan.end == scan_end::damaged);
    CHECK(scan.valid_end == first_end);
  }
  SECTION("a flipped zxid byte: damaged") {
    auto damaged = segment;
    damaged[first_end + 8] ^= 0x01;
    CHECK(scan_of(damaged).end == scan_end::damaged);
    CHECK(scan_of(damaged).valid_end == first_end);
  }
  SECTION("a record whose later sector never landed: torn") {
    auto torn = segment;
    format::append_record(torn, 3, std::string(2 * format::sector_bytes, 'x'));
    const std::size_t next_sector = (second_end / format::sector_bytes + 1) * format::sector_bytes;
    std::fill(torn.begin() + static_cast<std::ptrdiff_t>(next_sector), torn.end(), '\0');
    auto scan = scan_of(torn);
    CHECK(scan.end == scan_end::torn);
    CHECK(scan.valid_end == second_end);
    CHECK(scan.last_zxid == 2);
  }
  SECTION("a zxid that does not increase: damaged") {
    std::vector<char> s;
    format::append_segment_header(s, 5);
    format::append_record(s, 5, "a");
    const std::size_t end = s.size();
    format::append_record(s, 5, "again");
    CHECK(scan_of(s).end == scan_end::damaged);
    CHECK(scan_of(s).valid_end == end);
  }
  SECTION("a first record below the segment's first zxid: damaged") {
    std::vector<char> s;
    format::append_segment_header(s, 7);
    format::append_record(s, 6, "before the segment");
    CHECK(scan_of(s).end == scan_end::damaged);
    CHECK(scan_of(s).valid_end == format::segment_header_bytes);
  }
  SECTION("a zero length with bytes written in the rest of its sector: damaged") {
    auto damaged = segment;
    damaged.resize(second_end + format::record_header_bytes + 8, '\0');
    damaged[second_end + 9] = 1;
    auto scan = scan_of(damaged);
    CHECK(scan.end == scan_end::damaged);
    CHECK(scan.valid_end == second_end);
  }
  SECTION("a zero length whose sector never landed, with a later sector written: torn") {
    auto torn = segment;
    torn.resize(3 * format::sector_bytes, '\0');
    torn[2 * format::sector_bytes + 7] = 1;
    auto scan = scan_of(torn);
    CHECK(scan.end == scan_end::torn);
    CHECK(scan.valid_end == second_end);
  }
  CHECK_FALSE(format::read_segment_header(std::string_view("RKJRNL0", 7)));
  CHECK_FALSE(format::read_segment_header(std::string_view("NOTOURS!12345678", 16)));
}
