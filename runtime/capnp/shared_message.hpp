#pragma once
// A Cap'n Proto message riding in a CAF message: encoded once by its sender into immutable,
// word-aligned memory that every receiver shares (no copy per send) and reads in place.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rookery {

// One encoded message: either flat words (the format the log and the image store, one
// allocation), or a message kept as it was built, whose large blobs may point into memory it
// does not own (Orphanage::referenceExternalData) so that big payloads travel between roles
// without a copy; `external` keeps that memory alive.
class message_buffer {
 public:
  explicit message_buffer(kj::Array<capnp::word> words) : words_(std::move(words)) {}
  message_buffer(std::unique_ptr<capnp::MallocMessageBuilder> built, std::shared_ptr<const void> external);
  // Copies bytes from elsewhere (an LMDB value, a socket) into word-aligned memory, which
  // Cap'n Proto readers need.
  static std::shared_ptr<const message_buffer> copy_of(std::string_view bytes);
  // Flattens a finished message: one allocation, whatever the builder's segments.
  static std::shared_ptr<const message_buffer> flatten(capnp::MessageBuilder& message);
  static std::shared_ptr<const message_buffer> keep(std::unique_ptr<capnp::MallocMessageBuilder> built,
                                                    std::shared_ptr<const void> external = nullptr);

  bool flat() const { return built_ == nullptr; }
  // The flat encoding; a kept message has none.
  std::string_view bytes() const {
    assert(flat());
    auto raw = words_.asBytes();
    return {reinterpret_cast<const char*>(raw.begin()), raw.size()};
  }
  kj::ArrayPtr<const capnp::word> words() const {
    assert(flat());
    return words_.asPtr();
  }
  // A kept message's segments.
  kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments() const { return segments_.asPtr(); }
  std::size_t size_in_words() const;

 private:
  kj::Array<capnp::word> words_;
  std::shared_ptr<const void> external_;  // outlives built_, which points into it
  std::unique_ptr<capnp::MallocMessageBuilder> built_;
  kj::Array<kj::ArrayPtr<const capnp::word>> segments_;
};

// Reads a message in place; the traversal limit guards against corrupt input.
template <typename Root>
class message_reader {
 public:
  explicit message_reader(const message_buffer& message) {
    if (message.flat()) reader_ = &flat_.emplace(message.words(), options(message));
    else reader_ = &kept_.emplace(message.segments(), options(message));
  }
  typename Root::Reader root() { return reader_->getRoot<Root>(); }

 private:
  // The limit stops a corrupt message from making a reader walk far more than its size, yet
  // lets a large message be read a few times over.
  static capnp::ReaderOptions options(const message_buffer& message) {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = std::max<uint64_t>(64 * 1024 * 1024, 4 * message.size_in_words());
    return o;
  }
  std::optional<capnp::FlatArrayMessageReader> flat_;
  std::optional<capnp::SegmentArrayMessageReader> kept_;
  capnp::MessageReader* reader_ = nullptr;
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
  static shared_message keep(std::unique_ptr<capnp::MallocMessageBuilder> built,
                             std::shared_ptr<const void> external = nullptr) {
    return shared_message(message_buffer::keep(std::move(built), std::move(external)));
  }

  const message_buffer& buffer() const { return *buffer_; }
  const std::shared_ptr<const message_buffer>& shared_buffer() const { return buffer_; }
  message_reader<Root> read() const { return message_reader<Root>(*buffer_); }

 private:
  std::shared_ptr<const message_buffer> buffer_;
};

// Text for a std::string, every byte of it: KJ's own conversion goes through c_str() and
// would cut "/a\0b" at the NUL, turning it into another path (apply must see every byte to
// answer BADARGUMENTS). std::string keeps the NUL after size() that Text::Reader asks for.
inline capnp::Text::Reader as_text(const std::string& text) { return {text.data(), text.size()}; }
inline std::string_view as_view(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }

// Blobs from this size on are worth referencing in place (Orphanage::referenceExternalData)
// rather than copying, where their memory can be kept alive with the message.
constexpr std::size_t external_blob_bytes = 4096;

// Cap'n Proto Data as the chars the jute codec and std::string work with, and back.
inline std::string_view as_chars(capnp::Data::Reader data) {
  return {reinterpret_cast<const char*>(data.begin()), data.size()};
}
inline capnp::Data::Reader as_data(std::string_view chars) {
  return {reinterpret_cast<const kj::byte*>(chars.data()), chars.size()};
}

}  // namespace rookery
