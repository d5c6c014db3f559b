#include "actors/session/request_batcher.hpp"

namespace rookery::session {

void request_batcher::add(request::client_request request, std::vector<request::request_batch>& out) {
  unsent_bytes_ += request.body.size() + (request.ready_reply ? request.ready_reply->size() : 0);
  unsent_.push_back(std::move(request));
  if (unsent_bytes_ >= batch_bytes) flush(out);
}

void request_batcher::flush(std::vector<request::request_batch>& out) {
  if (unsent_.empty()) return;
  out.push_back(request::encode_request_batch(unsent_, identities_sent_));
  // Cleared, not moved from: the vector keeps its capacity for the next batch.
  unsent_.clear();
  unsent_bytes_ = 0;
}

}  // namespace rookery::session
