"""Every client operation, through kazoo where it can, through the raw protocol where it cannot.

Spec references are to docs/zk-wire-protocol.md (sections 6-9).
"""

import re
import time

import pytest
from kazoo.exceptions import (BadArgumentsError, BadVersionError, KazooException,
                              NoAuthError, NoChildrenForEphemeralsError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError,
                              RuntimeInconsistency)
from kazoo.protocol.states import EventType
from kazoo.security import OPEN_ACL_UNSAFE, ACL, Id, Permissions

import zkwire as W
from harness import wait_until

SEQ_RE = re.compile(r"^\d{10}$")


def now_ms():
    return int(time.time() * 1000)


# ------------------------------------------------------------------------------------------------
# fresh server: pre-existing nodes (spec 7.3)
# ------------------------------------------------------------------------------------------------
def test_fresh_server_special_nodes(fresh_server, make_client, make_raw):
    zk = make_client(fresh_server)
    assert zk.get_children("/") == ["zookeeper"]
    assert sorted(zk.get_children("/zookeeper")) == ["config", "quota"]

    data, root = zk.get("/")
    assert data == b""  # empty, not null
    assert root.cversion == -1 and root.numChildren == 1
    assert (root.czxid, root.mzxid, root.pzxid, root.version, root.aversion) == (0, 0, 0, 0, 0)
    assert root.ephemeralOwner == 0 and root.dataLength == 0

    data, zkn = zk.get("/zookeeper")
    assert data == b""
    assert zkn.cversion == -2 and zkn.numChildren == 2

    _, quota = zk.get("/zookeeper/quota")
    assert quota.cversion == 0 and quota.numChildren == 0 and quota.aversion == 0

    data, config = zk.get("/zookeeper/config")
    assert data == b""
    assert config.aversion == -1
    assert (config.czxid, config.mzxid, config.version, config.cversion) == (0, 0, 0, 0)

    acl, _ = zk.get_acls("/zookeeper/config")
    assert acl == [ACL(Permissions.READ, Id("world", "anyone"))]
    for p in ("/", "/zookeeper", "/zookeeper/quota"):
        acl, _ = zk.get_acls(p)
        assert acl == [ACL(Permissions.ALL, Id("world", "anyone"))], p

    raw = make_raw(fresh_server)
    rep, n = raw.get_all_children_number("/")
    assert rep.err == 0 and n == 3
    rep, n = raw.get_all_children_number("/zookeeper")
    assert rep.err == 0 and n == 2

    # The first create under '/' makes the root's visible cversion 0 (2*C - numChildren).
    zk.create("/first")
    _, root = zk.get("/")
    assert root.cversion == 0 and root.numChildren == 2
    rep, n = raw.get_all_children_number("/")
    assert n == 4


def test_get_children_of_root_has_zookeeper(zk):
    assert "zookeeper" in zk.get_children("/")


def test_special_nodes_not_deletable(zk, raw):
    for p in ("/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/"):
        with pytest.raises(BadArgumentsError):
            zk.delete(p)
        assert raw.delete(p).err == W.BADARGUMENTS
    assert zk.exists("/zookeeper/config") is not None
    # /zookeeper/config is READ-only for world
    with pytest.raises(NoAuthError):
        zk.set("/zookeeper/config", b"x")
    # children may be created (and deleted) under /zookeeper
    zk.create("/zookeeper/opsfoo", b"v")
    zk.delete("/zookeeper/opsfoo")
    assert zk.exists("/zookeeper/opsfoo") is None
    # create of '/' -> NODEEXISTS
    with pytest.raises(NodeExistsError):
        zk.create("/")


