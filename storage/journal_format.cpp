#include "storage/journal_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace rookery::storage::journal_format {
namespace {

constexpr char magic[8] = {'R', 'K', 'J', 'R', 'N', 'L', '0', '2'};

void put_le(char* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_le(const char* in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

uint32_t checksum(const char* bytes, std::size_t size) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes), static_cast<uInt>(size)));
}

bool all_zeros(std::string_view bytes) { return bytes.find_first_not_of('\0') == std::string_view::npos; }

// Whether a sector holding some of [begin, end) never landed. The batch that wrote those
// bytes wrote the rest of each such sector too (from `begin` on; what lies past the batch is
// zero fill), so a sector that never landed reads as zeros from max(begin, its start) to its
// end.
bool has_unlanded_sector(std::string_view segment, std::size_t begin, std::size_t end) {
  for (std::size_t at = begin; at < end && at < segment.size();) {
    const std::size_t sector_end = std::min(segment.size(), (at / sector_bytes + 1) * sector_bytes);
    if (all_zeros(segment.substr(at, sector_end - at))) return true;
    at = sector_end;
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
  put_le(header + 4, static_cast<uint64_t>(zxid), 8);
  put_le(header + 12, checksum(payload.data(), payload.size()), 4);
  put_le(header + 16, checksum(header, 16), 4);
  out.insert(out.end(), header, header + sizeof header);
  out.insert(out.end(), payload.begin(), payload.end());
}

scan_result scan_records(std::string_view segment,
                         const std::function<void(int64_t zxid, std::string_view payload)>& fn) {
  scan_result result{segment_header_bytes, scan_end::clean, 0};
  // Every zxid exceeds the one before it, and the first is at least the segment's own.
  int64_t floor = read_segment_header(segment).value_or(1) - 1;
  auto stop = [&](scan_end end) { result.end = end; };
  std::size_t at = segment_header_bytes;
  while (at < segment.size()) {
    const std::size_t left = segment.size() - at;
    const char* header = segment.data() + at;
    if (left < record_header_bytes) {
      if (!all_zeros(segment.substr(at))) stop(scan_end::torn);
      break;
    }
    const std::size_t length = get_le(header, 4);
    if (length == 0) {
      // Zero fill, unless something was written past it: then torn only if the length's
      // sector never landed.
      if (segment.find_first_not_of('\0', at) != std::string_view::npos)
        stop(has_unlanded_sector(segment, at, at + 4) ? scan_end::torn : scan_end::damaged);
      break;
    }
    if (checksum(header, 16) != static_cast<uint32_t>(get_le(header + 16, 4))) {
      stop(has_unlanded_sector(segment, at, at + record_header_bytes) ? scan_end::torn : scan_end::damaged);
      break;
    }
    if (length > left - record_header_bytes) {
      stop(scan_end::torn);
      break;
    }
    std::string_view payload(header + record_header_bytes, length);
    if (checksum(payload.data(), payload.size()) != static_cast<uint32_t>(get_le(header + 12, 4))) {
      stop(has_unlanded_sector(segment, at, at + record_header_bytes + length) ? scan_end::torn : scan_end::damaged);
      break;
    }
    const auto zxid = static_cast<int64_t>(get_le(header + 4, 8));
    if (zxid <= floor) {
      stop(scan_end::damaged);
      break;
    }
    fn(zxid, payload);
    result.last_zxid = floor = zxid;
    at += record_header_bytes + length;
    result.valid_end = at;
  }
  return result;
}

}  // namespace rookery::storage::journal_format
