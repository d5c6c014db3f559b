#pragma once
// A Cap'n Proto message riding in a CAF message: encoded once by its sender into immutable,
// word-aligned memory that every receiver shares (no copy per send) and reads in place.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <memory>
#include <string>
#include <string_view>

namespace rookery {

// The words of one encoded message (the flat format: segment table, then segments).
class message_buffer {
 public:
  explicit message_buffer(kj::Array<capnp::word> words) : words_(std::move(words)) {}
  // Copies bytes from elsewhere (an LMDB value, a socket) into word-aligned memory, which
  // Cap'n Proto readers need.
  static std::shared_ptr<const message_buffer> copy_of(std::string_view bytes);
  // Flattens a finished message: one allocation, whatever the builder's segments.
  static std::shared_ptr<const message_buffer> flatten(capnp::MessageBuilder& message);

  std::string_view bytes() const {
    auto raw = words_.asBytes();
    return {reinterpret_cast<const char*>(raw.begin()), raw.size()};
  }
  kj::ArrayPtr<const capnp::word> words() const { return words_.asPtr(); }

 private:
  kj::Array<capnp::word> words_;
};

// Reads a message in place; the traversal limit guards against corrupt input.
template <typename Root>
class message_reader {
 public:
  explicit message_reader(const message_buffer& message) : reader_(message.words(), options()) {}
  typename Root::Reader root() { return reader_.getRoot<Root>(); }

 private:
  static capnp::ReaderOptions options() {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = 64 * 1024 * 1024;
    return o;
  }
  capnp::FlatArrayMessageReader reader_;
};

// What actors send: a shared handle whose type names the root struct, so a message
// handler's signature says what it receives.
template <typename Root>
class shared_message {
 public:
  explicit shared_message(std::shared_ptr<const message_buffer> buffer) : buffer_(std::move(buffer)) {}
  static shared_message flatten(capnp::MessageBuilder& message) {
    return shared_message(message_buffer::flatten(message));
  }

  const message_buffer& buffer() const { return *buffer_; }
  message_reader<Root> read() const { return message_reader<Root>(*buffer_); }

 private:
  std::shared_ptr<const message_buffer> buffer_;
};

// Text for a std::string, every byte of it: KJ's own conversion goes through c_str() and
// would cut "/a\0b" at the NUL, turning it into another path (apply must see every byte to
// answer BADARGUMENTS). std::string keeps the NUL after size() that Text::Reader asks for.
inline capnp::Text::Reader as_text(const std::string& text) { return {text.data(), text.size()}; }
inline std::string_view as_view(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }

// Cap'n Proto Data as the chars the jute codec and std::string work with, and back.
inline std::string_view as_chars(capnp::Data::Reader data) {
  return {reinterpret_cast<const char*>(data.begin()), data.size()};
}
inline capnp::Data::Reader as_data(std::string_view chars) {
  return {reinterpret_cast<const kj::byte*>(chars.data()), chars.size()};
}

}  // namespace rookery
