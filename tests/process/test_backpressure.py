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
