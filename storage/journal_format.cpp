#include "storage/journal_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace rookery::storage::journal_format {
namespace {

constexpr char magic[8] = {'R', 'K', 'J', 'R', 'N', 'L', '0', '1'};

void put_le(char* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_le(const char* in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// The checksum covers the zxid too, so a record copied to the wrong place does not pass.
uint32_t checksum(const char* zxid_bytes, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(zxid_bytes), 8);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

bool all_zeros(std::string_view bytes) { return bytes.find_first_not_of('\0') == std::string_view::npos; }

// Whether some sector's share of [begin, end) is all zeros, as a sector that never landed
// leaves it in a preallocated file.
bool has_unlanded_sector(std::string_view segment, std::size_t begin, std::size_t end) {
  for (std::size_t at = begin; at < end;) {
    const std::size_t share_end = std::min(end, (at / sector_bytes + 1) * sector_bytes);
    if (all_zeros(segment.substr(at, share_end - at))) return true;
    at = share_end;
  }
  return false;
}

}  // namespace

void append_segment_header(std::vector<char>& out, int64_t first_zxid) {
  out.insert(out.end(), magic, magic + sizeof magic);
  char zxid[8];
  put_le(zxid, static_cast<uint64_t>(first_zxid), 8);
  out.insert(out.end(), zxid, zxid + 8);
}

std::optional<int64_t> read_segment_header(std::string_view bytes) {
  if (bytes.size() < segment_header_bytes || std::memcmp(bytes.data(), magic, sizeof magic) != 0) return std::nullopt;
  return static_cast<int64_t>(get_le(bytes.data() + 8, 8));
}

void append_record(std::vector<char>& out, int64_t zxid, std::string_view payload) {
  char header[record_header_bytes];
  put_le(header, payload.size(), 4);
  put_le(header + 8, static_cast<uint64_t>(zxid), 8);
  put_le(header + 4, checksum(header + 8, payload), 4);
  out.insert(out.end(), header, header + sizeof header);
  out.insert(out.end(), payload.begin(), payload.end());
}

scan_result scan_records(std::string_view segment,
                         const std::function<void(int64_t zxid, std::string_view payload)>& fn) {
  scan_result result{segment_header_bytes, scan_end::clean, 0};
  std::size_t at = segment_header_bytes;
  while (at < segment.size()) {
    const std::size_t left = segment.size() - at;
    const char* header = segment.data() + at;
    const std::size_t length = left >= 4 ? get_le(header, 4) : 0;
    if (length == 0) {
      if (segment.find_first_not_of('\0', at) == std::string_view::npos) break;
      // Something was written past a zero length: a torn write only if the length's sector
      // did not land, which leaves zeros from here to that sector's end.
      const std::size_t sector_end = std::min(segment.size(), (at / sector_bytes + 1) * sector_bytes);
      result.end = all_zeros(segment.substr(at, sector_end - at)) ? scan_end::torn : scan_end::damaged;
      break;
    }
    if (left < record_header_bytes || length > max_payload_bytes || length > left - record_header_bytes) {
      result.end = scan_end::torn;
      break;
    }
    const auto zxid = static_cast<int64_t>(get_le(header + 8, 8));
    std::string_view payload(header + record_header_bytes, length);
    if (checksum(header + 8, payload) != static_cast<uint32_t>(get_le(header + 4, 4))) {
      result.end = has_unlanded_sector(segment, at, at + record_header_bytes + length) ? scan_end::torn
                                                                                        : scan_end::damaged;
      break;
    }
    if (result.last_zxid != 0 && zxid <= result.last_zxid) {
      result.end = scan_end::damaged;
      break;
    }
    fn(zxid, payload);
    result.last_zxid = zxid;
    at += record_header_bytes + length;
    result.valid_end = at;
  }
  return result;
}

}  // namespace rookery::storage::journal_format
