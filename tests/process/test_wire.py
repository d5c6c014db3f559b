"""Byte-level protocol checks with the raw client (spec sections 1-3, 6.11, 6.22, 15)."""

import struct

import zkwire as W


def test_connect_response_shape_with_readonly_byte(server, make_raw):
    c = make_raw(handshake=False)
    resp = c.connect(timeout_ms=server.max_session_timeout(), read_only=False)
    assert resp.frame_len == 37
    assert resp.protocol_version == 0
    assert resp.timeout == server.max_session_timeout()
    assert resp.session_id != 0
    assert len(resp.passwd) == 16
    assert resp.read_only is False


def test_connect_response_without_readonly_byte(server, make_raw):
    """An 'old' client (44-byte ConnectRequest) gets a 36-byte ConnectResponse."""
    c = make_raw(handshake=False)
    resp = c.connect(timeout_ms=server.max_session_timeout(), read_only=None)
    assert resp.frame_len == 36
    assert resp.read_only is None
    assert len(resp.passwd) == 16 and resp.session_id != 0
    # the session is usable
    rep, _ = c.exists("/")
    assert rep.err == 0


def test_read_only_capable_client_gets_read_write_session(server, make_raw):
    """A standalone server is never read-only: readOnly=1 in the request, 0 in the reply."""
    c = make_raw(handshake=False)
    resp = c.connect(read_only=True)
    assert resp.timeout > 0 and resp.read_only is False
    assert c.create("/wire_ro_ok", flags=W.EPHEMERAL)[0].err == 0


def test_sessions_get_distinct_ids_and_passwords(make_raw):
    a, b = make_raw(), make_raw()
    assert a.session_id != b.session_id
    assert a.passwd != b.passwd
    for sid in (a.session_id, b.session_id):
        assert sid != 0 and sid != -0x8000000000000000
        assert (sid >> 56) & 0xFF != 0xFF  # TTL marker byte never used by session ids


def test_invalid_reattach_gets_zeros_then_close(server, make_raw):
    c = make_raw(handshake=False)
    resp = c.connect(session_id=0x0123456789ABCDEF, passwd=b"\x07" * 16)
    assert resp.timeout == 0
    assert resp.session_id == 0
    assert resp.passwd == b"\x00" * 16
    assert resp.read_only is False
    assert resp.frame_len == 37
    assert c.wait_closed(5)


def test_ping(raw):
    raw.create("/wire_ping_node")
    rep = raw.ping()
    assert (rep.xid, rep.err, rep.frame_len) == (W.XID_PING, 0, 16)
    assert rep.zxid >= raw.last_zxid > 0
    raw.delete("/wire_ping_node")


def test_reply_zxid_monotonic_and_write_zxid(raw):
    rep, (p, st) = raw.create("/wire_zxid", op=W.OP_CREATE2)
    assert rep.err == 0
    assert rep.zxid == st.czxid  # a successful write replies with its own zxid
    last = rep.zxid
    for _ in range(3):
        r, _ = raw.exists("/wire_zxid")
        assert r.zxid >= last
        last = r.zxid
    rep, st2 = raw.set_data("/wire_zxid", b"x")
    assert rep.zxid == st2.mzxid > st.czxid
    raw.delete("/wire_zxid")


def test_unknown_opcode_unimplemented_then_close(raw):
    xid = raw.send(55)
    rep = raw.read_reply()
    assert (rep.xid, rep.zxid, rep.err, rep.frame_len) == (xid, -1, W.UNIMPLEMENTED, 16)
    assert raw.wait_closed(5)


def test_opcode_zero_unimplemented_then_close(raw):
    xid = raw.send(0)
    rep = raw.read_reply()
    assert (rep.xid, rep.err) == (xid, W.UNIMPLEMENTED)
    assert raw.wait_closed(5)


def test_oversized_frame_closes_without_reply(server, raw, make_raw):
    raw.send_raw(struct.pack("!i", 0x00100000))
    assert raw.wait_closed(5)
    assert raw.drained == []
    # also as the very first frame of a connection; the server keeps accepting afterwards
    for _ in range(2):
        c = make_raw(handshake=False)
        c.send_raw(struct.pack("!i", 0x00100000))
        assert c.wait_closed(5) and c.drained == []
        assert make_raw().exists("/")[0].err == 0


def test_negative_frame_length_closes(raw):
    raw.send_raw(struct.pack("!i", -5))
    assert raw.wait_closed(5)
    assert raw.drained == []