# ------------------------------------------------------------------------------------------------
# create / stat semantics (spec 6.2, 7)
# ------------------------------------------------------------------------------------------------
def test_create_persistent_stat_fields(zk, path):
    zk.create(path)
    _, parent_before = zk.get(path)
    before = now_ms()
    created, stat = zk.create(path + "/n", b"hello", include_data=True)
    after = now_ms()
    assert created == path + "/n"
    assert stat.czxid == stat.mzxid == stat.pzxid
    assert stat.czxid > parent_before.czxid
    assert stat.ctime == stat.mtime
    assert before - 60000 <= stat.ctime <= after + 60000
    assert (stat.version, stat.cversion, stat.aversion) == (0, 0, 0)
    assert stat.ephemeralOwner == 0
    assert stat.dataLength == 5 and stat.numChildren == 0

    data, stat2 = zk.get(path + "/n")
    assert data == b"hello"
    assert stat2 == stat

    _, parent = zk.get(path)
    assert parent.numChildren == 1
    assert parent.cversion == parent_before.cversion + 1
    assert parent.pzxid == stat.czxid
    assert parent.mzxid == parent_before.mzxid  # data untouched
    assert parent.version == parent_before.version


def test_create_errors(zk, path):
    zk.create(path)
    with pytest.raises(NodeExistsError):
        zk.create(path)
    with pytest.raises(NoNodeError):
        zk.create(path + "/missing/child")
    zk.create(path + "/eph", ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(path + "/eph/child")
    # a failed create leaves the parent's counter alone: next sequential suffix proves it
    seq = zk.create(path + "/s-", sequence=True)
    assert seq == path + "/s-0000000001"  # only /eph was created before


def test_create_raw_validation_order(raw, path):
    assert raw.create(path)[0].err == 0
    # trailing slash / empty component: the parent lookup fails first -> NONODE (spec 6.2 step 7)
    assert raw.create(path + "/abc/")[0].err == W.NONODE
    assert raw.create(path + "//b")[0].err == W.NONODE
    # no slash at all -> BADARGUMENTS
    assert raw.create("noslash")[0].err == W.BADARGUMENTS
    # unknown flags -> BADARGUMENTS
    assert raw.create(path + "/f", flags=7)[0].err == W.BADARGUMENTS
    assert raw.create(path + "/f", flags=-1)[0].err == W.BADARGUMENTS
    # '.' component -> BADARGUMENTS (full path validation)
    assert raw.create(path + "/.")[0].err == W.BADARGUMENTS
    # exists with a NUL in the path -> BADARGUMENTS
    assert raw.exists(path + "/a\x00b")[0].err == W.BADARGUMENTS


def test_ephemeral_owner_and_lifetime(make_client, path):
    a = make_client()
    b = make_client()
    a.create(path)
    p, stat = a.create(path + "/e", b"x", ephemeral=True, include_data=True)
    assert stat.ephemeralOwner == a.client_id[0] != 0
    _, stat_b = b.get(path + "/e")
    assert stat_b.ephemeralOwner == a.client_id[0]
    a.stop()
    wait_until(lambda: b.exists(path + "/e") is None, 10, message="ephemeral removed on close")


def test_sequential_suffix_and_counter(zk, path):
    zk.create(path)
    # the first child ever gets 0000000000
    first = zk.create(path + "/x", sequence=True)
    assert first == path + "/x0000000000"

    parent = path + "/a"
    zk.create(parent)
    zk.create(parent + "/b")  # C 0 -> 1 (non-sequential creations count)
    s1 = zk.create(parent + "/s-", sequence=True)
    s2 = zk.create(parent + "/s-", sequence=True)
    assert s1 == parent + "/s-0000000001"
    assert s2 == parent + "/s-0000000002"
    zk.delete(parent + "/b")  # deletes do not reduce the counter
    s3 = zk.create(parent + "/s-", sequence=True)
    assert s3 == parent + "/s-0000000003"
    e4 = zk.create(parent + "/e-", ephemeral=True, sequence=True)  # ephemeral sequential counts too
    assert e4 == parent + "/e-0000000004"
    assert SEQ_RE.match(e4.rsplit("-", 1)[1])
    _, st = zk.get(e4)
    assert st.ephemeralOwner == zk.client_id[0]
    # visible cversion = creates + deletes = 5 + 1
    _, pst = zk.get(parent)
    assert pst.cversion == 6 and pst.numChildren == 4

    # a sequential create whose name ends in '/' gets just the digits
    seqdir = zk.create(parent + "/", sequence=True)
    assert seqdir == parent + "/0000000005"


def test_create2_include_data_matches_exists(zk, path):
    p, stat = zk.create(path, b"abc", include_data=True)
    assert p == path
    assert zk.exists(path) == stat
    p2, stat2 = zk.create(path + "/q-", b"", sequence=True, include_data=True)
    assert p2 == path + "/q-0000000000"
    assert stat2.dataLength == 0 and stat2.czxid > stat.czxid


def test_null_vs_empty_data(zk, raw, path):
    zk.create(path)
    zk.create(path + "/null", None)
    zk.create(path + "/empty", b"")
    d, st = zk.get(path + "/null")
    assert d is None and st.dataLength == 0
    d, st = zk.get(path + "/empty")
    assert d == b"" and st.dataLength == 0
    # byte-level check and set back and forth
    rep, (data, _) = raw.get_data(path + "/null")
    assert rep.err == 0 and data is None
    raw.set_data(path + "/empty", None)
    assert zk.get(path + "/empty")[0] is None
    zk.set(path + "/null", b"")
    assert zk.get(path + "/null")[0] == b""


# ------------------------------------------------------------------------------------------------
# read ops
# ------------------------------------------------------------------------------------------------
def test_exists_get_get_children(zk, path):
    assert zk.exists(path) is None
    with pytest.raises(NoNodeError):
        zk.get(path)
    with pytest.raises(NoNodeError):
        zk.get_children(path)
    zk.create(path, b"d")
    for c in ("c1", "c2", "c3"):
        zk.create(path + "/" + c)
    assert sorted(zk.get_children(path)) == ["c1", "c2", "c3"]
    children, stat = zk.get_children(path, include_data=True)
    assert sorted(children) == ["c1", "c2", "c3"]
    assert stat == zk.exists(path)
    assert stat.numChildren == 3 and stat.cversion == 3


def test_sync_echoes_path(zk, raw, path):
    assert zk.sync("/") == "/"
    zk.create(path)
    assert zk.sync(path) == path
    rep, echoed = raw.sync(path + "/does/not/exist")
    assert rep.err == 0 and echoed == path + "/does/not/exist"


def test_ensure_path(zk, path):
    deep = path + "/a/b/c"
    zk.ensure_path(deep)
    assert zk.exists(deep) is not None
    zk.ensure_path(deep)  # idempotent
    assert zk.get_children(path + "/a/b") == ["c"]


# ------------------------------------------------------------------------------------------------
# setData / delete / ACL versions
# ------------------------------------------------------------------------------------------------
def test_set_data_versions_and_stat(zk, path):
    _, st0 = zk.create(path, b"one", include_data=True)
    zk.create(path + "/kid")
    _, p0 = zk.get(path)
    st1 = zk.set(path, b"three", version=0)
    assert st1.version == 1
    assert st1.mzxid > st0.mzxid and st1.czxid == st0.czxid
    assert st1.mtime >= st0.mtime and st1.ctime == st0.ctime
    assert st1.dataLength == 5
    assert st1.pzxid == p0.pzxid and st1.cversion == p0.cversion  # children untouched
    with pytest.raises(BadVersionError):
        zk.set(path, b"x", version=0)
    # identical data still bumps the version
    st2 = zk.set(path, b"three")
    assert st2.version == 2 and st2.mzxid > st1.mzxid
    assert zk.get(path)[0] == b"three"
    with pytest.raises(NoNodeError):
        zk.set(path + "/nope", b"x")
    # a child's setData does not change the parent
    zk.set(path + "/kid", b"k")
    assert zk.exists(path) == st2


def test_delete_versions_and_errors(zk, path):
    zk.create(path)
    zk.create(path + "/n", b"x")
    zk.set(path + "/n", b"y")  # version 1
    with pytest.raises(NoNodeError):
        zk.delete(path + "/missing")
    _, before = zk.get(path)
    with pytest.raises(BadVersionError):
        zk.delete(path + "/n", version=0)
    # BADVERSION is checked before NOTEMPTY
    with pytest.raises(BadVersionError):
        zk.delete(path, version=5)
    with pytest.raises(NotEmptyError):
        zk.delete(path, version=0)
    zk.delete(path + "/n", version=1)
    assert zk.exists(path + "/n") is None
    _, after = zk.get(path)
    assert after.numChildren == 0
    assert after.cversion == before.cversion + 1
    assert after.pzxid > before.pzxid
    assert after.mzxid == before.mzxid
    zk.delete(path, version=-1)
    assert zk.exists(path) is None


def test_acls_get_set_and_aversion(zk, path):
    _, st0 = zk.create(path, b"x", include_data=True)
    acl, st = zk.get_acls(path)
    assert acl == OPEN_ACL_UNSAFE and st == st0
    new_acl = [ACL(Permissions.ALL, Id("world", "anyone")),
               ACL(Permissions.READ, Id("ip", "127.0.0.1"))]
    st1 = zk.set_acls(path, new_acl, version=0)
    assert st1.aversion == 1
    # setACL touches nothing but aversion
    assert (st1.mzxid, st1.mtime, st1.version, st1.pzxid, st1.cversion) == \
        (st0.mzxid, st0.mtime, st0.version, st0.pzxid, st0.cversion)
    acl, _ = zk.get_acls(path)
    assert sorted(acl) == sorted(new_acl)
    # the version compared is aversion, not version
    with pytest.raises(BadVersionError):
        zk.set_acls(path, OPEN_ACL_UNSAFE, version=0)
    st2 = zk.set_acls(path, OPEN_ACL_UNSAFE, version=1)
    assert st2.aversion == 2 and st2.version == 0
    with pytest.raises(NoNodeError):
        zk.get_acls(path + "/missing")
    with pytest.raises(NoNodeError):
        zk.set_acls(path + "/missing", OPEN_ACL_UNSAFE)
    # duplicate entries are removed
    zk.set_acls(path, OPEN_ACL_UNSAFE + OPEN_ACL_UNSAFE)
    assert zk.get_acls(path)[0] == OPEN_ACL_UNSAFE


# ------------------------------------------------------------------------------------------------
# multi (spec 9)
# ------------------------------------------------------------------------------------------------
def test_transaction_success(zk, path):
    zk.create(path)
    t = zk.transaction()
    t.create(path + "/x", b"1")
    t.create(path + "/x/y")
    t.set_data(path + "/x", b"2")
    t.check(path + "/x", 1)
    t.create(path + "/z")
    t.delete(path + "/z")
    results = t.commit()
    assert results[0] == path + "/x"
    assert results[1] == path + "/x/y"
    assert results[2].version == 1 and results[2].dataLength == 1
    assert results[3] is True
    assert results[4] == path + "/z"
    assert results[5] is True
    data, st = zk.get(path + "/x")
    assert data == b"2"
    _, sty = zk.get(path + "/x/y")
    # one zxid for the whole multi
    assert st.czxid == st.mzxid == sty.czxid == results[2].mzxid
    assert st.ctime == sty.ctime
    assert zk.exists(path + "/z") is None


def test_transaction_failure_rolls_back(zk, path):
    zk.create(path)
    zk.create(path + "/m1")
    t = zk.transaction()
    t.create(path + "/m2")
    t.create(path + "/m1")
    t.delete(path + "/m2")
    results = t.commit()
    assert [type(r) for r in results] == [RolledBackError, NodeExistsError, RuntimeInconsistency]
    assert zk.exists(path + "/m2") is None
    _, st = zk.get(path)
    assert st.numChildren == 1

    # failing check in the middle: earlier set rolled back, later ops inconsistent
    zk.set(path + "/m1", b"v1")
    t = zk.transaction()
    t.set_data(path + "/m1", b"v2")
    t.check(path + "/m1", 0)  # real version is 1 (and would be 2 after the set)
    t.create(path + "/m3")
    results = t.commit()
    assert [type(r) for r in results] == [RolledBackError, BadVersionError, RuntimeInconsistency]
    assert zk.get(path + "/m1")[0] == b"v1"
    assert zk.exists(path + "/m3") is None

    # check on a missing node
    t = zk.transaction()
    t.check(path + "/nope", -1)
    results = t.commit()
    assert [type(r) for r in results] == [NoNodeError]


def test_multi_raw_results(server, raw, path):
    """Byte-level multi results: error entries repeat the code, create2 types (spec 0, 9.2)."""
    rep, res = raw.multi([
        (W.OP_CREATE, W.create_body(path)),
        (W.OP_CREATE2, W.create_body(path + "/c2")),
        (W.OP_CREATE_CONTAINER, W.create_body(path + "/cont", flags=W.CONTAINER)),
        (W.OP_SET_DATA, W.w_string(path) + W.w_buffer(b"d") + W.w_int(0)),
        (W.OP_CHECK, W.w_string(path) + W.w_int(1)),
    ])
    assert rep.err == 0
    assert res[0] == (W.OP_CREATE, 0, path)
    if server.is_zookeeper:
        # 3.8.0 (< 3.8.2) reports create2 inside multi as a plain create
        assert res[1][0] in (W.OP_CREATE, W.OP_CREATE2)
    else:
        assert res[1][0] == W.OP_CREATE2 and res[1][2][0] == path + "/c2"
    assert res[2][0] == W.OP_CREATE2 and res[2][2][0] == path + "/cont"
    assert res[2][2][1].ephemeralOwner == 0
    assert res[3][0] == W.OP_SET_DATA and res[3][2].version == 1
    assert res[4] == (W.OP_CHECK, 0, None)

    rep, res = raw.multi([
        (W.OP_CREATE, W.create_body(path + "/new")),
        (W.OP_CREATE, W.create_body(path)),
        (W.OP_DELETE, W.w_string(path + "/new") + W.w_int(-1)),
    ])
    assert rep.err == 0  # the header stays OK
    assert res == [(-1, 0, 0), (-1, W.NODEEXISTS, W.NODEEXISTS),
                   (-1, W.RUNTIMEINCONSISTENCY, W.RUNTIMEINCONSISTENCY)]

    # empty multi succeeds with an empty result list
    rep, res = raw.multi([])
    assert rep.err == 0 and res == []

    # read op inside a write multi -> MARSHALLINGERROR for the whole request
    rep = raw.call(W.OP_MULTI, W.multi_body([(W.OP_GET_DATA, W.path_watch_body(path))]))
    assert rep.err == W.MARSHALLINGERROR


def test_multi_read(raw, path):
    raw.create(path, b"pd")
    raw.create(path + "/k")
    rep, res = raw.multi([
        (W.OP_GET_DATA, W.path_watch_body(path)),
        (W.OP_GET_CHILDREN, W.path_watch_body(path)),
        (W.OP_GET_DATA, W.path_watch_body(path + "/missing")),
        (W.OP_GET_CHILDREN, W.path_watch_body(path + "/missing")),
        (W.OP_GET_DATA, W.path_watch_body(path + "/k")),
    ], op=W.OP_MULTI_READ)
    assert rep.err == 0
    assert res[0][0] == W.OP_GET_DATA and res[0][2][0] == b"pd"
    assert res[1] == (W.OP_GET_CHILDREN, 0, ["k"])
    assert res[2] == (-1, W.NONODE, W.NONODE)
    assert res[3] == (-1, W.NONODE, W.NONODE)
    assert res[4][0] == W.OP_GET_DATA and res[4][2][0] == b""
    # write op inside multiRead -> MARSHALLINGERROR
    rep = raw.call(W.OP_MULTI_READ, W.multi_body([(W.OP_CREATE, W.create_body(path + "/w"))]))
    assert rep.err == W.MARSHALLINGERROR


# ------------------------------------------------------------------------------------------------
# containers and TTL nodes (spec 8.4)
# ------------------------------------------------------------------------------------------------
def test_container_reaping(server, zk, raw, path):
    zk.create(path)
    used, never = path + "/used", path + "/never"
    rep, (p, st) = raw.create(used, op=W.OP_CREATE_CONTAINER, flags=W.CONTAINER)
    assert rep.err == 0 and p == used and st.ephemeralOwner == 0
    rep, _ = raw.create(never, op=W.OP_CREATE_CONTAINER, flags=W.CONTAINER)
    assert rep.err == 0
    # containers may have children, and a child keeps the container alive
    zk.create(used + "/child", b"x")
    time.sleep(3 * server.container_check_ms / 1000.0)
    assert zk.exists(used) is not None
    # a container that had a child and is now empty disappears
    deleted = []
    zk.exists(used, watch=lambda ev: deleted.append(ev))
    zk.delete(used + "/child")
    wait_until(lambda: zk.exists(used) is None, 10 + 10 * server.container_check_ms / 1000.0,
               message="used container reaped")
    wait_until(lambda: any(e.type == EventType.DELETED for e in deleted), 5,
               message="NodeDeleted for the reaped container")
    # a never-used container stays
    time.sleep(3 * server.container_check_ms / 1000.0)
    assert zk.exists(never) is not None
    assert zk.get(never)[1].ephemeralOwner == 0


def test_ttl_nodes(server, zk, raw, path):
    zk.create(path)
    ttl_path = path + "/ttl"
    rep, (p, st) = raw.create(ttl_path, b"t", op=W.OP_CREATE_TTL, flags=W.PERSISTENT_WITH_TTL,
                              ttl=300)
    assert rep.err == 0 and p == ttl_path
    assert st.ephemeralOwner == 0
    rep, (ps, _) = raw.create(path + "/tseq-", op=W.OP_CREATE_TTL,
                              flags=W.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=300)
    assert rep.err == 0 and SEQ_RE.match(ps.rsplit("-", 1)[1])
    # a TTL node with a child is not reaped
    rep, _ = raw.create(path + "/tparent", op=W.OP_CREATE_TTL, flags=W.PERSISTENT_WITH_TTL, ttl=300)
    assert rep.err == 0
    zk.create(path + "/tparent/kid")
    # a long TTL survives
    rep, _ = raw.create(path + "/tlong", op=W.OP_CREATE_TTL, flags=W.PERSISTENT_WITH_TTL,
                        ttl=3600 * 1000)
    assert rep.err == 0

    limit = 10 + 10 * server.container_check_ms / 1000.0
    wait_until(lambda: zk.exists(ttl_path) is None, limit, message="TTL node expired")
    wait_until(lambda: zk.exists(ps) is None, limit, message="sequential TTL node expired")
    assert zk.exists(path + "/tparent") is not None
    assert zk.exists(path + "/tlong") is not None

    # invalid TTLs and mode/opcode mismatches -> BADARGUMENTS
    assert raw.create(path + "/b0", op=W.OP_CREATE_TTL, flags=5, ttl=0)[0].err == W.BADARGUMENTS
    assert raw.create(path + "/b1", op=W.OP_CREATE_TTL, flags=5,
                      ttl=0xFFFFFFFFFF + 1)[0].err == W.BADARGUMENTS
    assert raw.create(path + "/b2", op=W.OP_CREATE_TTL, flags=0, ttl=1000)[0].err == W.BADARGUMENTS
    assert raw.create(path + "/b3", op=W.OP_CREATE, flags=5)[0].err == W.BADARGUMENTS
    assert sorted(zk.get_children(path)) == ["tlong", "tparent"]


# ------------------------------------------------------------------------------------------------
# misc opcodes
# ------------------------------------------------------------------------------------------------
def test_reconfig_is_an_error(server, make_raw, make_client, monkeypatch):
    raw = make_raw()
    rep = raw.reconfig(joining="server.2=127.0.0.1:2888:3888;2182")
    assert rep.err != 0
    assert rep.err in (W.RECONFIGDISABLED, W.UNIMPLEMENTED)
    if server.is_zookeeper:
        assert rep.err == W.RECONFIGDISABLED
    # kazoo 2.8 has no exception class for -123 and would kill its connection thread;
    # give it one so the error surfaces as a KazooException.
    from kazoo import exceptions as kex

    class ReconfigDisabledError(kex.ZookeeperError):
        code = W.RECONFIGDISABLED

    monkeypatch.setitem(kex.EXCEPTIONS, W.RECONFIGDISABLED, ReconfigDisabledError)
    zk = make_client()
    with pytest.raises(KazooException):
        zk.reconfig(joining="server.2=127.0.0.1:2888:3888;2182", leaving=None, new_members=None)
    assert zk.exists("/zookeeper/config") is not None  # the client is still usable


def test_who_am_i(raw):
    rep, ids = raw.who_am_i()
    assert rep.err == 0
    assert ids == [("ip", "127.0.0.1")]
    assert raw.auth("digest", b"user:pw").err == 0
    rep, ids = raw.who_am_i()
    assert sorted(ids) == [("digest", "user"), ("ip", "127.0.0.1")]


def test_get_all_children_number(raw, path):
    raw.create(path)
    for p in ("/a", "/a/b", "/a/b/c", "/d"):
        assert raw.create(path + p)[0].err == 0
    assert raw.get_all_children_number(path)[1] == 4
    assert raw.get_all_children_number(path + "/a")[1] == 2
    assert raw.get_all_children_number(path + "/d")[1] == 0
    assert raw.get_all_children_number(path + "/nope")[0].err == W.NONODE


def test_get_ephemerals(make_raw, path):
    a = make_raw()
    b = make_raw()
    a.create(path)
    for p in ("/ge", "/gea", "/x"):
        assert a.create(path + p, flags=W.EPHEMERAL)[0].err == 0
    assert a.create(path + "/pers")[0].err == 0
    assert a.create(path + "/cont", op=W.OP_CREATE_CONTAINER, flags=W.CONTAINER)[0].err == 0
    assert a.create(path + "/ttl", op=W.OP_CREATE_TTL, flags=W.PERSISTENT_WITH_TTL,
                    ttl=60000)[0].err == 0
    rep, seq = a.create(path + "/s-", flags=W.EPHEMERAL_SEQUENTIAL)
    assert b.create(path + "/other", flags=W.EPHEMERAL)[0].err == 0

    mine = {path + "/ge", path + "/gea", path + "/x", seq}
    rep, eph = a.get_ephemerals(path + "/ge")  # plain string prefix
    assert rep.err == 0 and sorted(eph) == [path + "/ge", path + "/gea"]
    for prefix in ("/", ""):
        rep, eph = a.get_ephemerals(prefix)
        assert rep.err == 0 and set(eph) == mine
    rep, eph = b.get_ephemerals("/")
    assert eph == [path + "/other"]
    rep, eph = a.get_ephemerals(path + "/nomatch")
    assert rep.err == 0 and eph == []


def test_top_level_check(server, make_raw, path):
    """Spec 0 / 6.12: 3.9 rejects a top-level check with UNIMPLEMENTED and closes."""
    raw = make_raw()
    raw.create(path)
    if server.is_zookeeper:
        # 3.8.0: a failing check gets a header-only error reply (a passing one gets no reply)
        rep = raw.call(W.OP_CHECK, W.w_string(path) + W.w_int(7))
        assert rep.err == W.BADVERSION and rep.frame_len == 16
    else:
        rep = raw.call(W.OP_CHECK, W.w_string(path) + W.w_int(0))
        assert (rep.zxid, rep.err) == (-1, W.UNIMPLEMENTED)
        assert raw.wait_closed(5)
