#pragma once
// The byte layout of a journal segment, with no file I/O, so torn and corrupt tails can be
// tested on plain buffers.
//
//   segment: magic (8 bytes) | first zxid (i64) | record | record | ... | zero fill
//   record:  payload length (u32) | crc32 of zxid and payload (u32) | zxid (i64) | payload
//
// Integers are little-endian. A segment is preallocated with zeros, so a zero length marks
// the end of what was written; a record whose length runs past the data or whose checksum
// fails is the torn tail of a write that never completed.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace rookery::storage::journal_format {

inline constexpr std::size_t segment_header_bytes = 16;
inline constexpr std::size_t record_header_bytes = 16;
// Far above any transaction a frame limit admits; a longer length is garbage.
inline constexpr std::size_t max_payload_bytes = std::size_t{1} << 30;

void append_segment_header(std::vector<char>& out, int64_t first_zxid);
// The first zxid, or nothing when `bytes` does not start with a complete segment header.
std::optional<int64_t> read_segment_header(std::string_view bytes);

void append_record(std::vector<char>& out, int64_t zxid, std::string_view payload);

struct scan_result {
  std::size_t valid_end;  // offset just past the last valid record
  bool torn;              // stopped at bytes that are neither a valid record nor zero fill
  int64_t last_zxid;      // of the last valid record; 0 when there is none
};

// Walks the records of a whole segment (header included) in order and calls fn for each
// valid one. Stops at zero fill, at a torn record, or at a record whose zxid does not
// exceed its predecessor's (written by no correct journal, so treated as torn).
scan_result scan_records(std::string_view segment, const std::function<void(int64_t zxid, std::string_view payload)>& fn);

}  // namespace rookery::storage::journal_format
