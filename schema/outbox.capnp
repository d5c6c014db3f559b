@0x8e78b39731129018;
# The tree's output on its way to the clients: the tree hands the watch manager one Outbox per
# step (replies, watch registrations, changes that fire watches), in order; the watch manager
# hands each session actor its Deliveries (reply and event frames, ready to write). Frames are
# ZooKeeper's wire format (jute), already encoded.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rookery::schema");

using import "txn.capnp".Acl;

struct Outbox {
  items @0 :List(OutboxItem);
}

struct OutboxItem {
  union {
    reply @0 :Reply;
    watch @1 :WatchRegistration;
    trigger @2 :Trigger;
    query @3 :WatchQuery;
    # The connection has gone: forget its watches.
    forget @4 :UInt64;
  }
}

struct Reply {
  connection @0 :UInt64;
  # The reply frame, preceded by the events setWatches replays.
  frames @1 :Data;
  # Close the connection once this is written (closeSession, AUTHFAILED).
  closeAfter @2 :Bool;
}

enum WatchKind {
  standardData @0;
  standardChild @1;
  persistent @2;
  persistentRecursive @3;
}

struct WatchRegistration {
  connection @0 :UInt64;
  path @1 :Text;
  kind @2 :WatchKind;
}

# A change that fires the watches on `path`.
struct Trigger {
  # ZooKeeper's event type number (NodeCreated 1 ... NodeChildrenChanged 4).
  type @0 :Int32;
  path @1 :Text;
  zxid @2 :Int64;
  # Receivers need READ on this ACL (the node's, or the parent's for child events).
  readAcl @3 :List(Acl);
}

# checkWatches / removeWatches, answered by the watch registry's owner.
struct WatchQuery {
  connection @0 :UInt64;
  xid @1 :Int32;
  path @2 :Text;
  # ZooKeeper's watcher type number (children 1, data 2, any 3, ...).
  type @3 :Int32;
  remove @4 :Bool;
  zxid @5 :Int64;
}

struct Deliveries {
  items @0 :List(Delivery);
}

struct Delivery {
  frames @0 :Data;
  union {
    # A reply: it answers the connection's oldest outstanding request.
    reply @1 :Void;
    # An event: dropped unless the connection's identities have READ on this ACL (the watch
    # is consumed either way, as in ZooKeeper).
    eventReadAcl @2 :List(Acl);
  }
  closeAfter @3 :Bool;
}
