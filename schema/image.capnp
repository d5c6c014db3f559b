@0xc1d5e4a0b7f35e21;
# Records of the on-disk tree image (one LMDB value per znode and per session).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rookery::schema");

using import "txn.capnp".Acl;

struct NodeRecord {
  data @0 :Data;
  dataIsNull @1 :Bool;
  czxid @2 :Int64;
  mzxid @3 :Int64;
  ctime @4 :Int64;
  mtime @5 :Int64;
  pzxid @6 :Int64;
  version @7 :Int32;
  aversion @8 :Int32;
  childCreations @9 :Int32;
  owner @10 :Int64;
  acl @11 :List(Acl);
}

struct SessionRecord {
  timeoutMs @0 :Int32;
  password @1 :Data;
}
