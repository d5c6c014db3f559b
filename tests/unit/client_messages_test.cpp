// The session actor <-> pipeline messages: encoded in one place, read in another, with every
// field intact and the words aligned as Cap'n Proto readers need.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "actors/request/capnp_acl.hpp"
#include "actors/request/client_messages.hpp"

using namespace rookery;
using request::client_request;

namespace {

bool word_aligned(const message_buffer& buffer) {
  return reinterpret_cast<std::uintptr_t>(buffer.words().begin()) % alignof(capnp::word) == 0;
}

std::vector<client_request> two_connections_batch() {
  auto ip = std::make_shared<const acl::identities>(acl::identities{{"ip", "10.0.0.7"}});
  auto digest = std::make_shared<const acl::identities>(acl::identities{{"ip", "10.0.0.7"}, {"digest", "u:x"}});
  std::vector<client_request> requests(3);
  requests[0].connection = 3;
  requests[0].session = 0x1000000000001;
  requests[0].xid = 1;
  requests[0].opcode = 4;
  requests[0].body = std::string("\x00\x00\x00\x02/a\x01", 7);  // a NUL inside stays
  requests[0].who = ip;
  requests[1].connection = 3;
  requests[1].session = 0x1000000000001;
  requests[1].xid = -4;
  requests[1].opcode = 100;
  requests[1].body = "auth packet";
  requests[1].ready_reply = std::string("\x00\x00\x00\x10", 4);
  requests[1].close_after = true;
  requests[2].connection = 9;
  requests[2].xid = 2;
  requests[2].opcode = 5;
  requests[2].who = digest;
  return requests;
}

}  // namespace

TEST_CASE("a request batch reads back in place with every field intact") {
  const auto sent = two_connections_batch();
  std::shared_ptr<const acl::identities> identities_sent;
  request::request_batch batch = request::encode_request_batch(sent, identities_sent);
  REQUIRE(word_aligned(batch.buffer()));

  // Another actor gets a copy of the handle: the same words, not a copy of them.
  const request::request_batch received = batch;
  CHECK(received.buffer().words().begin() == batch.buffer().words().begin());
  auto message = received.read();
  auto requests = message.root().getRequests();
  REQUIRE(requests.size() == sent.size());
  for (unsigned i = 0; i < sent.size(); ++i) {
    INFO("request " << i);
    auto r = requests[i];
    CHECK(r.getConnection() == sent[i].connection);
    CHECK(r.getSession() == sent[i].session);
    CHECK(r.getXid() == sent[i].xid);
    CHECK(r.getOpcode() == sent[i].opcode);
    CHECK(as_chars(r.getBody()) == sent[i].body);
    CHECK(r.getCloseAfter() == sent[i].close_after);
    CHECK(r.getReply().isReady() == sent[i].ready_reply.has_value());
    if (sent[i].ready_reply) CHECK(as_chars(r.getReply().getReady()) == *sent[i].ready_reply);
    CHECK(r.hasIdentities() == (sent[i].who != nullptr));
    CHECK(request::read_identities(r.getIdentities()) == (sent[i].who ? *sent[i].who : acl::identities{}));
  }
  CHECK(identities_sent == sent[2].who);
}

TEST_CASE("identities travel only when they change") {
  auto ip = std::make_shared<const acl::identities>(acl::identities{{"ip", "10.0.0.7"}});
  auto after_auth = std::make_shared<const acl::identities>(acl::identities{{"ip", "10.0.0.7"}, {"digest", "u:x"}});
  std::vector<client_request> first(3), second(2);
  first[0].who = ip;
  first[1].who = ip;
  first[2].who = after_auth;
  second[0].who = after_auth;
  second[1].who = ip;
  std::shared_ptr<const acl::identities> identities_sent;

  auto batch = request::encode_request_batch(first, identities_sent);
  auto message = batch.read();
  auto requests = message.root().getRequests();
  CHECK(requests[0].hasIdentities());
  CHECK_FALSE(requests[1].hasIdentities());
  CHECK(requests[2].hasIdentities());
  CHECK(request::read_identities(requests[2].getIdentities()) == *after_auth);
  CHECK(identities_sent == after_auth);

  // The next batch remembers what the receiver holds.
  auto next = request::encode_request_batch(second, identities_sent);
  auto next_message = next.read();
  auto next_requests = next_message.root().getRequests();
  CHECK_FALSE(next_requests[0].hasIdentities());
  CHECK(next_requests[1].hasIdentities());
  CHECK(identities_sent == ip);
}

TEST_CASE("bytes of a message copied to unaligned memory read back once copied to words") {
  std::shared_ptr<const acl::identities> identities_sent;
  request::request_batch batch = request::encode_request_batch(two_connections_batch(), identities_sent);
  const std::string_view bytes = batch.buffer().bytes();
  CHECK(bytes.size() % sizeof(capnp::word) == 0);
  // As a frame from a socket or an LMDB value may arrive: one byte off alignment.
  std::vector<char> unaligned(bytes.size() + 1);
  std::memcpy(unaligned.data() + 1, bytes.data(), bytes.size());
  auto copy = message_buffer::copy_of(std::string_view(unaligned.data() + 1, bytes.size()));
  REQUIRE(word_aligned(*copy));
  CHECK(copy->bytes() == bytes);
  message_reader<schema::RequestBatch> reader(*copy);
  auto requests = reader.root().getRequests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].getConnection() == 9u);
  CHECK(as_chars(requests[0].getBody()) == std::string("\x00\x00\x00\x02/a\x01", 7));
}

TEST_CASE("connect request and result carry every field") {
  request::connect_request req;
  req.connection = 12;
  req.session = 0x2000000000005;
  req.password = std::string(16, '\0');
  req.password[3] = '\x7f';
  req.timeout_ms = 30000;
  req.last_zxid_seen = 0x100000042;
  auto sent = request::encode_connect_request(req);
  REQUIRE(word_aligned(sent.buffer()));
  auto message = sent.read();
  auto r = message.root();
  CHECK(r.getConnection() == 12u);
  CHECK(r.getSession() == req.session);
  CHECK(as_chars(r.getPassword()) == req.password);
  CHECK(r.getTimeoutMs() == 30000);
  CHECK(r.getLastZxidSeen() == req.last_zxid_seen);

  using status = request::connect_result::status;
  using outcome = schema::ConnectResult::Outcome;
  for (auto [given, expected] : {std::pair{status::refused, outcome::REFUSED}, std::pair{status::invalid, outcome::INVALID},
                                 std::pair{status::accepted, outcome::ACCEPTED}}) {
    request::connect_result result{given, 12, req.session, 20000, req.password};
    auto encoded = request::encode_connect_result(result);
    auto read = encoded.read();
    auto root = read.root();
    CHECK(root.getOutcome() == expected);
    CHECK(root.getConnection() == 12u);
    CHECK(root.getSession() == req.session);
    CHECK(root.getTimeoutMs() == 20000);
    CHECK(as_chars(root.getPassword()) == req.password);
  }
}
