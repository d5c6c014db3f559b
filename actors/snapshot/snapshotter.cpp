#include "actors/snapshot/snapshotter.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace rookery::snapshot {

caf::behavior snapshotter(caf::stateful_actor<snapshotter_state>* self, std::shared_ptr<storage::lmdb_env> env,
                          caf::actor log_store) {
  self->state.env = env;
  self->state.log_store = std::move(log_store);
  self->state.image = std::make_unique<storage::snapshot_image>(*env);
  return {
      [=](image_atom, const shared_image_batch& incoming) {
        auto& st = self->state;
        for (const auto& [path, record] : incoming->upserted_nodes) st.nodes[path] = record;
        for (const auto& path : incoming->erased_nodes) st.nodes[path] = std::nullopt;
        for (const auto& [id, record] : incoming->upserted_sessions) st.sessions[id] = record;
        for (int64_t id : incoming->erased_sessions) st.sessions[id] = std::nullopt;
        st.zxid = incoming->zxid;

        storage::image_batch batch;
        batch.zxid = st.zxid;
        for (auto& [path, record] : st.nodes) {
          if (record) batch.upserted_nodes.emplace_back(path, std::move(*record));
          else batch.erased_nodes.push_back(path);
        }
        for (auto& [id, record] : st.sessions) {
          if (record) batch.upserted_sessions.emplace_back(id, std::move(*record));
          else batch.erased_sessions.push_back(id);
        }
        try {
          st.image->write(batch);
          spdlog::debug("image at zxid 0x{:x}: {} nodes written, {} erased", batch.zxid, batch.upserted_nodes.size(),
                        batch.erased_nodes.size());
          st.nodes.clear();
          st.sessions.clear();
          self->send(st.log_store, covered_atom::value, batch.zxid);
        } catch (const std::exception& e) {
          spdlog::error("image write at zxid 0x{:x} failed, kept for the next batch: {}", batch.zxid, e.what());
          // Put the moved records back.
          for (auto& [path, record] : batch.upserted_nodes) st.nodes[path] = std::move(record);
          for (auto& [id, record] : batch.upserted_sessions) st.sessions[id] = std::move(record);
        }
      },
  };
}

}  // namespace rookery::snapshot
