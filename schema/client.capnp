@0x8550f5ea0365169b;
# Client requests on their way from a session actor to the request pipeline, and the
# handshake between them. The session actor decodes only a frame's header (xid, opcode);
# the record itself stays the client's jute bytes, so that a follower can later forward
# exactly what the client sent to the leader, and only the pipeline decodes it.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rookery::schema");

using import "txn.capnp".Identity;

struct ClientRequest {
  connection @0 :UInt64;
  session @1 :Int64;
  xid @2 :Int32;
  opcode @3 :Int32;
  # The jute record after the request header, verbatim.
  body @4 :Data;
  # Who the connection is from this request on. Set on a connection's first request and on
  # the first one after an auth changed them, absent otherwise: the pipeline keeps the last
  # ones per connection, so they are neither encoded nor decoded per request.
  identities @5 :List(Identity);
  reply :union {
    # The pipeline answers the request.
    pending @6 :Void;
    # The session actor has answered it already (auth); the frame only needs its place in
    # the connection's reply order.
    ready @7 :Data;
  }
  # Close the connection once this request's reply is written (after AUTHFAILED).
  closeAfter @8 :Bool;
}

# The requests decoded from one read of a client's socket: one message per read, not per
# request, so a pipelined client costs one send and one allocation per batch.
struct RequestBatch {
  requests @0 :List(ClientRequest);
}

struct ConnectRequest {
  connection @0 :UInt64;
  # 0 asks for a new session; otherwise the session to re-attach.
  session @1 :Int64;
  password @2 :Data;
  # Already negotiated against the server's minimum and maximum.
  timeoutMs @3 :Int32;
  # The client must not see a tree older than what it has seen before.
  lastZxidSeen @4 :Int64;
}

struct ConnectResult {
  enum Outcome {
    # The client has seen a newer zxid than this server: it must go elsewhere.
    refused @0;
    # Unknown, closing or expired session, or a wrong password.
    invalid @1;
    accepted @2;
  }
  outcome @0 :Outcome;
  connection @1 :UInt64;
  session @2 :Int64;
  timeoutMs @3 :Int32;
  password @4 :Data;
}
