#pragma once
// Apache ZooKeeper's "jute" binary encoding: big-endian ints and longs, length-prefixed
// buffers and strings where length -1 means null, count-prefixed vectors.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::jute {

// Thrown for any input that does not decode: truncated, negative or oversized lengths.
class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads records from one frame's payload. Never reads past `size`; every length is checked
// against what is left, so a hostile length cannot cause a large allocation.
class reader {
 public:
  reader(const char* data, std::size_t size) : data_(data), size_(size) {}
  explicit reader(std::string_view bytes) : reader(bytes.data(), bytes.size()) {}

  int32_t read_int();
  int64_t read_long();
  bool read_bool();
  // A null buffer (length -1) comes back as nullopt; empty and null stay distinct.
  std::optional<std::string> read_buffer();
  // A null string (length -1) reads as empty: most fields treat them alike (sync, which
  // echoes a null, copies the raw field instead; most paths use read_path).
  std::string read_ustring();
  std::string_view read_ustring_view();
  // A path that ZooKeeper dereferences before validating it: a null one is a decode_error,
  // answered MARSHALLINGERROR as ZooKeeper answers its NullPointerException.
  std::string read_path();
  std::string_view read_path_view();
  // A null vector (count -1) reads as nullopt.
  std::optional<std::vector<std::string>> read_ustring_vector();
  // Reads a vector count, rejecting counts that cannot fit in what is left.
  std::optional<int32_t> read_count(std::size_t min_element_size);

  std::size_t remaining() const { return size_ - offset_; }
  bool at_end() const { return offset_ == size_; }
  std::size_t offset() const { return offset_; }

 private:
  const char* take(std::size_t n);
  // The bytes of a buffer or string, or nullopt for null (length -1).
  std::optional<std::string_view> read_nullable_view();

  const char* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
};

// Appends records to a byte string.
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}

  void write_int(int32_t value);
  void write_long(int64_t value);
  void write_bool(bool value);
  void write_buffer(const std::optional<std::string>& value);
  void write_buffer(std::string_view value);
  void write_null_buffer() { write_int(-1); }
  void write_ustring(std::string_view value);
  void write_ustring_vector(const std::vector<std::string>& values);

  // Frames are written with a placeholder length that is patched once the payload is known.
  std::size_t begin_frame();
  void end_frame(std::size_t frame_start);

  std::string& bytes() { return out_; }

 private:
  std::string& out_;
};

void put_int_at(std::string& out, std::size_t offset, int32_t value);
int32_t get_int(const char* bytes);

}  // namespace rookery::jute
