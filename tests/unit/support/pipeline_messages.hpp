#pragma once
// The pipeline reads requests and connects from the messages a session actor sends; the core
// tests hand it theirs the same way, so every test also goes through the encoding.
#include <string>

#include "actors/request/client_messages.hpp"
#include "actors/request/pipeline_core.hpp"

namespace rookery::test {

inline void submit_one(request::pipeline_core& core, const request::client_request& request, int64_t now_ms,
                       request::pipeline_output& out) {
  std::shared_ptr<const acl::identities> none_sent;
  auto batch = request::encode_request_batch({request}, none_sent);
  auto message = batch.read();
  core.submit(message.root().getRequests()[0], now_ms, out);
}

inline void connect_with(request::pipeline_core& core, const request::connect_request& request,
                         const std::string& password, int64_t now_ms, request::pipeline_output& out) {
  auto sent = request::encode_connect_request(request);
  auto message = sent.read();
  core.connect(message.root(), password, now_ms, out);
}

}  // namespace rookery::test
