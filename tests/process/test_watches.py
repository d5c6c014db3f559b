"""Watches: one-shot, persistent, recursive, removal, SetWatches replay, ACL filtering (spec 10).

kazoo de-duplicates events client-side, so exact counts and orders are checked with the raw
client; the kazoo tests check what applications see.
"""

import threading

from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.watchers import ChildrenWatch, DataWatch
from kazoo.security import ACL, Id, Permissions, make_digest_acl

import zkwire as W
from harness import wait_until

STATE_SYNC_CONNECTED = 3


def evs(conn, start=0):
    """(type, path) of the notifications a raw connection has collected."""
    return [(e.type, e.path) for e in conn.events[start:]]


def fence(conn, path):
    """A read that reflects every completed write on `path`: its reply comes after all the
    notifications those writes triggered for this connection (spec 10.3)."""
    rep, _ = conn.exists(path)
    assert rep.err in (0, W.NONODE)


class Recorder:
    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def __call__(self, ev):
        with self.cond:
            self.events.append(ev)
            self.cond.notify_all()

    def wait(self, n=1, timeout=10.0):
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.events) >= n, timeout)
        assert ok, "expected %d events, got %r" % (n, self.events)
        return list(self.events)


# ------------------------------------------------------------------------------------------------
# one-shot watches (raw, exact)
# ------------------------------------------------------------------------------------------------
def test_data_watch_fires_once(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path, b"0")
    rep, _ = a.get_data(path, watch=True)
    assert rep.err == 0
    rep, st1 = b.set_data(path, b"1")
    rep, st2 = b.set_data(path, b"2")
    fence(a, path)
    assert evs(a) == [(W.EV_DATA_CHANGED, path)]
    assert all(e.state == STATE_SYNC_CONNECTED for e in a.events)


def test_notification_zxid(server, make_raw, path):
    """3.8 puts -1 in a notification's zxid; 3.9 puts the triggering txn's zxid (spec 0, 10.1)."""
    a, b = make_raw(), make_raw()
    b.create(path)
    a.get_data(path, watch=True)
    rep, st = b.set_data(path, b"x")
    fence(a, path)
    assert len(a.events) == 1
    if server.is_zookeeper:
        assert a.events[0].zxid == -1
    else:
        assert a.events[0].zxid == st.mzxid == rep.zxid


def test_exists_watch_on_missing_node_fires_created(make_raw, path):
    a, b = make_raw(), make_raw()
    rep, _ = a.exists(path, watch=True)
    assert rep.err == W.NONODE
    b.create(path, b"x")
    fence(a, path)
    assert evs(a) == [(W.EV_CREATED, path)]
    # consumed: a later change does not fire
    b.set_data(path, b"y")
    fence(a, path)
    assert len(a.events) == 1


