"""Bad input never hurts others (spec 1.3, 2, 3.4, 3.5, 12).

While a well-behaved kazoo client loops create/get/set/delete and checks every result, and a
poller keeps asking `ruok`, about 50 connections (chosen by a seeded random generator) send random
bytes, garbage after a valid handshake, truncated frames, oversized and negative frame lengths,
stalls in the middle of a frame, unknown opcodes and malformed records. Where the spec says what a
bad connection gets, that is checked:

* frame length < 0 or > 0xFFFFF            -> closed without any reply (spec 1.3)
* unknown opcode                            -> ReplyHeader{xid, -1, UNIMPLEMENTED}, then close (3.4)
* malformed request record                  -> MARSHALLINGERROR reply, or close (1.2)

The seed is printed (pytest shows it on failure); ROOKERY_GARBAGE_SEED=<seed> replays a run.
Separate tests: the per-address connection cap (max_connections_per_address = 10) and the
pre-handshake idle limit (ZooKeeper's sessionlessCnxnTimeout, about 10 s).
"""

import concurrent.futures
import os
import random
import re
import socket
import struct
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

import harness
import zkwire as W
from harness import wait_until

MAX_FRAME = 0xFFFFF
BAD_CONNECTIONS = 50

# opcodes a client may send (spec 3.3); everything else is "unknown" (spec 3.4)
VALID_OPS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22,
             100, 101, 102, 103, 104, 105, 106, 107, -11]


def unknown_opcode(rng):
    return rng.choice([0, 10, rng.randint(23, 99), rng.randint(108, 2 ** 31 - 1), -1,
                       rng.randint(-9, -2), rng.randint(-2 ** 31, -12)])


def is_4lw(first4):
    return all(0x61 <= b <= 0x7A for b in first4)  # all lowercase letters: could be a command


def recv_everything(sock, timeout):
    """Reads raw bytes until EOF/reset (returns (bytes, True)) or timeout (returns (bytes, False))."""
    deadline = time.monotonic() + timeout
    got = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return got, False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return got, False
        except (ConnectionResetError, BrokenPipeError):
            return got, True
        if not chunk:
            return got, True
        got += chunk


