"""Sessions: ephemeral lifetime, expiry, timeout negotiation, re-attach, pipelining (spec 2, 12)."""

import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import EventType, KazooState

import harness
import zkwire as W
from harness import wait_until


def assert_reattach_refused(make_raw, sid, pw):
    """A closed or expired session: the invalid ConnectResponse, then the connection closes."""
    c = make_raw(handshake=False)
    resp = c.connect(session_id=sid, passwd=pw)
    assert (resp.timeout, resp.session_id, resp.passwd) == (0, 0, b"\x00" * 16)
    assert c.wait_closed(5)


def test_ephemeral_removed_on_close(make_client, path):
    a, b = make_client(), make_client()
    a.create(path, ephemeral=True)
    a.create(path + "-seq-", ephemeral=True, sequence=True)
    deleted = threading.Event()
    b.exists(path, watch=lambda ev: ev.type == EventType.DELETED and deleted.set())
    a.stop()
    assert deleted.wait(10)
    assert b.exists(path) is None
    assert not [c for c in b.get_children("/") if c.startswith(path[1:] + "-seq-")]


def test_close_session_removes_ephemerals_and_session(make_raw, zk, path):
    a = make_raw()
    assert a.create(path, flags=W.EPHEMERAL)[0].err == 0
    sid, pw = a.session_id, a.passwd
    assert zk.exists(path).ephemeralOwner == sid
    rep = a.close_session()
    assert rep.err == 0
    assert a.wait_closed(5)
    assert zk.exists(path) is None
    # closeSession, then re-attach -> the invalid ConnectResponse
    assert_reattach_refused(make_raw, sid, pw)


def test_session_expiry_removes_ephemerals(server, make_raw, zk, path):
    timeout_ms = 1000
    assert server.min_session_timeout() <= timeout_ms <= server.max_session_timeout()
    a = make_raw(timeout_ms=timeout_ms)
    assert a.negotiated_timeout == timeout_ms
    assert a.create(path, flags=W.EPHEMERAL)[0].err == 0
    sid, pw = a.session_id, a.passwd
    deleted = threading.Event()
    zk.exists(path, watch=lambda ev: ev.type == EventType.DELETED and deleted.set())
    silent_since = time.monotonic()
    # a stops sending anything; the server must expire the session and close the connection
    assert a.wait_closed(timeout_ms / 1000.0 + server.tick_ms / 1000.0 + 5)
    elapsed = time.monotonic() - silent_since
    assert elapsed >= 0.8 * timeout_ms / 1000.0, "closed after %.2fs: too early" % elapsed
    assert a.drained == []  # closed without any message
    assert deleted.wait(5)
    assert zk.exists(path) is None
    assert_reattach_refused(make_raw, sid, pw)


def test_pings_keep_session_alive(server, make_raw, zk, path):
    timeout_ms = 1000
    a = make_raw(timeout_ms=timeout_ms)
    assert a.create(path, flags=W.EPHEMERAL)[0].err == 0
    deadline = time.monotonic() + 3 * timeout_ms / 1000.0
    while time.monotonic() < deadline:
        rep = a.ping()
        assert rep.err == 0
        time.sleep(timeout_ms / 4000.0)
    assert zk.exists(path).ephemeralOwner == a.session_id


def test_timeout_negotiation_clamp(server, make_raw):
    lo, hi = server.min_session_timeout(), server.max_session_timeout()
    assert (lo, hi) == (2 * server.tick_ms, 20 * server.tick_ms)
    for requested, expected in ((0, lo), (1, lo), (lo + 1, lo + 1), (hi, hi), (10 ** 8, hi)):
        c = make_raw(handshake=False)
        resp = c.connect(timeout_ms=requested)
        assert resp.timeout == expected, requested
        c.close()


def test_reattach_keeps_ephemerals_and_renegotiates(server, make_raw, zk, path):
    a = make_raw(timeout_ms=server.max_session_timeout())
    assert a.create(path, b"e", flags=W.EPHEMERAL)[0].err == 0
    sid, pw = a.session_id, a.passwd
    a.close()  # TCP drop, no closeSession
    time.sleep(0.2)
    assert zk.exists(path).ephemeralOwner == sid  # a dropped connection is not the session's end

    b = make_raw(handshake=False)
    resp = b.connect(session_id=sid, passwd=pw, timeout_ms=server.min_session_timeout() + 100,
                     last_zxid=a.last_zxid)
    assert resp.session_id == sid and resp.passwd == pw
    assert resp.timeout == server.min_session_timeout() + 100  # renegotiated
    rep, eph = b.get_ephemerals("/")
    assert rep.err == 0 and path in eph
    rep, (data, st) = b.get_data(path)
    assert data == b"e" and st.ephemeralOwner == sid
    # ephemerals created on the new connection belong to the same session
    assert b.create(path + "-2", flags=W.EPHEMERAL)[0].err == 0
    assert zk.exists(path + "-2").ephemeralOwner == sid
    b.close_session()
    wait_until(lambda: zk.exists(path) is None and zk.exists(path + "-2") is None, 5,
               message="ephemerals gone after closeSession")


