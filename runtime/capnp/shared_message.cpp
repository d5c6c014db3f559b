#include "runtime/capnp/shared_message.hpp"

#include <cstring>

namespace rookery {

std::shared_ptr<const message_buffer> message_buffer::copy_of(std::string_view bytes) {
  auto words = kj::heapArray<capnp::word>((bytes.size() + sizeof(capnp::word) - 1) / sizeof(capnp::word));
  std::memset(words.begin(), 0, words.size() * sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  return std::make_shared<const message_buffer>(std::move(words));
}

std::shared_ptr<const message_buffer> message_buffer::flatten(capnp::MessageBuilder& message) {
  return std::make_shared<const message_buffer>(capnp::messageToFlatArray(message));
}

message_buffer::message_buffer(std::unique_ptr<capnp::MallocMessageBuilder> built,
                               std::shared_ptr<const void> external)
    : external_(std::move(external)), built_(std::move(built)) {
  auto segments = built_->getSegmentsForOutput();
  segments_ = kj::heapArray<kj::ArrayPtr<const capnp::word>>(segments.begin(), segments.end());
}

std::shared_ptr<const message_buffer> message_buffer::keep(std::unique_ptr<capnp::MallocMessageBuilder> built,
                                                           std::shared_ptr<const void> external) {
  return std::make_shared<const message_buffer>(std::move(built), std::move(external));
}

std::size_t message_buffer::size_in_words() const {
  if (flat()) return words_.size();
  std::size_t words = 0;
  for (const auto& segment : segments_) words += segment.size();
  return words;
}

}  // namespace rookery