def send_quietly(conn, data):
    """Sends; a reset/broken pipe (the server already closed) is not an error here."""
    try:
        conn.send_raw(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def replies_until_close(conn, timeout=5.0):
    """[(xid, zxid, err, frame_len)] of the frames received until the server closes, and whether
    it closed within timeout."""
    closed = conn.wait_closed(timeout)
    out = []
    for payload in conn.drained:
        assert len(payload) >= 16, "reply frame shorter than a ReplyHeader: %r" % payload
        xid, zxid, err = struct.unpack_from("!iqi", payload)
        out.append((xid, zxid, err, len(payload)))
    return out, closed


# --- the bad connections --------------------------------------------------------------------------
# Each takes (rng, server, keep) and returns a short description; it raises AssertionError when
# the server's answer contradicts the spec. `keep` collects sockets that must stay open.

def bad_random_bytes(rng, server, keep):
    data = rng.randbytes(rng.randint(1, 4096))
    c = W.ZkWire(server.host, server.port)
    try:
        send_quietly(c, data)
        if len(data) >= 4 and not is_4lw(data[:4]):
            (n,) = struct.unpack("!i", data[:4])
            if n < 0 or n > MAX_FRAME:
                got, closed = recv_everything(c.sock, 5)
                assert closed, "frame length %d: connection not closed within 5 s" % n
                assert got == b"", "frame length %d: server sent %r" % (n, got[:40])
                return "random %d bytes, length %d: closed" % (len(data), n)
        recv_everything(c.sock, 0.3)
        return "random %d bytes" % len(data)
    finally:
        c.close()


def check_reply_sequence(sent, replies, closed, strict):
    """Replies to pipelined requests `sent` [(xid, op)]: in order, one per request, each echoing
    its xid (a ping is answered with xid -2; an auth reply may carry the usual -4). An unknown
    opcode gets (xid, -1, UNIMPLEMENTED) and then the connection is closed.

    Requests pipelined behind the unknown opcode may still be answered before the close:
    ZooKeeper 3.8 does that too, depending on timing (spec 3.4 only describes a lone request).

    strict=False (ZooKeeper 3.8): an UNIMPLEMENTED reply is written from the I/O thread at once,
    so it can overtake the replies to earlier pipelined requests, which are then lost. Spec 3.5
    asks a new server for strict order, so rookeryd is held to it."""
    i = 0
    unimplemented = False
    for reply in replies:
        xid, zxid, err, _ = reply
        if not strict and (zxid, err) == (-1, W.UNIMPLEMENTED):
            while i < len(sent) and sent[i][1] in VALID_OPS:
                i += 1  # overtaken, never answered
        assert i < len(sent), "reply %r to nothing (sent %r, replies %r)" % (reply, sent, replies)
        rxid, op = sent[i]
        i += 1
        expect = {11: (-2,), 100: (rxid, -4)}.get(op, (rxid,))
        assert xid in expect, "reply xid %d, expected %s (sent %r, replies %r)" % (
            xid, expect, sent, replies)
        if op not in VALID_OPS:
            assert (zxid, err) == (-1, W.UNIMPLEMENTED), (op, reply)
            unimplemented = True
        closes = op == W.OP_CLOSE_SESSION or op not in VALID_OPS or (op == 100 and err == W.AUTHFAILED)
        if closes and strict:
            # The reply that closes the connection is the last thing written on it.
            assert reply is replies[-1], "replies after the one that closes (sent %r, replies %r)" % (
                sent, replies)
    if unimplemented:
        assert closed, "no close after UNIMPLEMENTED (sent %r, replies %r)" % (sent, replies)


def bad_garbage_after_connect(rng, server, keep):
    c = W.open_session(server.host, server.port, timeout_ms=4000)
    try:
        sent = []
        for _ in range(rng.randint(1, 8)):
            xid = rng.randint(1, 10 ** 6)
            op = rng.choice(VALID_OPS) if rng.random() < 0.7 else unknown_opcode(rng)
            body = rng.randbytes(rng.randint(0, 300))
            if not send_quietly(c, W.frame(W.w_int(xid) + W.w_int(op) + body)):
                break
            sent.append((xid, op))
        replies, closed = replies_until_close(c, 3)
        check_reply_sequence(sent, replies, closed, strict=not server.is_zookeeper)
        return "garbage after connect: %d frames (ops %s), %d replies, %s" % (
            len(sent), [op for _, op in sent], len(replies), "closed" if closed else "open")
    finally:
        c.close()


def bad_truncated(rng, server, keep):
    if rng.random() < 0.5:
        full = W.frame(W.connect_request())
        cut = rng.randint(1, len(full) - 1)
        c = W.ZkWire(server.host, server.port)
        send_quietly(c, full[:cut])
        what = "ConnectRequest cut at %d of %d" % (cut, len(full))
    else:
        c = W.open_session(server.host, server.port, timeout_ms=4000)
        full = W.frame(W.w_int(1) + W.w_int(W.OP_CREATE) + W.create_body("/garbage-trunc", b"x" * 100))
        cut = rng.randint(1, len(full) - 1)
        send_quietly(c, full[:cut])
        # an incomplete frame must not be processed
        assert c.no_frames_for(0.3), "a reply to a truncated frame"
        what = "create frame cut at %d of %d" % (cut, len(full))
    c.close()
    return what + ", then closed"


def bad_oversized(rng, server, keep):
    n = rng.choice([0x00100000, 0x7FFFFFFF, rng.randint(0x00100000, 0x7FFFFFFF),
                    -1, -5, -2 ** 31, rng.randint(-2 ** 31, -1)])
    after_handshake = rng.random() < 0.5
    c = (W.open_session(server.host, server.port, timeout_ms=4000) if after_handshake
         else W.ZkWire(server.host, server.port))
    try:
        send_quietly(c, struct.pack("!i", n) + rng.randbytes(rng.randint(0, 64)))
        got, closed = recv_everything(c.sock, 5)
        where = "after handshake" if after_handshake else "as first frame"
        assert closed, "frame length %d %s: not closed within 5 s" % (n, where)
        assert got == b"", "frame length %d %s: server sent %r" % (n, where, got[:40])
        return "frame length %d %s: closed without reply" % (n, where)
    finally:
        c.close()


def bad_stall(rng, server, keep):
    variant = rng.randrange(4)
    if variant == 0:
        c = W.ZkWire(server.host, server.port)
        c.send_raw(W.frame(W.connect_request())[:2])
        what = "2 of 4 length bytes, no handshake"
    elif variant == 1:
        c = W.ZkWire(server.host, server.port)
        full = W.frame(W.connect_request())
        c.send_raw(full[:4 + (len(full) - 4) // 2])
        what = "half a ConnectRequest"
    elif variant == 2:
        c = W.open_session(server.host, server.port, timeout_ms=4000)
        c.send_raw(struct.pack("!i", 30)[:2])
        what = "session, then 2 of 4 length bytes"
    else:
        c = W.open_session(server.host, server.port, timeout_ms=4000)
        full = W.frame(W.w_int(1) + W.w_int(W.OP_GET_DATA) + W.path_watch_body("/garbage-stall"))
        c.send_raw(full[:len(full) // 2])
        what = "session, then half a getData frame"
    keep.append(c)  # held open, doing nothing, until the end of the test
    return "stall: " + what


def bad_unknown_opcode(rng, server, keep):
    c = W.open_session(server.host, server.port, timeout_ms=4000)
    try:
        op = unknown_opcode(rng)
        sent = []
        pipelined = rng.random() < 0.5
        if pipelined:
            # a good request before it is answered first (rookeryd); one after it may be answered
            # before the close
            sent.append((c.send(W.OP_EXISTS, W.path_watch_body("/")), W.OP_EXISTS))
        xid = c.send(op, rng.randbytes(rng.randint(0, 40)))
        sent.append((xid, op))
        if pipelined:
            sent.append((c.send(W.OP_EXISTS, W.path_watch_body("/")), W.OP_EXISTS))
        replies, closed = replies_until_close(c, 5)
        check_reply_sequence(sent, replies, closed, strict=not server.is_zookeeper)
        assert (xid, -1, W.UNIMPLEMENTED, 16) in replies, (op, replies)
        if pipelined and not server.is_zookeeper:
            assert replies[0][:3] == (sent[0][0], replies[0][1], 0), (op, replies)
        return "unknown opcode %d%s: UNIMPLEMENTED, closed" % (op, " (pipelined)" if pipelined else "")
    finally:
        c.close()


def malformed_record(rng):
    """(opcode, xid or None, body, description) of a request whose record cannot be parsed."""
    huge = rng.choice([0x7FFFFFFF, rng.randint(0x10000, 0x7FFFFFFF)])
    kinds = [
        (W.OP_GET_DATA, None, W.w_int(rng.randint(20, MAX_FRAME)) + b"/abc" + W.w_bool(False),
         "getData whose path length exceeds the frame"),
        (W.OP_GET_DATA, None, W.w_int(-5) + b"/abc" + W.w_bool(False),
         "getData with path length -5"),
        (W.OP_EXISTS, None, b"\x00\x00", "exists with a 2-byte record"),
        (W.OP_GET_CHILDREN, None, W.w_int(0x7FFFFFFF) + b"/", "getChildren, path length 2^31-1"),
        (W.OP_CREATE, None, W.w_string("/garbage-bad") + W.w_buffer(b"x") + W.w_int(huge),
         "create with an ACL vector count of %d and no entries" % huge),
        (W.OP_CREATE, None, W.w_string("/garbage-bad") + W.w_int(rng.randint(50, MAX_FRAME)) + b"xy",
         "create whose data length exceeds the frame"),
        (W.OP_SET_DATA, None, W.w_string("/garbage-bad") + W.w_int(-7) + W.w_int(-1),
         "setData with data length -7"),
        (W.OP_SET_ACL, None, W.w_string("/garbage-bad") + W.w_int(huge),
         "setACL with an ACL vector count of %d" % huge),
        (W.OP_SET_WATCHES, W.XID_SET_WATCHES, W.w_long(0) + W.w_int(huge),
         "setWatches with a vector count of %d" % huge),
        (W.OP_MULTI, None, W.w_int(W.OP_CREATE) + W.w_bool(False) + W.w_int(-1) + W.w_int(huge),
         "multi whose create has path length %d" % huge),
        (W.OP_GET_EPHEMERALS, None, W.w_int(huge), "getEphemerals, path length %d" % huge),
    ]
    return rng.choice(kinds)


def bad_malformed(rng, server, keep):
    c = W.open_session(server.host, server.port, timeout_ms=4000)
    try:
        op, xid, body, what = malformed_record(rng)
        xid = c.send(op, body, xid=xid)
        try:
            rep = c.read_reply(5)
        except W.ConnectionClosed:
            return "%s: closed" % what
        assert (rep.xid, rep.err, rep.frame_len) == (xid, W.MARSHALLINGERROR, 16), (
            "%s: expected MARSHALLINGERROR for xid %d, got xid %d err %d (%d bytes)"
            % (what, xid, rep.xid, rep.err, rep.frame_len))
        # if the connection is kept, it still works (or is closed, never confused)
        try:
            ping = c.ping()
        except W.ConnectionClosed:
            return "%s: MARSHALLINGERROR, then closed" % what
        assert (ping.xid, ping.err) == (W.XID_PING, 0), (what, ping)
        return "%s: MARSHALLINGERROR, connection still usable" % what
    finally:
        c.close()


BAD_KINDS = {
    "random_bytes": bad_random_bytes,
    "garbage_after_connect": bad_garbage_after_connect,
    "truncated": bad_truncated,
    "oversized": bad_oversized,
    "stall": bad_stall,
    "unknown_opcode": bad_unknown_opcode,
    "malformed": bad_malformed,
}


# --- the well-behaved observers -------------------------------------------------------------------
class GoodClient(threading.Thread):
    """create/get/set/get/delete in a loop with kazoo, checking every result; every call bounded."""

    def __init__(self, server):
        super().__init__(name="good-client", daemon=True)
        self.zk = KazooClient(hosts=server.connect_string, timeout=10.0)
        self.states = []
        self.errors = []
        self.ops = 0
        self.kept = 0                   # nodes left in place (every third)
        self.max_latency = 0.0
        self.stop_event = threading.Event()

    def _on_state(self, state):
        if not self.stop_event.is_set():  # zk.stop() at the end reports LOST
            self.states.append(state)

    def _call(self, what, async_result):
        t = time.monotonic()
        value = async_result.get(timeout=5)
        self.max_latency = max(self.max_latency, time.monotonic() - t)
        self.ops += 1
        return value

    def run(self):
        zk = self.zk
        try:
            zk.start(timeout=15)
            zk.add_listener(self._on_state)
            zk.ensure_path("/good")
            i = 0
            while not self.stop_event.is_set():
                i += 1
                path = "/good/n-%d" % i
                v1, v2 = b"first-%d" % i, b"second-%d" % i * (i % 50 + 1)
                assert self._call("create", zk.create_async(path, v1)) == path
                data, st = self._call("get", zk.get_async(path))
                assert data == v1 and st.version == 0, (path, data, st)
                st = self._call("set", zk.set_async(path, v2, version=0))
                assert st.version == 1 and st.dataLength == len(v2), (path, st)
                data, st = self._call("get", zk.get_async(path))
                assert data == v2 and st.version == 1, (path, data, st)
                if i % 3:
                    self._call("delete", zk.delete_async(path, version=1))
                    assert self._call("exists", zk.exists_async(path)) is None, path
                else:
                    self.kept += 1
        except Exception as e:  # noqa: BLE001 - any error is the finding
            self.errors.append(repr(e))

    def finish(self):
        self.stop_event.set()
        self.join(20)
        try:
            self.zk.stop()
            self.zk.close()
        except Exception:
            pass


class RuokPoller(threading.Thread):
    def __init__(self, server):
        super().__init__(name="ruok", daemon=True)
        self.server = server
        self.failures = []
        self.count = 0
        self.max_latency = 0.0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(0.2):
            if self.server.proc.poll() is not None:
                self.failures.append("server exited with %s" % self.server.proc.returncode)
                return
            t = time.monotonic()
            try:
                answer = self.server.four_letter("ruok", timeout=5)
            except OSError as e:
                answer = repr(e)
            self.max_latency = max(self.max_latency, time.monotonic() - t)
            self.count += 1
            if answer != "imok":
                self.failures.append("ruok answered %r" % answer)


def parse_srvr(text):
    fields = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    return fields


def check_srvr_sane(text, min_nodes, min_packets, max_connections):
    f = parse_srvr(text)
    lat = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)/(\d+)", f.get("Latency min/avg/max", ""))
    assert lat, text
    lo, avg, hi = int(lat.group(1)), float(lat.group(2)), int(lat.group(3))
    assert 0 <= lo <= avg <= hi < 60000, text
    received, sent = int(f["Received"]), int(f["Sent"])
    assert min_packets <= received < 10 ** 7 and min_packets <= sent < 10 ** 7, text
    assert 1 <= int(f["Connections"]) <= max_connections, text
    assert int(f["Outstanding"]) == 0, text
    assert int(f["Zxid"], 16) > 0, text
    assert f["Mode"] == "standalone", text
    assert min_nodes <= int(f["Node count"]) < 100000, text
    return f


# --- tests -----------------------------------------------------------------------------------------
@pytest.fixture
def open_server():
    """No per-address connection cap: 50 bad connections, stalls and pollers share 127.0.0.1."""
    s = harness.Server(max_connections_per_address=0)
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


def test_bad_connections_do_not_hurt_a_good_client(open_server):
    server = open_server
    seed = int(os.environ.get("ROOKERY_GARBAGE_SEED") or random.randrange(1, 2 ** 31))
    print("ROOKERY_GARBAGE_SEED=%d" % seed)
    rng = random.Random(seed)

    # every kind at least twice; the stalls go first so they are held through the whole run
    names = sorted(BAD_KINDS) * 2
    names += [rng.choice(sorted(BAD_KINDS)) for _ in range(BAD_CONNECTIONS - len(names))]
    rng.shuffle(names)
    names.sort(key=lambda n: n != "stall")
    jobs = [(i, name, rng.randrange(2 ** 32)) for i, name in enumerate(names)]

    good = GoodClient(server)
    poller = RuokPoller(server)
    good.start()
    wait_until(lambda: good.ops > 0 or good.errors, timeout=15, message="good client running")
    poller.start()
    kept = []
    outcomes, failures = [], []

    def run(job):
        i, name, sub_seed = job
        try:
            outcomes.append("#%d %s: %s" % (i, name, BAD_KINDS[name](random.Random(sub_seed),
                                                                       server, kept)))
        except Exception as e:  # noqa: BLE001
            failures.append("#%d %s (sub-seed %d): %r" % (i, name, sub_seed, e))

    try:
        stalls = [j for j in jobs if j[1] == "stall"]
        for job in stalls:
            run(job)
        ops_before = good.ops
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(run, [j for j in jobs if j[1] != "stall"], timeout=120))
        # with the stalls still open: new sessions and the good client keep going
        time.sleep(1.0)
        fresh = W.open_session(server.host, server.port)
        assert fresh.exists("/")[0].err == 0
        fresh.close_quietly()
        ops_during = good.ops - ops_before
    finally:
        poller.stop_event.set()
        poller.join(10)
        good.finish()
        for c in kept:
            c.close()

    print("\n".join(sorted(outcomes)))
    print("good client: %d ops, max latency %.2fs; ruok: %d answers, max latency %.2fs"
          % (good.ops, good.max_latency, poller.count, poller.max_latency))
    assert not failures, "seed %d: bad connections got answers against the spec:\n%s" % (
        seed, "\n".join(failures))
    assert not good.errors, "seed %d: the good client failed: %s" % (seed, good.errors)
    bad_states = [s for s in good.states if s != KazooState.CONNECTED]
    assert not bad_states, "seed %d: the good client saw %s" % (seed, bad_states)
    assert ops_during > 20, "seed %d: good client made only %d ops during the run" % (
        seed, ops_during)
    assert good.max_latency < 5.0
    assert not poller.failures, "seed %d: %s" % (seed, poller.failures[:5])
    assert poller.count >= 3 and poller.max_latency < 5.0
    assert server.proc.poll() is None, "server exited with %s" % server.proc.returncode

    # afterwards: all bad connections are gone and srvr shows sane numbers
    def settled():
        f = parse_srvr(server.four_letter("srvr"))
        # Expiry of the bad connections' sessions may still be on its way to disk.
        settled_now = int(f.get("Connections", "999")) <= 2 and f.get("Outstanding") == "0"
        return f if settled_now else None
    wait_until(settled, timeout=15, interval=0.2, message="bad connections to be closed, nothing outstanding")
    check_srvr_sane(server.four_letter("srvr"), min_nodes=good.kept, min_packets=good.ops,
                    max_connections=2)
    assert server.four_letter("ruok") == "imok"
    zk = KazooClient(hosts=server.connect_string, timeout=10.0)
    zk.start(timeout=15)
    try:
        assert len(zk.get_children("/good")) > 0
        assert zk.exists("/garbage-bad") is None and zk.exists("/garbage-trunc") is None
    finally:
        zk.stop()
        zk.close()


def test_connections_beyond_the_per_address_cap_are_closed_at_once():
    server = harness.Server(max_connections_per_address=10)
    conns = []
    try:
        server.start()
        for _ in range(10):
            c = W.open_session(server.host, server.port, timeout_ms=4000)
            assert c.exists("/")[0].err == 0
            conns.append(c)
        # the 11th (and a flood of more) are closed at once, without a ConnectResponse
        for i in range(20):
            t = time.monotonic()
            try:
                extra = W.ZkWire(server.host, server.port)
            except OSError:  # closed while connecting: refused as well
                got, closed, elapsed = b"", True, time.monotonic() - t
            else:
                try:
                    send_quietly(extra, W.frame(W.connect_request()))
                    got, closed = recv_everything(extra.sock, 3)
                    elapsed = time.monotonic() - t
                finally:
                    extra.close()
            assert closed and got == b"", "connection %d beyond the cap: got %r, closed=%s" % (
                11 + i, got[:40], closed)
            assert elapsed < 2.0, "connection %d beyond the cap closed after %.1fs" % (11 + i, elapsed)
        assert server.proc.poll() is None
        # the first 10 are unaffected
        for c in conns:
            assert c.ping().err == 0
            rep, _ = c.create("/cap-%x" % c.session_id, flags=W.EPHEMERAL)
            assert rep.err == 0
        # a freed slot can be used again
        conns.pop().close_quietly()

        def new_session():
            try:
                c = W.open_session(server.host, server.port, timeout_ms=4000)
            except (OSError, W.ConnectionClosed, AssertionError):
                return None
            conns.append(c)
            return c
        c = wait_until(new_session, timeout=5, interval=0.1, message="a slot to be freed")
        assert c.exists("/")[0].err == 0
    finally:
        for c in conns:
            c.close_quietly()
        server.cleanup()


def test_connection_without_handshake_is_closed_after_about_10s(open_server):
    server = open_server
    good = W.open_session(server.host, server.port, timeout_ms=4000)
    stalls = {
        "nothing sent": b"",
        "2 of 4 length bytes": W.frame(W.connect_request())[:2],
        "half a ConnectRequest": W.frame(W.connect_request())[:25],
    }
    limit = 15.0 if server.kind == "rookeryd" else 25.0  # ZooKeeper's expiry buckets: 10-20 s
    conns = {}
    try:
        t0 = time.monotonic()
        for what, data in stalls.items():
            c = W.ZkWire(server.host, server.port)
            if data:
                c.send_raw(data)
            conns[what] = c
        closed_at = {}
        while len(closed_at) < len(conns) and time.monotonic() - t0 < limit:
            for what, c in conns.items():
                if what not in closed_at and c.wait_closed(0.1):
                    closed_at[what] = time.monotonic() - t0
                    assert c.drained == [], (what, c.drained)
            assert good.ping().err == 0  # an established session is not affected
        print("closed after: %s" % {k: round(v, 1) for k, v in closed_at.items()})
        not_closed = sorted(set(conns) - set(closed_at))
        assert not not_closed, "still open after %.0fs without a handshake: %s" % (limit, not_closed)
        for what, elapsed in closed_at.items():
            assert elapsed >= 5.0, "%s: closed after only %.1fs" % (what, elapsed)
        assert good.exists("/")[0].err == 0
    finally:
        for c in conns.values():
            c.close()
        good.close_quietly()
