@0x93f82abde30afb80;
# Transactions: what the log stores, what a leader proposes and what apply executes.
# A txn carries the client's intent plus everything apply needs to decide the outcome
# deterministically (time, session, the caller's identities), so every member that applies
# the same log reaches the same tree, and failed writes are decided (and logged) the same way.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rookery::schema");

struct Identity {
  scheme @0 :Text;
  id @1 :Text;
}

struct Acl {
  perms @0 :Int32;
  scheme @1 :Text;
  id @2 :Text;
}

struct Create {
  path @0 :Text;
  data @1 :Data;
  dataIsNull @2 :Bool;
  acl @3 :List(Acl);
  flags @4 :Int32;
  ttl @5 :Int64;
  # The client opcode (create, create2, createContainer, createTTL): it decides the reply shape.
  opcode @6 :Int32;
  # Whether the server allowed TTL nodes when it proposed this create: apply reads it from
  # here, so replaying the log under another setting reaches the same tree.
  ttlNodesEnabled @7 :Bool;
}

struct Delete {
  path @0 :Text;
  version @1 :Int32;
}

struct SetData {
  path @0 :Text;
  data @1 :Data;
  dataIsNull @2 :Bool;
  version @3 :Int32;
}

struct SetAcl {
  path @0 :Text;
  acl @1 :List(Acl);
  version @2 :Int32;
}

struct Check {
  path @0 :Text;
  version @1 :Int32;
}

struct Op {
  union {
    create @0 :Create;
    delete @1 :Delete;
    setData @2 :SetData;
    setAcl @3 :SetAcl;
    check @4 :Check;
    # Removal by the container/TTL reaper: re-checked at apply, since the node may have changed.
    reap @5 :Text;
  }
}

struct Txn {
  zxid @0 :Int64;
  timeMs @1 :Int64;
  session @2 :Int64;
  identities @3 :List(Identity);
  union {
    createSession :group {
      timeoutMs @4 :Int32;
      password @5 :Data;
    }
    closeSession @6 :Void;
    single @7 :Op;
    multi @8 :List(Op);
  }
}
