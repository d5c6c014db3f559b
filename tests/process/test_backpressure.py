"""A client that pipelines requests and never reads its replies must not make the server
buffer without bound: the server stops reading that connection, keeps serving everyone else,
and loses nothing once the client reads again."""

import threading
import time

import pytest
from kazoo.client import KazooClient

import harness
import zkwire

pytestmark = pytest.mark.skipif(harness.server_kind() != "rookeryd", reason="rookeryd's flow-control settings")

VALUE_BYTES = 256 * 1024
REQUESTS = 4000  # about 1 GB of replies if the server answered them all at once


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def push_without_reading(conn, frames, seconds):
    """Sends as much of `frames` as the server takes within `seconds`; returns bytes sent."""
    conn.sock.setblocking(False)
    sent = 0
    deadline = time.monotonic() + seconds
    while sent < len(frames) and time.monotonic() < deadline:
        try:
            sent += conn.sock.send(frames[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
    conn.sock.setblocking(True)
    conn.sock.settimeout(30)
    return sent


def test_unread_replies_pause_the_connection_and_nothing_is_lost():
    s = harness.Server(rookeryd_extra_config=["max_outstanding_requests = 50"])
    try:
        s.start()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        zk.create("/big", b"v" * VALUE_BYTES)
        rss_before = rss_bytes(s.pid)

        greedy = zkwire.open_session(s.host, s.port)
        request = zkwire.w_string("/big") + zkwire.w_bool(False)
        frames = b"".join(zkwire.frame(zkwire.w_int(xid) + zkwire.w_int(zkwire.OP_GET_DATA) + request)
                          for xid in range(1, REQUESTS + 1))
        sent = push_without_reading(greedy, frames, seconds=4)

        # Everyone else is served while that connection is stuck.
        zk.set("/big", b"w" * VALUE_BYTES)
        assert zk.get("/big")[0][:1] == b"w"
        grown = rss_bytes(s.pid) - rss_before
        assert grown < 200 * 1024 * 1024, "server grew by %d MB for one unread connection" % (grown >> 20)

        # Once the client reads, every request it got in is answered, in order.
        # The rest is sent alongside: the server only reads more as replies are taken.
        sender = threading.Thread(target=greedy.sock.sendall, args=(frames[sent:],), daemon=True)
        sender.start()
        expected = 1
        while expected <= REQUESTS:
            reply = greedy.read_reply(timeout=30)
            assert reply.xid == expected and reply.err == 0
            expected += 1
        sender.join(10)
        greedy.close()
        zk.stop()
        zk.close()
    finally:
        s.cleanup()


def pipeline_and_read(conn, frames, count, timeout=60):
    """Sends all frames from a thread while reading `count` replies; returns them in order."""
    sender = threading.Thread(target=conn.sock.sendall, args=(frames,), daemon=True)
    sender.start()
    replies = [conn.read_reply(timeout=timeout) for _ in range(count)]
    sender.join(10)
    return replies


def test_pausing_and_resuming_many_times_loses_no_request():
    # One request at a time inside the server: reading pauses and resumes for nearly every
    # frame, so a resume lost inside CAF's multiplexer would stall the connection.
    s = harness.Server(rookeryd_extra_config=["max_outstanding_requests = 1"])
    try:
        s.start()
        conn = zkwire.open_session(s.host, s.port)
        count = 20000
        body = zkwire.w_string("/zookeeper") + zkwire.w_bool(False)
        frames = b"".join(zkwire.frame(zkwire.w_int(xid) + zkwire.w_int(zkwire.OP_EXISTS) + body)
                          for xid in range(1, count + 1))
        replies = pipeline_and_read(conn, frames, count, timeout=20)
        assert [r.xid for r in replies] == list(range(1, count + 1))
        assert all(r.err == 0 for r in replies)
        conn.close()
    finally:
        s.cleanup()


def test_a_reading_client_with_many_large_reads_in_flight_is_never_dropped():
    s = harness.Server()  # default limits
    try:
        s.start()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        zk.create("/large", b"l" * (256 * 1024))
        conn = zkwire.open_session(s.host, s.port)
        count = 2000  # 512 MB of replies, up to 1000 requests inside the server at a time
        body = zkwire.w_string("/large") + zkwire.w_bool(False)
        frames = b"".join(zkwire.frame(zkwire.w_int(xid) + zkwire.w_int(zkwire.OP_GET_DATA) + body)
                          for xid in range(1, count + 1))
        replies = pipeline_and_read(conn, frames, count)
        assert [r.xid for r in replies] == list(range(1, count + 1))
        assert all(r.err == 0 for r in replies)
        conn.close()
        zk.stop()
        zk.close()
    finally:
        s.cleanup()
