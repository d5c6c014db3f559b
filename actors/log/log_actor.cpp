#include "actors/log/log_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace rookery::log {

caf::behavior log_actor(caf::stateful_actor<log_state>* self, std::shared_ptr<storage::txn_journal> journal,
                        int64_t last_zxid) {
  self->state.journal = std::move(journal);
  self->state.expected_next = last_zxid + 1;
  return {
      [=](append_atom, const shared_log_batch& entries) {
        auto& st = self->state;
        if (!st.proposer) st.proposer = caf::actor_cast<caf::actor>(self->current_sender());
        if (entries->empty() || entries->front().zxid != st.expected_next) return;
        st.expected_next = entries->back().zxid + 1;
        st.batch.insert(st.batch.end(), entries->begin(), entries->end());
        if (!st.flush_scheduled) {
          // Queued behind every append already waiting, so the commit takes them all.
          self->send(self, flush_atom::value);
          st.flush_scheduled = true;
        }
      },
      [=](flush_atom) {
        auto& st = self->state;
        st.flush_scheduled = false;
        if (st.batch.empty()) return;
        st.records.clear();
        for (const auto& entry : st.batch) st.records.push_back({entry.zxid, entry.txn->bytes()});
        int64_t first = st.batch.front().zxid;
        int64_t last = st.batch.back().zxid;
        try {
          st.journal->append(st.records);
          ++st.commits;
          st.records_logged += st.records.size();
          self->send(st.proposer, durable_atom::value, last);
        } catch (const std::exception& e) {
          spdlog::error("log append of zxid 0x{:x}..0x{:x} failed: {}", first, last, e.what());
          st.expected_next = first;
          self->send(st.proposer, log_failed_atom::value, first, std::string(e.what()));
        }
        st.batch.clear();
      },
      [=](covered_atom, int64_t image_zxid) {
        try {
          self->state.journal->drop_through(image_zxid);
        } catch (const std::exception& e) {
          // The segments stay and are tried again with the next image.
          spdlog::warn("could not delete log segments the image covers: {}", e.what());
        }
      },
      [=](stats_atom) { return std::make_pair(self->state.commits, self->state.records_logged); },
  };
}

}  // namespace rookery::log
