#include "runtime/jute/jute.hpp"

#include <cstring>

namespace rookery::jute {

int32_t get_int(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                              (uint32_t{b[2]} << 8) | uint32_t{b[3]});
}

void put_int_at(std::string& out, std::size_t offset, int32_t value) {
  auto v = static_cast<uint32_t>(value);
  out[offset] = static_cast<char>(v >> 24);
  out[offset + 1] = static_cast<char>(v >> 16);
  out[offset + 2] = static_cast<char>(v >> 8);
  out[offset + 3] = static_cast<char>(v);
}

const char* reader::take(std::size_t n) {
  if (n > remaining()) throw decode_error("record truncated");
  const char* at = data_ + offset_;
  offset_ += n;
  return at;
}

int32_t reader::read_int() { return get_int(take(4)); }

int64_t reader::read_long() {
  const char* at = take(8);
  auto high = static_cast<uint32_t>(get_int(at));
  auto low = static_cast<uint32_t>(get_int(at + 4));
  return static_cast<int64_t>((uint64_t{high} << 32) | low);
}

bool reader::read_bool() { return *take(1) != 0; }

std::optional<std::string_view> reader::read_nullable_view() {
  int32_t length = read_int();
  if (length < -1) throw decode_error("negative length");
  if (length == -1) return std::nullopt;
  if (static_cast<std::size_t>(length) > remaining()) throw decode_error("length beyond end of record");
  return std::string_view{take(static_cast<std::size_t>(length)), static_cast<std::size_t>(length)};
}

std::optional<std::string> reader::read_buffer() {
  auto bytes = read_nullable_view();
  if (!bytes) return std::nullopt;
  return std::string(*bytes);
}

std::string_view reader::read_ustring_view() { return read_nullable_view().value_or(std::string_view{}); }

std::string reader::read_ustring() { return std::string(read_ustring_view()); }

std::string_view reader::read_path_view() {
  auto path = read_nullable_view();
  if (!path) throw decode_error("null path");
  return *path;
}

std::string reader::read_path() { return std::string(read_path_view()); }

std::optional<int32_t> reader::read_count(std::size_t min_element_size) {
  int32_t count = read_int();
  if (count < -1) throw decode_error("negative vector count");
  if (count < 0) return std::nullopt;
  if (static_cast<std::size_t>(count) * min_element_size > remaining())
    throw decode_error("vector count beyond end of record");
  return count;
}

std::optional<std::vector<std::string>> reader::read_ustring_vector() {
  auto count = read_count(4);
  if (!count) return std::nullopt;
  std::vector<std::string> values;
  values.reserve(static_cast<std::size_t>(*count));
  for (int32_t i = 0; i < *count; ++i) values.push_back(read_ustring());
  return values;
}

void writer::write_int(int32_t value) {
  auto v = static_cast<uint32_t>(value);
  char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                   static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(bytes, 4);
}

void writer::write_long(int64_t value) {
  auto v = static_cast<uint64_t>(value);
  write_int(static_cast<int32_t>(v >> 32));
  write_int(static_cast<int32_t>(v & 0xffffffffu));
}

void writer::write_bool(bool value) { out_.push_back(value ? 1 : 0); }

void writer::write_buffer(const std::optional<std::string>& value) {
  if (!value) return write_null_buffer();
  write_buffer(std::string_view(*value));
}

void writer::write_buffer(std::string_view value) {
  write_int(static_cast<int32_t>(value.size()));
  out_.append(value.data(), value.size());
}

void writer::write_ustring(std::string_view value) { write_buffer(value); }

void writer::write_ustring_vector(const std::vector<std::string>& values) {
  write_int(static_cast<int32_t>(values.size()));
  for (const auto& v : values) write_ustring(v);
}

std::size_t writer::begin_frame() {
  std::size_t start = out_.size();
  write_int(0);
  return start;
}

void writer::end_frame(std::size_t frame_start) {
  put_int_at(out_, frame_start, static_cast<int32_t>(out_.size() - frame_start - 4));
}

}  // namespace rookery::jute
