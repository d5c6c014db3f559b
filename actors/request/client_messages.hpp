#pragma once
// What a session actor and the request pipeline send each other (schema/client.capnp): the
// sender fills plain structs and encodes them into one message; the receiver reads it in place.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "runtime/capnp/shared_message.hpp"
#include "schema/client.capnp.h"

namespace rookery::request {

using connection_id = uint64_t;

// A request as the session actor decodes it and keeps it until its batch is sent.
struct client_request {
  connection_id connection = 0;
  int64_t session = 0;
  int32_t xid = 0;
  int32_t opcode = 0;
  std::string body;  // the jute record after the request header
  std::shared_ptr<const acl::identities> who;
  // Set when the session actor already knows the reply (auth): it only needs its place in
  // the connection's reply order.
  std::optional<std::string> ready_reply;
  bool close_after = false;
};

struct connect_request {
  connection_id connection = 0;
  int64_t session = 0;  // 0: create a new session
  std::string password;
  int32_t timeout_ms = 0;  // already negotiated
  int64_t last_zxid_seen = 0;
};

struct connect_result {
  enum class status { refused, invalid, accepted } outcome = status::refused;
  connection_id connection = 0;
  int64_t session = 0;
  int32_t timeout_ms = 0;
  std::string password;
};

using request_batch = shared_message<schema::RequestBatch>;
using connect_request_message = shared_message<schema::ConnectRequest>;
using connect_result_message = shared_message<schema::ConnectResult>;

// One message for all of `requests`, sized up front so the builder allocates once.
// `identities_sent` holds the identities the receiver last got for this connection; they
// travel again only when a request's differ (the first request, or after an auth), and it is
// updated to what was sent.
request_batch encode_request_batch(const std::vector<client_request>& requests,
                                   std::shared_ptr<const acl::identities>& identities_sent);
connect_request_message encode_connect_request(const connect_request& request);
connect_result_message encode_connect_result(const connect_result& result);

}  // namespace rookery::request