def test_exists_watch_fires_changed_and_deleted(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    a.exists(path, watch=True)
    b.set_data(path, b"1")
    fence(a, path)
    assert evs(a) == [(W.EV_DATA_CHANGED, path)]
    a.exists(path, watch=True)
    b.delete(path)
    fence(a, path)
    assert evs(a, 1) == [(W.EV_DELETED, path)]


def test_get_data_on_missing_node_sets_no_watch(make_raw, path):
    a, b = make_raw(), make_raw()
    rep, _ = a.get_data(path, watch=True)
    assert rep.err == W.NONODE
    rep, _ = a.get_children(path, watch=True)
    assert rep.err == W.NONODE
    b.create(path)
    b.create(path + "/c")
    fence(a, path)
    fence(a, path + "/c")
    assert a.events == []


def test_child_watch(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    b.create(path + "/kid")
    rep, kids = a.get_children(path, watch=True)
    assert rep.err == 0 and kids == ["kid"]
    b.set_data(path + "/kid", b"data change of a child: no child event")
    b.set_data(path, b"data change of the node: not a child event")
    fence(a, path)
    fence(a, path + "/kid")
    assert a.events == []
    b.create(path + "/kid2")
    fence(a, path)
    assert evs(a) == [(W.EV_CHILDREN_CHANGED, path)]
    b.delete(path + "/kid2")  # consumed: no second event
    fence(a, path)
    assert len(a.events) == 1
    # re-register; a child delete fires it too
    a.get_children(path, watch=True)
    b.delete(path + "/kid")
    fence(a, path)
    assert evs(a, 1) == [(W.EV_CHILDREN_CHANGED, path)]
    # deleting the node itself fires NodeDeleted on a child watch
    a.get_children(path, watch=True)
    b.delete(path)
    fence(a, path)
    assert evs(a, 2) == [(W.EV_DELETED, path)]


def test_one_event_per_connection_per_trigger(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    a.exists(path, watch=True)
    a.get_data(path, watch=True)
    b.set_data(path, b"x")
    fence(a, path)
    assert evs(a) == [(W.EV_DATA_CHANGED, path)]
    # data + child watch on the same node, node deleted: one NodeDeleted
    a.get_data(path, watch=True)
    a.get_children(path, watch=True)
    b.delete(path)
    fence(a, path)
    assert evs(a, 1) == [(W.EV_DELETED, path)]
    # standard + persistent watch on the same path: one event
    b.create(path)
    assert a.add_watch(path, W.ADD_WATCH_PERSISTENT).err == 0
    a.get_data(path, watch=True)
    b.set_data(path, b"y")
    fence(a, path)
    assert evs(a, 2) == [(W.EV_DATA_CHANGED, path)]


def test_event_precedes_writers_own_reply(make_raw, path):
    a = make_raw()
    a.create(path)
    a.get_data(path, watch=True)
    xid = a.send(W.OP_SET_DATA, W.w_string(path) + W.w_buffer(b"v") + W.w_int(-1))
    first = a.recv_frame()
    second = a.recv_frame()
    assert W.Reader(first).int() == W.XID_NOTIFICATION
    assert W.Reader(second).int() == xid


def test_event_precedes_read_reply_reflecting_change(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path, b"old")
    a.get_data(path, watch=True)
    b.set_data(path, b"new")  # completed before a reads
    xid = a.send(W.OP_GET_DATA, W.path_watch_body(path))
    first = a.recv_frame()
    assert W.Reader(first).int() == W.XID_NOTIFICATION
    r = W.Reader(a.recv_frame())
    assert r.int() == xid
    r.long()
    assert r.int() == 0
    assert r.buffer() == b"new"


def test_multi_fires_events_in_op_order(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    b.create(path + "/d")
    a.get_data(path + "/d", watch=True)
    a.get_children(path, watch=True)
    rep, res = b.multi([
        (W.OP_SET_DATA, W.w_string(path + "/d") + W.w_buffer(b"1") + W.w_int(-1)),
        (W.OP_CREATE, W.create_body(path + "/e")),
    ])
    assert rep.err == 0
    fence(a, path)
    fence(a, path + "/d")
    assert evs(a) == [(W.EV_DATA_CHANGED, path + "/d"), (W.EV_CHILDREN_CHANGED, path)]


# ------------------------------------------------------------------------------------------------
# persistent and recursive watches (addWatch, spec 6.22, 10.2)
# ------------------------------------------------------------------------------------------------
def test_persistent_watch(make_raw, path):
    a, b = make_raw(), make_raw()
    assert a.add_watch(path, W.ADD_WATCH_PERSISTENT).err == 0  # allowed on a missing node
    b.create(path)
    b.set_data(path, b"1")
    b.set_data(path, b"2")
    b.create(path + "/c")
    b.set_data(path + "/c", b"child data: no event")
    b.create(path + "/c/g")  # grandchild: no event (not recursive)
    b.delete(path + "/c/g")
    b.delete(path + "/c")
    b.delete(path)
    b.create(path)  # still registered after firing many times
    fence(a, path)
    fence(a, path + "/c")
    assert evs(a) == [
        (W.EV_CREATED, path),
        (W.EV_DATA_CHANGED, path),
        (W.EV_DATA_CHANGED, path),
        (W.EV_CHILDREN_CHANGED, path),
        (W.EV_CHILDREN_CHANGED, path),
        (W.EV_DELETED, path),
        (W.EV_CREATED, path),
    ]


def test_persistent_recursive_watch(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    assert a.add_watch(path, W.ADD_WATCH_PERSISTENT_RECURSIVE).err == 0
    b.create(path + "/a")
    b.create(path + "/a/b", b"x")
    b.set_data(path + "/a/b", b"y")
    b.set_data(path, b"z")
    b.delete(path + "/a/b")
    b.delete(path + "/a")
    b.create(path + "-sibling")  # not a descendant (string prefix only)
    fence(a, path)
    fence(a, path + "/a/b")
    assert evs(a) == [
        (W.EV_CREATED, path + "/a"),
        (W.EV_CREATED, path + "/a/b"),
        (W.EV_DATA_CHANGED, path + "/a/b"),
        (W.EV_DATA_CHANGED, path),
        (W.EV_DELETED, path + "/a/b"),
        (W.EV_DELETED, path + "/a"),
    ]  # never NodeChildrenChanged
    b.delete(path + "-sibling")


# ------------------------------------------------------------------------------------------------
# checkWatches / removeWatches (spec 6.15)
# ------------------------------------------------------------------------------------------------
def test_remove_standard_watches(make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    assert a.check_watches(path, W.WT_DATA).err == W.NOWATCHER
    assert a.remove_watches(path, W.WT_ANY).err == W.NOWATCHER
    a.get_data(path, watch=True)
    a.get_children(path, watch=True)
    assert a.check_watches(path, W.WT_DATA).err == 0
    assert a.check_watches(path, W.WT_DATA).err == 0  # check removes nothing
    assert a.remove_watches(path, W.WT_DATA).err == 0
    assert a.remove_watches(path, W.WT_DATA).err == W.NOWATCHER
    assert a.check_watches(path, W.WT_CHILDREN).err == 0
    b.set_data(path, b"x")  # data watch removed: no event
    fence(a, path)
    assert a.events == []
    b.create(path + "/k")  # child watch still there
    fence(a, path)
    assert evs(a) == [(W.EV_CHILDREN_CHANGED, path)]
    # Any removes both kinds
    a.get_data(path, watch=True)
    a.get_children(path, watch=True)
    assert a.remove_watches(path, W.WT_ANY).err == 0
    assert a.check_watches(path, W.WT_ANY).err == W.NOWATCHER
    b.delete(path + "/k")
    b.set_data(path, b"y")
    fence(a, path)
    assert len(a.events) == 1
    # an unknown watcher type -> MARSHALLINGERROR
    assert a.remove_watches(path, 9).err == W.MARSHALLINGERROR
    # watches are per connection: b cannot remove a's watch
    a.get_data(path, watch=True)
    assert b.remove_watches(path, W.WT_DATA).err == W.NOWATCHER
    assert a.check_watches(path, W.WT_DATA).err == 0


def test_remove_persistent_watches(server, make_raw, path):
    a, b = make_raw(), make_raw()
    b.create(path)
    assert a.add_watch(path, W.ADD_WATCH_PERSISTENT).err == 0
    assert a.add_watch(path + "/r", W.ADD_WATCH_PERSISTENT_RECURSIVE).err == 0
    if server.is_zookeeper:
        # 3.8: WatcherType 4/5 are not supported, and Data matches a persistent watch
        assert a.remove_watches(path, W.WT_PERSISTENT).err == W.MARSHALLINGERROR
        assert a.remove_watches(path + "/r", W.WT_PERSISTENT_RECURSIVE).err == W.MARSHALLINGERROR
        assert a.remove_watches(path, W.WT_ANY).err == 0
        assert a.remove_watches(path + "/r", W.WT_ANY).err == 0
    else:
        # 3.9: Data/Children only match standard watches; 4/5 match the persistent kinds
        assert a.check_watches(path, W.WT_DATA).err == W.NOWATCHER
        assert a.remove_watches(path, W.WT_CHILDREN).err == W.NOWATCHER
        assert a.check_watches(path, W.WT_PERSISTENT).err == 0
        assert a.remove_watches(path, W.WT_PERSISTENT_RECURSIVE).err == W.NOWATCHER
        assert a.remove_watches(path, W.WT_PERSISTENT).err == 0
        assert a.remove_watches(path, W.WT_PERSISTENT).err == W.NOWATCHER
        assert a.check_watches(path + "/r", W.WT_PERSISTENT_RECURSIVE).err == 0
        assert a.remove_watches(path + "/r", W.WT_PERSISTENT_RECURSIVE).err == 0
    b.set_data(path, b"x")
    b.create(path + "/r")
    b.create(path + "/r/deep")
    fence(a, path)
    fence(a, path + "/r/deep")
    assert a.events == []


# ------------------------------------------------------------------------------------------------
# SetWatches replay on reconnect (spec 10.4)
# ------------------------------------------------------------------------------------------------
def test_set_watches_replay(server, make_raw, zk, path):
    a = make_raw()
    sw = path
    a.create(sw, b"v0")
    a.create(sw + "/gone")
    a.create(sw + "/same", b"s")
    rel = a.last_zxid
    assert rel > 0
    sid, pw = a.session_id, a.passwd
    a.close()  # drop TCP without closeSession: the session lives on

    zk.set(sw, b"v1")
    zk.delete(sw + "/gone")
    zk.create(sw + "/new")

    a2 = make_raw(handshake=False)
    resp = a2.connect(session_id=sid, passwd=pw, last_zxid=rel)
    assert resp.session_id == sid and resp.timeout > 0
    rep, replayed = a2.set_watches(
        rel,
        data=[sw, sw + "/gone", sw + "/same"],
        exist=[sw + "/new", sw + "/notyet"],
        child=[sw, sw + "/gone2"])
    assert (rep.xid, rep.err, rep.frame_len) == (W.XID_SET_WATCHES, 0, 16)
    assert [(e.type, e.path) for e in replayed] == [
        (W.EV_DATA_CHANGED, sw),
        (W.EV_DELETED, sw + "/gone"),
        (W.EV_CREATED, sw + "/new"),
        (W.EV_CHILDREN_CHANGED, sw),
        (W.EV_DELETED, sw + "/gone2"),
    ]
    assert all(e.zxid == -1 and e.state == STATE_SYNC_CONNECTED for e in replayed)

    # unchanged paths were registered instead of replayed
    n = len(a2.events)
    zk.set(sw + "/same", b"changed")
    zk.create(sw + "/notyet")
    zk.create(sw + "/another")  # the child watch on sw fired during replay: not registered
    zk.set(sw, b"v2")  # the data watch on sw fired during replay: not registered
    fence(a2, sw + "/same")
    fence(a2, sw + "/notyet")
    fence(a2, sw)
    assert evs(a2, n) == [(W.EV_DATA_CHANGED, sw + "/same"), (W.EV_CREATED, sw + "/notyet")]


def test_watches_belong_to_the_connection(make_raw, zk, path):
    """Re-attaching a session without SetWatches: the old connection's watches are gone."""
    a = make_raw()
    a.create(path)
    a.get_data(path, watch=True)
    a.add_watch(path, W.ADD_WATCH_PERSISTENT)
    sid, pw, last = a.session_id, a.passwd, a.last_zxid
    a.close()
    b = make_raw(handshake=False)
    assert b.connect(session_id=sid, passwd=pw, last_zxid=last).session_id == sid
    zk.set(path, b"x")
    zk.create(path + "/k")
    fence(b, path)
    assert b.events == []
    assert b.check_watches(path, W.WT_ANY).err == W.NOWATCHER


def test_set_watches_nothing_changed_registers_all(make_raw, zk, path):
    a = make_raw()
    a.create(path)
    a.create(path + "/c")
    rel = a.last_zxid
    rep, replayed = a.set_watches(rel, data=[path], exist=[path + "/x"], child=[path])
    assert rep.err == 0 and replayed == []
    zk.create(path + "/x")
    zk.set(path, b"d")
    fence(a, path)
    fence(a, path + "/x")
    assert sorted(evs(a)) == sorted([(W.EV_CREATED, path + "/x"),
                                     (W.EV_CHILDREN_CHANGED, path),
                                     (W.EV_DATA_CHANGED, path)])


def test_set_watches2_persistent_lists(make_raw, zk, path):
    a = make_raw()
    a.create(path)
    rel = a.last_zxid
    zk.set(path, b"changed after rel: persistent lists are never replayed")
    rep, replayed = a.set_watches(rel, persistent=[path], recursive=[path + "/r"])
    assert rep.err == 0 and replayed == []
    zk.create(path + "/k")
    zk.create(path + "/r")
    zk.create(path + "/r/x")
    fence(a, path)
    fence(a, path + "/r/x")
    # create P fires NodeCreated on P before NodeChildrenChanged on its parent
    assert evs(a) == [(W.EV_CHILDREN_CHANGED, path),
                      (W.EV_CREATED, path + "/r"), (W.EV_CHILDREN_CHANGED, path),
                      (W.EV_CREATED, path + "/r/x")]


# ------------------------------------------------------------------------------------------------
# ACL filtering of events (spec 10.6)
# ------------------------------------------------------------------------------------------------
def test_events_filtered_by_read_acl(make_raw, make_client, path):
    a = make_raw()
    owner = make_client(auth_data=[("digest", "owner:pw")])
    owner.create(path)
    assert a.add_watch(path, W.ADD_WATCH_PERSISTENT_RECURSIVE).err == 0
    rep, _ = a.exists(path + "/secret2", watch=True)
    assert rep.err == W.NONODE
    secret_acl = [make_digest_acl("owner", "pw", all=True)]
    owner.create(path + "/secret", b"s", acl=secret_acl)
    owner.create(path + "/secret2", b"s", acl=secret_acl)
    owner.create(path + "/ipsecret", b"s", acl=[ACL(Permissions.ALL, Id("ip", "10.0.0.0/8"))])
    owner.create(path + "/open", b"o")
    owner.set(path + "/secret", b"t")
    fence(a, path + "/open")
    assert evs(a) == [(W.EV_CREATED, path + "/open")]


# ------------------------------------------------------------------------------------------------
# kazoo-level watch API
# ------------------------------------------------------------------------------------------------
def test_kazoo_watch_callbacks(make_client, path):
    zk = make_client()
    other = make_client()
    created = Recorder()
    assert zk.exists(path, watch=created) is None
    other.create(path, b"1")
    ev = created.wait(1)[0]
    assert (ev.type, ev.state, ev.path) == (EventType.CREATED, KazooState.CONNECTED, path)

    changed = Recorder()
    zk.get(path, watch=changed)
    other.set(path, b"2")
    assert changed.wait(1)[0].type == EventType.CHANGED

    child = Recorder()
    zk.get_children(path, watch=child)
    other.create(path + "/c")
    ev = child.wait(1)[0]
    assert (ev.type, ev.path) == (EventType.CHILD, path)

    deleted = Recorder()
    zk.exists(path + "/c", watch=deleted)
    other.delete(path + "/c")
    assert deleted.wait(1)[0].type == EventType.DELETED


def test_kazoo_data_and_children_watch_recipes(make_client, path):
    zk = make_client()
    other = make_client()
    zk.create(path, b"a")
    seen_data = []
    seen_children = []
    data_cond = threading.Event()

    @DataWatch(zk, path)
    def _d(data, stat):
        seen_data.append(data)
        if data == b"c":
            data_cond.set()

    @ChildrenWatch(zk, path)
    def _c(children):
        seen_children.append(sorted(children))

    other.set(path, b"b")
    wait_until(lambda: b"b" in seen_data, 10, message="DataWatch saw b")
    other.set(path, b"c")
    assert data_cond.wait(10)
    other.create(path + "/x")
    other.create(path + "/y")
    wait_until(lambda: seen_children and seen_children[-1] == ["x", "y"], 10,
               message="ChildrenWatch saw x,y")
    assert seen_data[0] == b"a" and seen_data[-1] == b"c"
