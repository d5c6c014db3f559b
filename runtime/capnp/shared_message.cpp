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

}  // namespace rookery
