#pragma once
// Turns a client's write request (jute) into a transaction (Cap'n Proto), stamped with what
// apply needs to decide it deterministically. Validation happens at apply, not here.
#include <string>

#include "actors/acl/acl_core.hpp"
#include "actors/request/txn_buffer.hpp"
#include "runtime/jute/jute.hpp"

namespace rookery::request {

// Server settings that decide how writes are encoded.
struct write_settings {
  bool ttl_nodes_enabled = false;
};

struct txn_stamp {
  int64_t zxid = 0;
  int64_t time_ms = 0;
  int64_t session = 0;
  const acl::identities* who = nullptr;
  bool ttl_nodes_enabled = false;
};

// Opcodes that become transactions (closeSession included).
bool is_write_opcode(int32_t opcode);

// Throws jute::decode_error when the record is malformed, or a multi holds an op it may not.
shared_txn encode_write(int32_t opcode, jute::reader& body, const txn_stamp& stamp);
shared_txn encode_create_session(const txn_stamp& stamp, int32_t timeout_ms, const std::string& password);
shared_txn encode_close_session(const txn_stamp& stamp);
// The container/TTL reaper's removal of `path`, re-checked when applied.
shared_txn encode_reap(const txn_stamp& stamp, const std::string& path);

}  // namespace rookery::request
