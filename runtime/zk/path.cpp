#include "runtime/zk/path.hpp"

#include <cstdint>

namespace rookery::zk {
namespace {

// Java sees a code point above U+FFFF as a surrogate pair (U+D800-U+DFFF), which
// validatePath rejects like any other character in U+D800-U+F8FF.
bool forbidden_code_point(uint32_t c) {
  return c == 0 || (c >= 0x01 && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xF8FF) ||
         c >= 0xFFF0;
}

// Decodes one UTF-8 sequence (lenient about overlong forms, like Java's decoder is about
// what it accepts); returns false on a truncated sequence.
bool next_code_point(std::string_view text, std::size_t& at, uint32_t& code_point) {
  auto byte = [&](std::size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byte(at);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || at + length > text.size()) return false;
  code_point = length == 1 ? lead : length == 2 ? (lead & 0x1F) : length == 3 ? (lead & 0x0F) : (lead & 0x07);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return false;
    code_point = (code_point << 6) | (byte(at + i) & 0x3F);
  }
  at += length;
  return true;
}

}  // namespace

bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  std::size_t component_start = 1;
  for (std::size_t at = 1; at <= path.size();) {
    if (at == path.size() || path[at] == '/') {
      auto component = path.substr(component_start, at - component_start);
      if (component.empty() || component == "." || component == "..") return false;
      component_start = ++at;
      continue;
    }
    uint32_t code_point = 0;
    if (!next_code_point(path, at, code_point) || forbidden_code_point(code_point)) return false;
  }
  return true;
}

}  // namespace rookery::zk
