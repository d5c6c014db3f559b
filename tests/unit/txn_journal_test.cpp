#include "storage/journal_format.hpp"
#include "storage/storage_error.hpp"
#include "storage/txn_journal.hpp"
#include "tests/unit/support/file_size_limit.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace rookery::storage;
namespace fs = std::filesystem;
namespace format = rookery::storage::journal_format;

namespace {

constexpr int64_t MiB = int64_t{1} << 20;

struct temp_dir {
  fs::path root;
  temp_dir() {
    std::string tmpl = "/tmp/rookery-journal-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  // Small sizes so a few records roll segments over and grow them.
  journal_options opts(int64_t segment = 4096, int64_t preallocate = 1024) const {
    return journal_options{(root / "log").string(), segment, preallocate};
  }
};

using records = std::vector<std::pair<int64_t, std::string>>;

records read_all(const txn_journal& journal, int64_t after = 0) {
  records out;
  journal.for_each_after(after, [&](int64_t z, std::string_view b) { out.emplace_back(z, std::string(b)); });
  return out;
}

void append_range(txn_journal& journal, int64_t from, int64_t to, std::size_t bytes = 100) {
  std::vector<std::string> values;
  for (int64_t z = from; z <= to; ++z) values.push_back(std::string(bytes, static_cast<char>('a' + z % 26)));
  std::vector<log_record> batch;
  for (int64_t z = from; z <= to; ++z) batch.push_back({z, values[static_cast<std::size_t>(z - from)]});
  journal.append(batch);
}

records expected_range(int64_t from, int64_t to, std::size_t bytes = 100) {
  records out;
  for (int64_t z = from; z <= to; ++z) out.emplace_back(z, std::string(bytes, static_cast<char>('a' + z % 26)));
  return out;
}

std::vector<fs::path> segment_files(const temp_dir& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir.root / "log")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_at(const fs::path& p, std::size_t offset, std::string_view bytes) {
  int fd = ::open(p.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

// Where the valid records of a segment file end.
std::size_t valid_end(const fs::path& p) {
  return format::scan_records(read_file(p), [](int64_t, std::string_view) {}).valid_end;
}

// A segment file holding only its header: what is left of one whose records never came.
void write_bare_segment(const temp_dir& dir, int64_t first_zxid, const std::string& name) {
  std::vector<char> header;
  format::append_segment_header(header, first_zxid);
  std::ofstream(dir.root / "log" / name, std::ios::binary).write(header.data(), header.size());
}

}  // namespace

TEST_CASE("journal records survive a reopen, across segments", "[txn_journal]") {
  temp_dir dir;
  const std::string big(MiB, 'B');  // a record bigger than a segment gets a segment of its own
  {
    txn_journal journal(dir.opts());
    CHECK(journal.last_zxid() == 0);
    CHECK(journal.segment_count() == 0);
    CHECK(read_all(journal).empty());
    for (int64_t z = 1; z <= 100; z += 10) append_range(journal, z, z + 9);
    journal.append({{101, big}});
    append_range(journal, 102, 110);
    CHECK(journal.last_zxid() == 110);
    CHECK(journal.segment_count() > 3);
  }
  txn_journal journal(dir.opts());
  CHECK(journal.last_zxid() == 110);
  auto all = read_all(journal);
  REQUIRE(all.size() == 110);
  auto expected = expected_range(1, 100);
  for (std::size_t i = 0; i < 100; ++i) REQUIRE(all[i] == expected[i]);
  CHECK(all[100] == std::make_pair(int64_t{101}, big));
  CHECK(all[109] == expected_range(110, 110)[0]);

  // Appends after a reopen continue where the journal ended.
  append_range(journal, 111, 111);
  CHECK(read_all(journal, 110) == expected_range(111, 111));
}

TEST_CASE("journal append rejects zxids out of order and empty records, writing nothing", "[txn_journal]") {
  temp_dir dir;
  txn_journal journal(dir.opts());
  append_range(journal, 10, 12);

  CHECK_THROWS_AS(journal.append({{12, "dup of last"}}), std::invalid_argument);
  CHECK_THROWS_AS(journal.append({{5, "behind"}}), std::invalid_argument);
  CHECK_THROWS_AS(journal.append({{13, "a"}, {15, "b"}, {14, "c"}}), std::invalid_argument);
  CHECK_THROWS_AS(journal.append({{13, "a"}, {13, "b"}}), std::invalid_argument);
  CHECK_THROWS_AS(journal.append({{13, "a"}, {14, ""}}), std::invalid_argument);
  journal.append({});
  CHECK(journal.last_zxid() == 12);
  CHECK(read_all(journal) == expected_range(10, 12));

  journal.append({{13, "ok"}, {int64_t{1} << 33, "an epoch later"}});
  CHECK(journal.last_zxid() == int64_t{1} << 33);
  CHECK(read_all(journal, 12).size() == 2);
}

TEST_CASE("for_each_after starts after the given zxid in any segment", "[txn_journal]") {
  temp_dir dir;
  txn_journal journal(dir.opts());
  for (int64_t z = 1; z <= 200; z += 20) append_range(journal, z, z + 19);
  CHECK(read_all(journal, -5).size() == 200);
  CHECK(read_all(journal, 200).empty());
  CHECK(read_all(journal, std::numeric_limits<int64_t>::max()).empty());
  for (int64_t after : {0, 1, 19, 20, 21, 99, 150, 199}) {
    INFO("after " << after);
    CHECK(read_all(journal, after) == expected_range(after + 1, 200));
  }
}

TEST_CASE("drop_through deletes covered segments and keeps the newest", "[txn_journal]") {
  temp_dir dir;
  {
    txn_journal journal(dir.opts());
    for (int64_t z = 1; z <= 200; z += 20) append_range(journal, z, z + 19);
    const std::size_t segments = journal.segment_count();
    REQUIRE(segments >= 4);

    journal.drop_through(0);
    CHECK(journal.segment_count() == segments);
    journal.drop_through(120);
    CHECK(journal.segment_count() < segments);
    CHECK(segment_files(dir).size() == journal.segment_count());
    // Whatever is left still holds every record above 120.
    auto rest = read_all(journal, 120);
    CHECK(rest == expected_range(121, 200));

    journal.drop_through(1000);  // the image is past everything
    CHECK(journal.segment_count() == 1);
    CHECK(journal.last_zxid() == 200);
  }
  txn_journal journal(dir.opts());
  CHECK(journal.last_zxid() == 200);
  CHECK(read_all(journal, 200).empty());
  append_range(journal, 201, 201);
  CHECK(read_all(journal, 200) == expected_range(201, 201));
}

TEST_CASE("a torn tail of the newest segment is cut off at reopen", "[txn_journal]") {
  temp_dir dir;
  fs::path newest;
  {
    txn_journal journal(dir.opts(MiB, MiB));
    append_range(journal, 1, 5);
    newest = segment_files(dir).back();
  }
  const std::size_t end = valid_end(newest);
  // A record that was being written when the machine stopped: its first sector landed, the
  // next did not (zeros, as preallocated).
  std::vector<char> torn;
  format::append_record(torn, 6, std::string(2 * format::sector_bytes, 't'));
  const std::size_t landed = (end / format::sector_bytes + 1) * format::sector_bytes - end;
  write_at(newest, end, std::string_view(torn.data(), landed));
  {
    txn_journal journal(dir.opts(MiB, MiB));
    CHECK(journal.last_zxid() == 5);
    CHECK(journal.torn_bytes_cut() > 0);
    CHECK(fs::file_size(newest) == end);
    // Zxid 6 is reused by another transaction, which is shorter than the torn one.
    journal.append({{6, "short"}});
  }
  txn_journal journal(dir.opts(MiB, MiB));
  CHECK(journal.torn_bytes_cut() == 0);
  CHECK(journal.last_zxid() == 6);
  auto all = read_all(journal);
  REQUIRE(all.size() == 6);
  CHECK(all.back() == std::make_pair(int64_t{6}, std::string("short")));
}

TEST_CASE("what lies behind a zeroed header at the tail never comes back as records", "[txn_journal]") {
  temp_dir dir;
  fs::path newest;
  {
    txn_journal journal(dir.opts(MiB, MiB));
    append_range(journal, 1, 2);
    newest = segment_files(dir).back();
  }
  // A crash during a batch of two records: the second landed whole, the first one's first
  // sector did not (it reads as zeros, header included).
  const std::size_t end = valid_end(newest);
  const std::size_t first_payload = 2 * format::sector_bytes;
  std::vector<char> batch;
  format::append_record(batch, 3, std::string(first_payload, 'p'));
  const std::size_t first_length = batch.size();
  format::append_record(batch, 4, "never acknowledged");
  const std::size_t unlanded = (end / format::sector_bytes + 1) * format::sector_bytes - end;
  std::fill(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(unlanded), '\0');
  write_at(newest, end, std::string_view(batch.data(), batch.size()));
  {
    txn_journal journal(dir.opts(MiB, MiB));
    CHECK(journal.last_zxid() == 2);
    CHECK(journal.torn_bytes_cut() > 0);
    // Zxid 3 reused by a record of the same length as the lost one.
    journal.append({{3, std::string(first_payload, 'q')}});
    CHECK(valid_end(newest) == end + first_length);
  }
  txn_journal journal(dir.opts(MiB, MiB));
  CHECK(journal.last_zxid() == 3);
  CHECK(read_all(journal, 2) == records{{3, std::string(first_payload, 'q')}});
}

TEST_CASE("a newest segment whose header never landed is removed at reopen", "[txn_journal]") {
  temp_dir dir;
  {
    txn_journal journal(dir.opts());
    append_range(journal, 1, 3);
  }
  // A crash between creating the next segment and syncing its header.
  std::ofstream(dir.root / "log" / "log.0000000000000004", std::ios::binary) << std::string(10, '\0');
  txn_journal journal(dir.opts());
  CHECK(journal.last_zxid() == 3);
  CHECK(segment_files(dir).size() == 1);
  append_range(journal, 4, 4);
  CHECK(read_all(journal) == expected_range(1, 4));
}

TEST_CASE("a damaged header of the newest segment stops the open instead of dropping its records",
          "[txn_journal]") {
  temp_dir dir;
  fs::path newest;
  {
    txn_journal journal(dir.opts());
    append_range(journal, 1, 3);
    newest = segment_files(dir).back();
  }
  write_at(newest, 0, "X");
  try {
    txn_journal journal(dir.opts());
    FAIL("a segment with records behind a damaged header was opened");
  } catch (const storage_error& e) {
    CHECK(e.what_kind() == storage_error::kind::corrupt);
  }
  CHECK(fs::exists(newest));
}

TEST_CASE("damage inside the newest segment stops the open instead of cutting acknowledged records",
          "[txn_journal]") {
  temp_dir dir;
  fs::path newest;
  const std::size_t payload = 100;  // the damage below lands inside records of this size
  {
    txn_journal journal(dir.opts(MiB, MiB));
    for (int64_t z = 1; z <= 5; ++z) append_range(journal, z, z, payload);
    newest = segment_files(dir).back();
  }
  const std::size_t record = format::record_header_bytes + payload;
  const auto size_before = fs::file_size(newest);
  SECTION("a flipped bit in a record in the middle") {
    write_at(newest, format::segment_header_bytes + 2 * record + 40, "X");
  }
  SECTION("a flipped bit in the last record") {
    write_at(newest, format::segment_header_bytes + 4 * record + 40, "X");
  }
  SECTION("a zeroed length with the rest of its sector written") {
    write_at(newest, format::segment_header_bytes + 3 * record, std::string(4, '\0'));
  }
  try {
    txn_journal journal(dir.opts(MiB, MiB));
    FAIL("a damaged record was taken for a torn tail and cut");
  } catch (const storage_error& e) {
    CHECK(e.what_kind() == storage_error::kind::corrupt);
    CHECK(std::string(e.what()).find("damaged record") != std::string::npos);
  }
  CHECK(fs::file_size(newest) == size_before);
}

TEST_CASE("damage before the newest segment's tail is reported, not skipped", "[txn_journal]") {
  temp_dir dir;
  {
    txn_journal journal(dir.opts());
    for (int64_t z = 1; z <= 100; z += 20) append_range(journal, z, z + 19);
  }
  auto files = segment_files(dir);
  REQUIRE(files.size() >= 2);
  write_at(files.front(), format::segment_header_bytes + format::record_header_bytes + 3, "X");
  txn_journal journal(dir.opts());
  try {
    read_all(journal);
    FAIL("a damaged record in an older segment was read past");
  } catch (const storage_error& e) {
    CHECK(e.what_kind() == storage_error::kind::corrupt);
  }
}

TEST_CASE("no room for the log refuses the write and loses nothing", "[txn_journal]") {
  temp_dir dir;
  const std::size_t value_bytes = 200 * 1024;
  int64_t stored = 0;
  {
    txn_journal journal(dir.opts(64 * MiB, 256 * 1024));
    {
      rookery::test::file_size_limit limit(MiB);
      bool refused = false;
      for (int64_t z = 1; z <= 20 && !refused; ++z) {
        try {
          append_range(journal, z, z, value_bytes);
          stored = z;
        } catch (const storage_error& e) {
          CHECK(e.what_kind() == storage_error::kind::no_space);
          refused = true;
        }
      }
      REQUIRE(refused);
      REQUIRE(stored >= 2);
      CHECK(journal.last_zxid() == stored);
      CHECK(read_all(journal).size() == static_cast<std::size_t>(stored));
    }
    // Room again: the same zxid goes through.
    append_range(journal, stored + 1, stored + 1, value_bytes);
  }
  txn_journal journal(dir.opts(64 * MiB, 256 * 1024));
  CHECK(journal.last_zxid() == stored + 1);
  CHECK(read_all(journal) == expected_range(1, stored + 1, value_bytes));
}

TEST_CASE("an empty newest segment tells where the journal ended, unless the one before it says otherwise",
          "[txn_journal]") {
  temp_dir dir;
  {
    txn_journal journal(dir.opts());
    append_range(journal, 1, 10);
  }
  SECTION("named past the records: the journal ended there") {
    // Segments are named by the zxid they start at; only the name is left of this one.
    write_bare_segment(dir, 40, "log.0000000000000028");
    txn_journal journal(dir.opts());
    CHECK(journal.last_zxid() == 39);
    CHECK_THROWS_AS(journal.append({{39, "covered"}}), std::invalid_argument);
    journal.append({{40, "forty"}});
    CHECK(read_all(journal, 10) == records{{40, "forty"}});
  }
  SECTION("named for a zxid the segment before it holds: dropped") {
    // A removal of a segment whose creation failed, undone by a crash, while zxids 5.. went
    // into the segment before it and were acknowledged.
    write_bare_segment(dir, 5, "log.0000000000000005");
    txn_journal journal(dir.opts());
    CHECK(journal.last_zxid() == 10);
    CHECK(segment_files(dir).size() == 1);
    CHECK_THROWS_AS(journal.append({{10, "again"}}), std::invalid_argument);
    append_range(journal, 11, 11);
    CHECK(read_all(journal) == expected_range(1, 11));
  }
}

TEST_CASE("a removal that fails midway leaves the journal naming the segments still there", "[txn_journal]") {
  temp_dir dir;
  txn_journal journal(dir.opts());
  for (int64_t z = 1; z <= 200; z += 20) append_range(journal, z, z + 19);
  auto files = segment_files(dir);
  const std::size_t segments = journal.segment_count();
  REQUIRE(segments >= 4);
  // The second segment's name now belongs to a directory with something in it: unlink fails.
  const fs::path moved = dir.root / "moved-aside";
  fs::rename(files[1], moved);
  fs::create_directories(files[1] / "x");
  CHECK_THROWS_AS(journal.drop_through(1000), storage_error);
  CHECK(journal.segment_count() == segments - 1);
  CHECK_FALSE(fs::exists(files[0]));

  fs::remove_all(files[1]);
  fs::rename(moved, files[1]);
  const int64_t second_starts = [&] {
    int64_t z = 0;
    journal.for_each_after(0, [&](int64_t zxid, std::string_view) { z = z ? z : zxid; });
    return z;
  }();
  CHECK(read_all(journal) == expected_range(second_starts, 200));
  journal.drop_through(1000);
  CHECK(journal.segment_count() == 1);
}

TEST_CASE("the log directory and its missing parents are created", "[txn_journal]") {
  temp_dir dir;
  journal_options options = dir.opts();
  options.directory = (dir.root / "a" / "b" / "log").string();
  {
    txn_journal journal(options);
    append_range(journal, 1, 2);
  }
  txn_journal journal(options);
  CHECK(read_all(journal) == expected_range(1, 2));
}
