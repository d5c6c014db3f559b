#pragma once
// The byte layout of a journal segment, with no file I/O, so torn and corrupt tails can be
// tested on plain buffers.
//
//   segment: magic (8 bytes) | first zxid (i64) | record | record | ... | zero fill
//   record:  payload length (u32) | zxid (i64) | crc32 of the payload (u32)
//            | crc32 of the 16 bytes before it (u32) | payload
//
// Integers are little-endian. A segment is preallocated with zeros, so a zero length marks
// the end of what was written.
//
// A crash can tear only the last batch, and a disk writes a 512-byte sector whole or not at
// all, so a torn record shows zeros where one of its sectors did not land, or runs past the
// end of the file. A bad record that shows neither is damage, which must never be mistaken
// for a torn tail: cutting it would drop acknowledged records (etcd's WAL draws the same
// line). The header has a checksum of its own so that a damaged length is caught as damage
// instead of pointing into the zero fill, where it would look torn.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace rookery::storage::journal_format {

inline constexpr std::size_t segment_header_bytes = 16;
inline constexpr std::size_t record_header_bytes = 20;

void append_segment_header(std::vector<char>& out, int64_t first_zxid);
// The first zxid, or nothing when `bytes` does not start with a complete segment header.
std::optional<int64_t> read_segment_header(std::string_view bytes);

void append_record(std::vector<char>& out, int64_t zxid, std::string_view payload);

inline constexpr std::size_t sector_bytes = 512;

enum class scan_end {
  clean,    // the records end at zero fill or at the end of the data
  torn,     // then comes a write a crash interrupted
  damaged,  // then comes something no crash leaves: a flipped bit, a lost sector's garbage
};

struct scan_result {
  std::size_t valid_end;  // offset just past the last valid record
  scan_end end;
  int64_t last_zxid;  // of the last valid record; 0 when there is none
};

// Walks the records of a whole segment (header included; offsets are file offsets, which
// the sector rule needs) in order and calls fn for each valid one, up to the first bad
// record or zero fill. A valid record whose zxid does not exceed its predecessor's (or, for the
// first, is below the segment's first zxid) is damage: no journal writes one and no crash
// makes one.
scan_result scan_records(std::string_view segment, const std::function<void(int64_t zxid, std::string_view payload)>& fn);

}  // namespace rookery::storage::journal_format