def test_largest_frame_is_accepted(raw):
    path = "/wire_big"
    # payload = header(8) + path + data buffer + acl vector + flags == 0xFFFFF exactly
    fixed = 8 + (4 + len(path)) + 4 + len(W.w_acls(W.OPEN_ACL)) + 4
    data = b"z" * (0xFFFFF - fixed)
    body = W.create_body(path, data)
    assert 8 + len(body) == 0xFFFFF
    rep = raw.call(W.OP_CREATE, body, timeout=30)
    assert rep.err == 0
    rep, st = raw.exists(path)
    assert st.dataLength == len(data)
    assert raw.delete(path).err == 0


def test_add_watch_reply_has_4_byte_body(raw):
    rep = raw.add_watch("/wire_addwatch_missing", W.ADD_WATCH_PERSISTENT)
    assert rep.err == 0 and rep.frame_len == 20
    assert rep.body.int() == 0 and rep.body.remaining() == 0
    rep = raw.add_watch("/wire_addwatch_missing", W.ADD_WATCH_PERSISTENT_RECURSIVE)
    assert rep.err == 0 and rep.frame_len == 20
    rep = raw.add_watch("/wire_addwatch_missing", 7)
    assert rep.err == W.MARSHALLINGERROR and rep.frame_len == 16


def test_error_replies_are_header_only(raw):
    rep, _ = raw.get_data("/wire_definitely_missing")
    assert rep.err == W.NONODE and rep.frame_len == 16
    rep, _ = raw.exists("/wire_definitely_missing")
    assert rep.err == W.NONODE and rep.frame_len == 16
    rep, _ = raw.create("/zookeeper")
    assert rep.err == W.NODEEXISTS and rep.frame_len == 16


def test_get_data_zookeeper_config_bytes(raw):
    """Spec 15 worked example: 88-byte reply, empty buffer, aversion -1."""
    rep = raw.call(W.OP_GET_DATA, W.path_watch_body("/zookeeper/config"))
    assert rep.err == 0 and rep.frame_len == 88
    assert rep.body.buffer() == b""
    st = rep.body.stat()
    assert st.aversion == -1
    assert st._replace(aversion=0) == W.Stat(*([0] * 11))


def test_close_session_reply_then_close(server, make_raw):
    c = make_raw()
    xid = c.send(W.OP_CLOSE_SESSION)
    rep = c.read_reply()
    assert (rep.xid, rep.err, rep.frame_len) == (xid, 0, 16)
    assert c.wait_closed(5)


def test_four_letter_word_after_handshake_closes(raw):
    raw.send_raw(b"ruok")
    assert raw.wait_closed(5)


def test_replies_in_request_order(raw):
    """Many pipelined requests of different kinds; replies come back in the same order."""
    raw.create("/wire_order")
    xids = []
    for i in range(30):
        if i % 5 == 0:
            xids.append(raw.send(W.OP_PING, xid=W.XID_PING))
        elif i % 5 == 1:
            xids.append(raw.send(W.OP_SET_DATA, W.w_string("/wire_order") + W.w_buffer(b"%d" % i)
                                 + W.w_int(-1)))
        elif i % 5 == 2:
            xids.append(raw.send(W.OP_GET_DATA, W.path_watch_body("/wire_order")))
        elif i % 5 == 3:
            xids.append(raw.send(W.OP_EXISTS, W.path_watch_body("/wire_nonexistent")))
        else:
            xids.append(raw.send(W.OP_SYNC, W.w_string("/")))
    got = [raw.read_reply().xid for _ in xids]
    assert got == xids
    raw.delete("/wire_order")


def test_auth_unknown_scheme_fails_and_closes(make_raw):
    for scheme in ("nosuch", "world", "super"):
        c = make_raw()
        rep = c.auth(scheme, b"x")
        assert (rep.xid, rep.err) == (W.XID_AUTH, W.AUTHFAILED)
        assert c.wait_closed(5), scheme


def test_auth_digest_reply(raw):
    rep = raw.auth("digest", b"user:pw")
    assert (rep.xid, rep.zxid, rep.err, rep.frame_len) == (W.XID_AUTH, 0, 0, 16)
    rep = raw.auth("digest", b"nocolon")  # always succeeds
    assert rep.err == 0
    rep, ids = raw.who_am_i()
    assert ("digest", "nocolon") in ids and ("digest", "user") in ids
