#pragma once
// The sequencer and the tree wired back to back, synchronously, the way their actors run them
// (every command the sequencer emits reaches the tree before anything else happens), so core
// tests drive a whole standalone pipeline and see everything it hands to the other roles.
#include <optional>
#include <string>
#include <vector>

#include "actors/request/sequencer_core.hpp"
#include "actors/request/tree_core.hpp"

namespace rookery::test {

struct pipeline_output {
  std::vector<request::log_entry> to_log;
  std::vector<request::outbox_item> items;
  std::vector<request::connect_result> connects;
  std::vector<request::session_change> sessions;
  std::vector<request::session_rearm> rearm;
};

class pipeline_harness {
 public:
  pipeline_harness(storage::data_tree& tree, request::write_settings write_settings,
                   request::read_settings read_settings, int64_t last_zxid, int64_t first_session_id)
      : write_settings_(write_settings), first_session_id_(first_session_id), tree_(tree, read_settings, last_zxid) {
    restart_sequencer();
  }

  void submit(const request::request_batch& batch, int64_t now_ms, pipeline_output& out) {
    request::sequencer_output step;
    sequencer_->submit(batch, now_ms, step);
    carry(step, out);
  }
  void connect(const request::connect_request_message& request, const std::string& password, int64_t now_ms,
               pipeline_output& out) {
    request::sequencer_output step;
    sequencer_->connect(request, password, now_ms, step);
    carry(step, out);
  }
  void connection_closed(request::connection_id connection, pipeline_output& out) {
    sequencer_->connection_closed(connection);
    request::tree_output step;
    tree_.connection_closed(connection, step);
    take(step, out);
  }
  void expire_session(int64_t session, int64_t now_ms, pipeline_output& out) {
    request::sequencer_output step;
    sequencer_->expire_session(session, now_ms, step);
    carry(step, out);
  }
  void reap(int64_t now_ms, pipeline_output& out) {
    request::sequencer_output step;
    if (sequencer_->begin_reap_scan()) sequencer_->reap(tree_.reap_candidates(now_ms), now_ms, step);
    carry(step, out);
  }
  void durable_through(int64_t zxid, pipeline_output& out) {
    request::sequencer_output step;
    sequencer_->durable_through(zxid, step);
    carry(step, out);
  }
  void abandon_from(int64_t first_zxid, pipeline_output& out) {
    request::sequencer_output step;
    sequencer_->abandon_from(first_zxid, step);
    carry(step, out);
  }
  // Startup replay: the tree applies the txn, and the sequencer starts from what it holds,
  // as rookeryd builds it after recovery (so only before any other call).
  void replay(const request::txn_buffer& txn) {
    tree_.replay(txn);
    restart_sequencer();
  }

  int64_t last_applied_zxid() const { return tree_.last_applied_zxid(); }
  int64_t last_proposed_zxid() const { return sequencer_->last_proposed_zxid(); }
  std::size_t outstanding() const { return sequencer_->outstanding(); }
  const storage::data_tree& tree() const { return tree_.tree(); }

 private:
  void restart_sequencer() {
    sequencer_.emplace(write_settings_, tree_.last_applied_zxid(), first_session_id_, tree_.live_sessions());
  }
  static void take(request::tree_output& step, pipeline_output& out) {
    for (auto& item : step.items) out.items.push_back(std::move(item));
    for (auto& result : step.connects) out.connects.push_back(std::move(result));
    for (auto& change : step.sessions) out.sessions.push_back(change);
  }
  void carry(request::sequencer_output& step, pipeline_output& out) {
    for (auto& entry : step.to_log) out.to_log.push_back(std::move(entry));
    for (auto& rearm : step.rearm) out.rearm.push_back(rearm);
    request::tree_output applied;
    tree_.execute(step.commands, applied);
    take(applied, out);
  }

  request::write_settings write_settings_;
  int64_t first_session_id_;
  request::tree_core tree_;
  std::optional<request::sequencer_core> sequencer_;
};

}  // namespace rookery::test