def test_reattach_closes_previous_connection(make_raw):
    a = make_raw()
    b = make_raw(handshake=False)
    resp = b.connect(session_id=a.session_id, passwd=a.passwd, last_zxid=a.last_zxid)
    assert resp.session_id == a.session_id
    assert a.wait_closed(5)  # one live connection per session
    rep, _ = b.exists("/")
    assert rep.err == 0


def test_wrong_password_expired_but_session_survives(make_raw, zk, path):
    a = make_raw()
    assert a.create(path, flags=W.EPHEMERAL)[0].err == 0
    sid, pw = a.session_id, a.passwd
    bad = bytes((x ^ 0xFF) for x in pw)
    c = make_raw(handshake=False)
    resp = c.connect(session_id=sid, passwd=bad)
    assert (resp.timeout, resp.session_id, resp.passwd, resp.read_only) == \
        (0, 0, b"\x00" * 16, False)
    assert c.wait_closed(5)
    # the session itself is still valid with the right password
    d = make_raw(handshake=False)
    resp = d.connect(session_id=sid, passwd=pw, last_zxid=a.last_zxid)
    assert resp.session_id == sid and resp.timeout > 0
    assert zk.exists(path).ephemeralOwner == sid


def test_client_ahead_of_server_is_refused(make_raw):
    """lastZxidSeen greater than the server's last zxid: connection closed without a reply."""
    c = make_raw(handshake=False)
    c.send_frame(W.connect_request(last_zxid=0x7FFF000000000000))
    assert c.wait_closed(5)
    assert c.drained == []


def test_requests_pipelined_before_connect_response(make_raw, path):
    c = make_raw(handshake=False)
    reqs = [
        (1, W.OP_CREATE, W.create_body(path, b"p")),
        (2, W.OP_GET_DATA, W.path_watch_body(path)),
        (W.XID_PING, W.OP_PING, b""),
        (3, W.OP_EXISTS, W.path_watch_body(path + "/none")),
        (4, W.OP_SET_DATA, W.w_string(path) + W.w_buffer(b"q") + W.w_int(0)),
        (5, W.OP_GET_DATA, W.path_watch_body(path)),
        (6, W.OP_DELETE, W.w_string(path) + W.w_int(1)),
    ]
    extra = b"".join(W.frame(W.w_int(x) + W.w_int(op) + body) for x, op, body in reqs)
    resp = c.connect(extra=extra)
    assert resp.timeout > 0
    replies = [c.read_reply() for _ in reqs]
    assert [r.xid for r in replies] == [x for x, _, _ in reqs]
    assert [r.err for r in replies] == [0, 0, 0, W.NONODE, 0, 0, 0]
    assert replies[0].body.string() == path
    assert replies[1].body.buffer() == b"p"
    assert replies[5].body.buffer() == b"q"


def test_kazoo_reattach_with_client_id(server, make_raw, path):
    a = make_raw()
    assert a.create(path, flags=W.EPHEMERAL)[0].err == 0
    sid, pw = a.session_id, a.passwd
    a.close()
    kz = KazooClient(hosts=server.connect_string, client_id=(sid, pw), timeout=10.0)
    try:
        kz.start(timeout=15)
        assert kz.client_id[0] == sid
        assert kz.exists(path).ephemeralOwner == sid
    finally:
        kz.stop()
        kz.close()


def test_kazoo_sees_expired_session_and_gets_a_new_one(server, make_raw, path):
    a = make_raw()
    sid, pw = a.session_id, a.passwd
    a.close_session()
    states = []
    kz = KazooClient(hosts=server.connect_string, client_id=(sid, pw), timeout=10.0)
    kz.add_listener(lambda st: states.append(st))
    try:
        kz.start(timeout=15)
        wait_until(lambda: kz.connected and kz.client_id and kz.client_id[0] != sid, 15,
                   message="kazoo reconnected with a new session")
        assert KazooState.CONNECTED in states
        kz.create(path, ephemeral=True)
        assert kz.exists(path).ephemeralOwner == kz.client_id[0]
    finally:
        kz.stop()
        kz.close()


def test_connection_cap_per_address(make_raw):
    s = harness.Server(max_connections_per_address=3)
    try:
        s.start()
        conns = [make_raw(target=s) for _ in range(3)]
        assert not _can_connect(s), "a 4th connection from one address was accepted"
        # the existing connections still work; closing one frees a slot
        for c in conns:
            assert c.exists("/")[0].err == 0
        conns[0].close_quietly()
        wait_until(lambda: _can_connect(s), 10, message="a slot frees up")
    finally:
        s.cleanup()


def _can_connect(s):
    """True if a new connection gets a session (the session is closed again right away)."""
    c = None
    try:
        c = W.ZkWire(s.host, s.port, timeout=5.0)
        resp = c.connect()
        if resp.timeout > 0:
            c.close_quietly()
            return True
        return False
    except (W.ConnectionClosed, OSError):
        return False
    finally:
        if c is not None:
            c.close()
