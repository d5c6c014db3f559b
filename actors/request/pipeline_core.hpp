#pragma once
// The request pipeline of a standalone server: orders each connection's requests, turns
// writes into transactions with increasing zxids, applies them once they are durable, and
// answers reads against the applied tree. A read that follows a not-yet-applied write of
// the same connection waits for it (read-your-writes, FIFO replies). Pure: no clock (time
// is an argument), no I/O; the actor persists `to_log` and delivers `items`.
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "actors/request/apply_core.hpp"
#include "actors/request/client_messages.hpp"
#include "actors/request/read_core.hpp"
#include "actors/request/txn_buffer.hpp"
#include "actors/request/write_encoder.hpp"

namespace rookery::request {

// Items for the watch manager, which delivers them in order.
struct reply_item {
  connection_id connection;
  std::string frames;
  bool close_after = false;
};
struct watch_item {
  connection_id connection;
  watch_registration registration;
};
struct trigger_item {
  trigger fired;
  int64_t zxid;
};
struct query_item {
  connection_id connection;
  watch_query query;
  int64_t zxid;
};
struct forget_item {
  connection_id connection;
};
using outbox_item = std::variant<reply_item, watch_item, trigger_item, query_item, forget_item>;

struct session_change {
  bool opened = false;  // else closed
  int64_t session = 0;
  int32_t timeout_ms = 0;
};

struct log_entry {
  int64_t zxid;
  shared_txn txn;
};

struct pipeline_output {
  std::vector<log_entry> to_log;
  std::vector<outbox_item> items;
  std::vector<connect_result> connects;
  std::vector<session_change> sessions;
};

class pipeline_core {
 public:
  pipeline_core(storage::data_tree& tree, write_settings write_settings, read_settings read_settings,
                int64_t last_zxid, int64_t first_session_id);

  // Reads the request in place in the session actor's message; copies it only if it has to
  // wait behind a write.
  void submit(schema::ClientRequest::Reader request, int64_t now_ms, pipeline_output& out);
  // `password` is fresh randomness from the caller, used when a new session is created.
  void connect(schema::ConnectRequest::Reader request, const std::string& password, int64_t now_ms,
               pipeline_output& out);
  void connection_closed(connection_id connection, pipeline_output& out);
  // Expiry decided by the session tracker.
  void expire_session(int64_t session, int64_t now_ms, pipeline_output& out);
  // Proposes removal of containers and TTL nodes that are due.
  void reap(int64_t now_ms, pipeline_output& out);
  // The log has everything up to `zxid` on disk: apply and answer.
  void durable_through(int64_t zxid, pipeline_output& out);
  // The log could not persist txns from `first_zxid` on (map or disk full): they are
  // refused with SYSTEMERROR, never applied, and their zxids are reused.
  void abandon_from(int64_t first_zxid, pipeline_output& out);
  // Replays a txn read back from the log at startup (no replies).
  void replay(const txn_buffer& txn);

  int64_t last_applied_zxid() const { return last_applied_; }
  int64_t last_proposed_zxid() const { return last_proposed_; }
  std::size_t outstanding() const { return pending_.size(); }
  const storage::data_tree& tree() const { return tree_; }

 private:
  struct pending_txn {
    int64_t zxid;
    shared_txn txn;
    connection_id connection;  // 0 for internal txns (expiry, reaping)
    int32_t xid;
    int32_t opcode;
  };
  // A request as serve() reads it: borrowed from the message it came in, or from the copy
  // kept while it waited.
  struct request_view {
    connection_id connection;
    int64_t session;
    int32_t xid;
    int32_t opcode;
    std::string_view body;
    const acl::identities* who;
    std::optional<std::string_view> ready_reply;
    bool close_after;
  };
  struct queued {
    bool is_write;
    int64_t zxid;  // for a write: the txn it waits on
    client_request request;  // for a deferred read
  };
  struct connection_state {
    std::deque<queued> waiting;
    int32_t connect_timeout_ms = 0;
    std::string connect_password;
    // The identities this connection's requests carried last. They change only with auth,
    // so they travel and are decoded only then.
    std::shared_ptr<const acl::identities> who = std::make_shared<const acl::identities>();
  };

  void propose(shared_txn txn, connection_id connection, int32_t xid, int32_t opcode, pipeline_output& out);
  txn_stamp stamp(int64_t session, int64_t now_ms, const acl::identities* who);
  static client_request kept(const request_view& request, std::shared_ptr<const acl::identities> who);
  static request_view view_of(const client_request& request);
  void serve(const request_view& request, pipeline_output& out);
  void apply_pending(const pending_txn& txn, pipeline_output& out);
  void release_reads(connection_state& state, pipeline_output& out);

  storage::data_tree& tree_;
  apply_core apply_;
  write_settings write_settings_;
  read_settings read_settings_;
  int64_t last_applied_;
  int64_t last_proposed_;
  int64_t next_session_id_;
  std::deque<pending_txn> pending_;
  std::unordered_map<connection_id, connection_state> connections_;
  std::set<std::string> reaping_;
  // Sessions whose closeSession is proposed but not applied: they can no longer re-attach.
  std::set<int64_t> closing_;
};

}  // namespace rookery::request
