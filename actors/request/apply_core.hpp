#pragma once
// Applies committed transactions to the tree: the only code that changes it. Deterministic:
// the outcome depends only on the tree and the txn (its time, session and identities), so
// every replay of the same log yields the same tree, replies and watch triggers.
#include <memory>
#include <string>
#include <vector>

#include "actors/watch/watch_core.hpp"
#include "schema/txn.capnp.h"
#include "storage/data_tree.hpp"

namespace rookery::request {

struct trigger {
  watch::event_type type;
  std::string path;
  // Receivers need READ on this ACL (the node's, or the parent's for child events).
  std::shared_ptr<const acl::list> acl;
};

struct apply_result {
  int32_t error = 0;
  std::string body;  // the reply record(s) that follow the reply header on success
  std::vector<trigger> triggers;
  bool session_opened = false;
  bool session_closed = false;
};

class apply_core {
 public:
  explicit apply_core(storage::data_tree& tree) : tree_(tree) {}

  apply_result apply(schema::Txn::Reader txn);

 private:
  struct op_context;
  struct op_outcome {
    int32_t error = 0;
    int32_t result_type = 0;  // the MultiHeader type of a successful result
    std::string body;
  };

  op_outcome apply_op(op_context& ctx, schema::Op::Reader op);
  op_outcome create(op_context& ctx, schema::Create::Reader request);
  op_outcome remove(op_context& ctx, schema::Delete::Reader request);
  op_outcome set_data(op_context& ctx, schema::SetData::Reader request);
  op_outcome set_acl(op_context& ctx, schema::SetAcl::Reader request);
  op_outcome check(op_context& ctx, schema::Check::Reader request);
  op_outcome reap(op_context& ctx, const std::string& path);
  void apply_multi(op_context& ctx, capnp::List<schema::Op>::Reader ops, apply_result& result);
  void close_session(op_context& ctx, int64_t session, apply_result& result);
  void delete_node(op_context& ctx, const std::string& path);

  storage::data_tree& tree_;
};

}  // namespace rookery::request
