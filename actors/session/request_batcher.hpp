#pragma once
// A connection's requests on their way to the request sequencer: gathered while one step of
// the session core runs, then sent as one batch.
#include <cstddef>
#include <memory>
#include <vector>

#include "actors/request/client_messages.hpp"

namespace rookery::session {

class request_batcher {
 public:
  // Batches stay far below Cap'n Proto's limits on one message (and the reader's traversal
  // limit), however many large frames one read or one release brings.
  static constexpr std::size_t batch_bytes = 8 << 20;

  // Cuts a batch into `out` once what is gathered reaches batch_bytes.
  void add(request::client_request request, std::vector<request::request_batch>& out);
  // What is gathered, if anything, as one batch.
  void flush(std::vector<request::request_batch>& out);

 private:
  std::vector<request::client_request> unsent_;
  std::size_t unsent_bytes_ = 0;
  std::shared_ptr<const acl::identities> identities_sent_;  // what the sequencer holds for us
};

}  // namespace rookery::session
