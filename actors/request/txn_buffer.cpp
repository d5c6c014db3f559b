#include "actors/request/txn_buffer.hpp"

#include <cstring>

namespace rookery::request {

shared_txn txn_buffer::copy_of(std::string_view bytes) {
  auto words = kj::heapArray<capnp::word>((bytes.size() + sizeof(capnp::word) - 1) / sizeof(capnp::word));
  std::memset(words.begin(), 0, words.size() * sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  return std::make_shared<const txn_buffer>(std::move(words));
}

shared_txn finish_txn(capnp::MessageBuilder& message) {
  return std::make_shared<const txn_buffer>(capnp::messageToFlatArray(message));
}

}  // namespace rookery::request
