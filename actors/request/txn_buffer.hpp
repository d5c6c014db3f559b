#pragma once
// A transaction encoded once: the same immutable words go to the log and to apply, and are
// shared (not copied) between actors.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <memory>
#include <string_view>

#include "schema/txn.capnp.h"

namespace rookery::request {

class txn_buffer {
 public:
  explicit txn_buffer(kj::Array<capnp::word> words) : words_(std::move(words)) {}
  // Copies bytes read from storage (LMDB values need not be 8-byte aligned).
  static std::shared_ptr<const txn_buffer> copy_of(std::string_view bytes);

  std::string_view bytes() const {
    auto raw = words_.asBytes();
    return {reinterpret_cast<const char*>(raw.begin()), raw.size()};
  }
  kj::ArrayPtr<const capnp::word> words() const { return words_.asPtr(); }

 private:
  kj::Array<capnp::word> words_;
};

using shared_txn = std::shared_ptr<const txn_buffer>;

shared_txn finish_txn(capnp::MessageBuilder& message);

// Reads a txn in place; the traversal limit guards against corrupt input.
class txn_reader {
 public:
  explicit txn_reader(const txn_buffer& txn) : reader_(txn.words(), options()) {}
  schema::Txn::Reader root() { return reader_.getRoot<schema::Txn>(); }

 private:
  static capnp::ReaderOptions options() {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = 64 * 1024 * 1024;
    return o;
  }
  capnp::FlatArrayMessageReader reader_;
};

}  // namespace rookery::request
