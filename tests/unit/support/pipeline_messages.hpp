#pragma once
// The pipeline reads requests and connects from the messages a session actor sends; the core
// tests hand it theirs the same way, so every test also goes through the encoding.
#include <string>

#include "actors/request/client_messages.hpp"
#include "tests/unit/support/pipeline_harness.hpp"

namespace rookery::test {

inline void submit_one(pipeline_harness& core, const request::client_request& request, int64_t now_ms,
                       pipeline_output& out) {
  std::shared_ptr<const acl::identities> none_sent;
  core.submit(request::encode_request_batch({request}, none_sent), now_ms, out);
}

inline void connect_with(pipeline_harness& core, const request::connect_request& request, const std::string& password,
                         int64_t now_ms, pipeline_output& out) {
  core.connect(request::encode_connect_request(request), password, now_ms, out);
}

}  // namespace rookery::test
