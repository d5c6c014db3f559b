#include "actors/request/client_messages.hpp"

#include "actors/request/capnp_acl.hpp"

namespace rookery::request {
namespace {

constexpr unsigned bytes_per_word = sizeof(capnp::word);

unsigned words_for(std::size_t bytes) { return static_cast<unsigned>((bytes + bytes_per_word - 1) / bytes_per_word); }

// What one ClientRequest takes in a message: its list element (4 data and 3 pointer
// words), its body, its ready reply and, when they travel, its identities (a list tag, then
// 2 pointer words and two NUL-terminated texts each).
unsigned words_for(const client_request& request, bool with_identities) {
  unsigned words = 7 + words_for(request.body.size());
  if (request.ready_reply) words += words_for(request.ready_reply->size());
  if (with_identities) {
    words += 1;
    for (const auto& id : *request.who) words += 2 + words_for(id.scheme.size() + 1) + words_for(id.value.size() + 1);
  }
  return words;
}

}  // namespace

request_batch encode_request_batch(const std::vector<client_request>& requests,
                                   std::shared_ptr<const acl::identities>& identities_sent) {
  // A request carries identities when they differ from the last ones sent.
  auto carries_identities = [](const client_request& request, const acl::identities*& last) {
    if (!request.who || request.who.get() == last) return false;
    last = request.who.get();
    return true;
  };
  const acl::identities* last = identities_sent.get();
  // The root pointer, the root struct and the list tag, then each request.
  unsigned words = 3;
  for (const auto& request : requests) words += words_for(request, carries_identities(request, last));
  last = identities_sent.get();
  capnp::MallocMessageBuilder message(words);
  auto list = message.initRoot<schema::RequestBatch>().initRequests(static_cast<unsigned>(requests.size()));
  for (unsigned i = 0; i < requests.size(); ++i) {
    const client_request& request = requests[i];
    auto out = list[i];
    out.setConnection(request.connection);
    out.setSession(request.session);
    out.setXid(request.xid);
    out.setOpcode(request.opcode);
    out.setBody(as_data(request.body));
    if (carries_identities(request, last)) {
      write_identities(out.initIdentities(static_cast<unsigned>(request.who->size())), *request.who);
      identities_sent = request.who;
    }
    if (request.ready_reply) out.getReply().setReady(as_data(*request.ready_reply));
    out.setCloseAfter(request.close_after);
  }
  return request_batch::flatten(message);
}

connect_request_message encode_connect_request(const connect_request& request) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<schema::ConnectRequest>();
  out.setConnection(request.connection);
  out.setSession(request.session);
  out.setPassword(as_data(request.password));
  out.setTimeoutMs(request.timeout_ms);
  out.setLastZxidSeen(request.last_zxid_seen);
  return connect_request_message::flatten(message);
}

connect_result_message encode_connect_result(const connect_result& result) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<schema::ConnectResult>();
  switch (result.outcome) {
    case connect_result::status::refused: out.setOutcome(schema::ConnectResult::Outcome::REFUSED); break;
    case connect_result::status::invalid: out.setOutcome(schema::ConnectResult::Outcome::INVALID); break;
    case connect_result::status::accepted: out.setOutcome(schema::ConnectResult::Outcome::ACCEPTED); break;
  }
  out.setConnection(result.connection);
  out.setSession(result.session);
  out.setTimeoutMs(result.timeout_ms);
  out.setPassword(as_data(result.password));
  return connect_result_message::flatten(message);
}

}  // namespace rookery::request
