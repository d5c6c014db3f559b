#pragma once
// Splits a client's byte stream into frames (4-byte big-endian length + payload). The very
// first four bytes of a connection may instead be a four-letter word. Pure: bytes in,
// frames out, so the broker that owns the socket only moves bytes.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::net {

class frame_splitter {
 public:
  enum class status { ok, four_letter_word, bad_length };

  frame_splitter(int32_t max_frame_bytes, const std::set<std::string>* four_letter_words)
      : max_frame_bytes_(max_frame_bytes), four_letter_words_(four_letter_words) {}

  // Appends complete frames to `frames`. After four_letter_word or bad_length the
  // connection is done: word() tells which word, bad_length() the offending length.
  status feed(std::string_view bytes, std::vector<std::string>& frames);
  const std::string& word() const { return word_; }
  int64_t bad_length() const { return bad_length_; }
  // A frame is partly received: the peer stalled mid-frame if this stays true.
  bool mid_frame() const { return !pending_.empty(); }
  // Too few bytes yet to tell a four-letter word from the first frame's length.
  bool first_word_undecided() const { return first_frame_ && pending_.size() < 4; }

 private:
  int32_t max_frame_bytes_;
  const std::set<std::string>* four_letter_words_;
  bool first_frame_ = true;
  std::string pending_;
  std::string word_;
  int64_t bad_length_ = 0;
};

}  // namespace rookery::net
