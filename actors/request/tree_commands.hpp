#pragma once
// The one ordered stream from the sequencer to the tree. The tree carries out each command
// against the state it has reached when the command arrives, and FIFO delivery between the
// two actors is what keeps a connection's replies in order and its reads behind its writes:
// the sequencer sends a read only after the commits it must see. Payloads stay in the
// Cap'n Proto messages they came in (the txn, the client's request batch, the connect
// request), shared, not copied.
#include <memory>
#include <variant>
#include <vector>

#include "actors/request/client_messages.hpp"
#include "actors/request/txn_buffer.hpp"

namespace rookery::request {

// Apply a durable txn; answer its writer unless `connection` is 0 (internal, or the writer
// has gone).
struct commit_command {
  int64_t zxid;
  shared_txn txn;
  connection_id connection;
  int32_t xid;
  int32_t opcode;
};

// Answer request `index` of `batch`: a read, a reply the session actor already made, or a
// write whose record did not decode.
struct request_command {
  request_batch batch;
  uint32_t index;
  std::shared_ptr<const acl::identities> who;
  // The session's closeSession is proposed but not yet committed.
  bool session_closing;
};

// A write the log could not persist: answered with `error`, never applied.
struct refuse_command {
  connection_id connection;
  int32_t xid;
  int32_t error;
};

// Re-attach a session, or refuse a client that has seen a newer zxid than the tree.
struct attach_command {
  connect_request_message request;
  bool session_closing;
};

// A createSession the log could not persist.
struct connect_refused_command {
  connection_id connection;
};

using tree_command =
    std::variant<commit_command, request_command, refuse_command, attach_command, connect_refused_command>;
using tree_commands = std::vector<tree_command>;

}  // namespace rookery::request
