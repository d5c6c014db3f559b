"""Durability under SIGKILL (architecture.md section 4, guarantees 6 and 7; spec 2.3 step 4, 8.3, 12).

Several client threads write while the server is killed with SIGKILL at random moments and
restarted on the same data dir and port; one extra round stops it gracefully with SIGTERM. A write
counts as acknowledged only once its reply has arrived. After every restart:

* every acknowledged create exists with exactly its value; every node under /crash was sent by
  a writer (nothing invented) and holds exactly the value derived from its name (all-or-nothing);
* every counter holds one of the values written to it, at least its last acknowledged one;
* multis (raw create+setData, and kazoo transactions of 3 creates) are all-or-nothing;
* the server's zxid is >= the highest acknowledged zxid, and a client whose lastZxidSeen is that
  zxid can connect;
* a session whose client re-attaches at once keeps its ephemeral; the ephemeral of a session
  that never comes back disappears after its timeout.

The rounds are driven by a seeded random generator; the seed is printed (pytest shows it on
failure) and ROOKERY_CRASH_SEED=<seed> replays the same schedule.
"""

import hashlib
import os
import random
import signal
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

import harness
import zkwire as W
from harness import wait_until

TICK_MS = 200                   # min session timeout 400 ms, max 4000 ms
SURVIVOR_TIMEOUT_MS = 4000
DOOMED_TIMEOUT_MS = 1000
WRITER_TIMEOUT_MS = 4000
KILL_ROUNDS = 5
REPLY_TIMEOUT = 5.0
CREATE_WRITERS = 3
COUNTER_WRITERS = 2
COUNTERS_PER_WRITER = 2
KAZOO_RETRY = dict(max_tries=-1, delay=0.05, backoff=1, max_delay=0.1)

# Failures a writer treats as "outcome unknown": the connection went away or timed out.
LINK_ERRORS = (OSError, W.ConnectionClosed, ValueError)


# --- deterministic values -----------------------------------------------------------------------
def _fill(seed_bytes, length):
    out = bytearray()
    block = hashlib.sha256(seed_bytes).digest()
    while len(out) < length:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:length])


def value_for(name):
    """The only value ever written to the node `name`; its length varies, a few are 64 KiB+."""
    h = hashlib.sha256(name.encode()).digest()
    length = 1 + h[0] * 8
    if h[1] < 8:
        length += 65536 + h[2] * 64
    return name.encode() + b"|" + _fill(h, length) + b"|end"


def counter_value(counter, seq):
    head = b"%s#%d#" % (counter.encode(), seq)
    h = hashlib.sha256(head).digest()
    return head + _fill(h, 16 + h[0] * 16) + b"#end"


def parse_counter(counter, data):
    """The seq whose value is exactly `data`, or None if `data` was never written."""
    parts = data.split(b"#", 2)
    if len(parts) < 3 or parts[0] != counter.encode():
        return None
    try:
        seq = int(parts[1])
    except ValueError:
        return None
    return seq if counter_value(counter, seq) == data else None


# --- shared bookkeeping ---------------------------------------------------------------------------
class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent_creates = set()       # names possibly sent (set before the request goes out)
        self.acked_creates = set()
        self.counters = {}              # counter path -> {"sent": max seq sent, "acked": max seq acked}
        self.multi_sent = set()         # k of raw multis [create /crash/m-k, setData /crash/mc = k]
        self.multi_acked = set()
        self.txn_sent = set()           # k of kazoo transactions creating /crash/t-k-{a,b,c}
        self.txn_acked = set()
        self.max_zxid = 0
        self.unknown = 0                # writes whose outcome is unknown (connection lost)
        self.problems = []

    def zxid(self, z):
        with self.lock:
            if z > self.max_zxid:
                self.max_zxid = z

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def snapshot(self):
        with self.lock:
            return dict(acked_creates=set(self.acked_creates), sent_creates=set(self.sent_creates),
                        counters={k: dict(v) for k, v in self.counters.items()},
                        multi_sent=set(self.multi_sent), multi_acked=set(self.multi_acked),
                        txn_sent=set(self.txn_sent), txn_acked=set(self.txn_acked),
                        max_zxid=self.max_zxid)


def txn_names(k):
    return ["/crash/t-%d-%s" % (k, s) for s in "abc"]


class Link:
    """A raw connection that a writer re-opens (new session, lastZxidSeen = highest acked zxid)
    whenever it breaks, until the round's stop event is set."""

    def __init__(self, server, ledger, stop):
        self.server, self.ledger, self.stop, self.conn = server, ledger, stop, None

    def get(self):
        while not self.stop.is_set():
            if self.conn is not None:
                return self.conn
            c = None
            try:
                c = W.ZkWire(self.server.host, self.server.port, timeout=2.0)
                resp = c.connect(timeout_ms=WRITER_TIMEOUT_MS, last_zxid=self.ledger.max_zxid)
                if resp.timeout > 0:
                    self.conn = c
                    return c
            except LINK_ERRORS:
                pass
            if c is not None:
                c.close()
            time.sleep(0.05)
        return None

    def drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, op, body):
        """Returns the Reply, "unknown" (connection lost: outcome unknown) or None (stopped)."""
        c = self.get()
        if c is None:
            return None
        try:
            xid = c.send(op, body)
            rep = c.read_reply(REPLY_TIMEOUT)
        except LINK_ERRORS:
            self.drop()
            with self.ledger.lock:
                self.ledger.unknown += 1
            return "unknown"
        if rep.xid != xid:
            self.ledger.problem("reply out of order: sent xid %d, got %d" % (xid, rep.xid))
            self.drop()
            return "unknown"
        return rep


def create_writer(server, ledger, stop, wid, start_n):
    link = Link(server, ledger, stop)
    n = start_n
    try:
        while not stop.is_set():
            name = "/crash/w%d-%d" % (wid, n)
            n += 1
            with ledger.lock:
                ledger.sent_creates.add(name)
            rep = link.call(W.OP_CREATE, W.create_body(name, value_for(name)))
            if rep is None or rep == "unknown":
                continue
            if rep.err != 0:
                ledger.problem("create %s failed with err %d" % (name, rep.err))
                continue
            got = rep.body.string()
            if got != name:
                ledger.problem("create %s replied path %r" % (name, got))
            with ledger.lock:
                ledger.acked_creates.add(name)
            ledger.zxid(rep.zxid)
    finally:
        link.drop()
    return n


def counter_writer(server, ledger, stop, counters):
    link = Link(server, ledger, stop)
    try:
        while not stop.is_set():
            for counter in counters:
                with ledger.lock:
                    entry = ledger.counters[counter]
                    entry["sent"] += 1
                    seq = entry["sent"]
                body = W.w_string(counter) + W.w_buffer(counter_value(counter, seq)) + W.w_int(-1)
                rep = link.call(W.OP_SET_DATA, body)
                if rep is None or rep == "unknown":
                    continue
                if rep.err != 0:
                    ledger.problem("setData %s seq %d failed with err %d" % (counter, seq, rep.err))
                    continue
                with ledger.lock:
                    entry["acked"] = max(entry["acked"], seq)
                ledger.zxid(rep.zxid)
    finally:
        link.drop()


def multi_writer(server, ledger, stop, start_k):
    """multi [create /crash/m-k (value from its name), setData /crash/mc = counter_value(k)]."""
    link = Link(server, ledger, stop)
    k = start_k
    try:
        while not stop.is_set():
            name = "/crash/m-%d" % k
            ops = [(W.OP_CREATE, W.create_body(name, value_for(name))),
                   (W.OP_SET_DATA, W.w_string("/crash/mc") +
                    W.w_buffer(counter_value("/crash/mc", k)) + W.w_int(-1))]
            with ledger.lock:
                ledger.multi_sent.add(k)
            rep = link.call(W.OP_MULTI, W.multi_body(ops))
            k += 1
            if rep is None or rep == "unknown":
                continue
            try:
                results = W.parse_multi(rep.body.data[rep.body.off:]) if rep.err == 0 else None
            except ValueError as e:
                ledger.problem("multi %d: unparsable reply (%s)" % (k - 1, e))
                continue
            if rep.err != 0 or [r[:2] for r in results] != [(W.OP_CREATE, 0), (W.OP_SET_DATA, 0)]:
                ledger.problem("multi %d failed: err %d results %r" % (k - 1, rep.err, results))
                continue
            with ledger.lock:
                ledger.multi_acked.add(k - 1)
            ledger.zxid(rep.zxid)
    finally:
        link.drop()
    return k


def kazoo_txn_writer(zk, ledger, stop, start_k):
    k = start_k
    while not stop.is_set():
        names = txn_names(k)
        t = zk.transaction()
        for name in names:
            t.create(name, value_for(name))
        with ledger.lock:
            ledger.txn_sent.add(k)
        k += 1
        try:
            results = t.commit_async().get(timeout=REPLY_TIMEOUT)
        except Exception:  # connection loss, timeout, closing client: outcome unknown
            with ledger.lock:
                ledger.unknown += 1
            if not stop.is_set():
                time.sleep(0.02)
            continue
        if results != names:
            ledger.problem("kazoo transaction %d returned %r" % (k - 1, results))
            continue
        with ledger.lock:
            ledger.txn_acked.add(k - 1)
        ledger.zxid(zk.last_zxid)
    return k


# --- verification -------------------------------------------------------------------------------
def read_all(conn, paths, keepalive, batch=200):
    """Pipelined getData of every path: {path: (data, Stat)} for the ones that exist."""
    out = {}
    paths = list(paths)
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        xids = [conn.send(W.OP_GET_DATA, W.path_watch_body(p)) for p in chunk]
        for p, xid in zip(chunk, xids):
            rep = conn.read_reply(15)
            assert rep.xid == xid, "reply out of order reading %s" % p
            if rep.err == 0:
                out[p] = (rep.body.buffer(), rep.body.stat())
            else:
                assert rep.err == W.NONODE, "getData %s: err %d" % (p, rep.err)
        keepalive()
    return out


def verify_state(server, ledger, keepalive, label):
    snap = ledger.snapshot()
    max_zxid = snap["max_zxid"]
    srvr = server.four_letter("srvr")
    zline = [l for l in srvr.splitlines() if l.startswith("Zxid:")]
    assert zline, "%s: no Zxid line in srvr:\n%s" % (label, srvr)
    server_zxid = int(zline[0].split(":", 1)[1].strip(), 16)
    assert server_zxid >= max_zxid, ("%s: server zxid 0x%x < highest acknowledged zxid 0x%x"
                                     % (label, server_zxid, max_zxid))
    # a client whose lastZxidSeen is the highest acknowledged zxid can connect
    checker = W.ZkWire(server.host, server.port)
    try:
        try:
            resp = checker.connect(timeout_ms=WRITER_TIMEOUT_MS, last_zxid=max_zxid)
        except W.ConnectionClosed:
            raise AssertionError("%s: connect with lastZxidSeen=0x%x refused (connection closed)"
                                 % (label, max_zxid))
        assert resp.timeout > 0, "%s: connect with lastZxidSeen=0x%x refused" % (label, max_zxid)
        rep, children = checker.get_children("/crash")
        assert rep.err == 0 and rep.zxid >= max_zxid
        present = {"/crash/" + c for c in children}

        counters = snap["counters"]
        known = set(snap["sent_creates"]) | set(counters) | {"/crash/mc"}
        known |= {"/crash/m-%d" % k for k in snap["multi_sent"]}
        for k in snap["txn_sent"]:
            known |= set(txn_names(k))
        invented = sorted(present - known)
        assert not invented, "%s: nodes nobody created: %s" % (label, invented[:10])

        missing = sorted(snap["acked_creates"] - present)
        assert not missing, ("%s: %d acknowledged creates lost, e.g. %s"
                             % (label, len(missing), missing[:10]))

        data = read_all(checker, sorted(present), keepalive)
        assert set(data) == present, "%s: children listed but unreadable: %s" % (
            label, sorted(present - set(data))[:10])

        for path, (value, st) in data.items():
            if path in counters or path == "/crash/mc":
                continue
            assert value == value_for(path), (
                "%s: %s holds %d bytes that were never written (expected %d bytes)"
                % (label, path, len(value or b""), len(value_for(path))))
            assert st.dataLength == len(value) and st.version == 0, (label, path, st)

        for counter, entry in counters.items():
            value, st = data[counter]
            seq = parse_counter(counter, value)
            assert seq is not None, ("%s: counter %s holds a value never written: %r..."
                                     % (label, counter, value[:40]))
            assert entry["acked"] <= seq <= entry["sent"], (
                "%s: counter %s at seq %d, acknowledged %d, highest sent %d"
                % (label, counter, seq, entry["acked"], entry["sent"]))

        # raw multi: /crash/m-k and /crash/mc = k were one transaction
        mc = parse_counter("/crash/mc", data["/crash/mc"][0])
        assert mc is not None, "%s: /crash/mc holds a value never written" % label
        if mc > 0:
            assert "/crash/m-%d" % mc in present, (
                "%s: /crash/mc = %d but /crash/m-%d is missing (half a multi)" % (label, mc, mc))
        for k in snap["multi_sent"]:
            if "/crash/m-%d" % k in present:
                assert k <= mc, ("%s: /crash/m-%d exists but /crash/mc = %d (half a multi)"
                                 % (label, k, mc))
        for k in snap["multi_acked"]:
            assert "/crash/m-%d" % k in present and mc >= k, (
                "%s: acknowledged multi %d lost (mc = %d)" % (label, k, mc))

        # kazoo transactions: all three nodes or none
        for k in snap["txn_sent"]:
            have = [n in present for n in txn_names(k)]
            assert all(have) or not any(have), ("%s: transaction %d half applied: %r"
                                                % (label, k, have))
            if k in snap["txn_acked"]:
                assert all(have), "%s: acknowledged transaction %d lost" % (label, k)
        return dict(nodes=len(present), acked=len(snap["acked_creates"]),
                    zxid=server_zxid, max_acked_zxid=max_zxid)
    finally:
        checker.close_quietly()


# --- the test -----------------------------------------------------------------------------------
def test_acknowledged_writes_sessions_and_zxid_survive_kill9_and_sigterm():
    seed = int(os.environ.get("ROOKERY_CRASH_SEED") or random.randrange(1, 2 ** 31))
    print("ROOKERY_CRASH_SEED=%d" % seed)
    rng = random.Random(seed)
    kinds = ["kill9"] * KILL_ROUNDS
    kinds.insert(rng.randrange(1, len(kinds) + 1), "sigterm")  # never the very first round

    server = harness.Server(tick_ms=TICK_MS)
    server.start()
    ledger = Ledger()
    survivor = kz = None
    try:
        setup = W.open_session(server.host, server.port)
        assert setup.create("/crash")[0].err == 0
        assert setup.create("/eph")[0].err == 0
        for w in range(COUNTER_WRITERS):
            for c in range(COUNTERS_PER_WRITER):
                path = "/crash/c%d-%d" % (w, c)
                assert setup.create(path, counter_value(path, 0))[0].err == 0
                ledger.counters[path] = {"sent": 0, "acked": 0}
        rep, _ = setup.create("/crash/mc", counter_value("/crash/mc", 0))
        assert rep.err == 0
        ledger.zxid(rep.zxid)
        setup.close_quietly()

        # the survivor session keeps re-attaching after every restart; its ephemeral must stay
        survivor = W.open_session(server.host, server.port, timeout_ms=SURVIVOR_TIMEOUT_MS)
        assert survivor.negotiated_timeout == SURVIVOR_TIMEOUT_MS
        rep, _ = survivor.create("/eph/live", b"alive", flags=W.EPHEMERAL)
        assert rep.err == 0
        ledger.zxid(rep.zxid)
        sv = dict(sid=survivor.session_id, pw=survivor.passwd, last_ping=time.monotonic())

        # a kazoo client that reconnects on its own keeps its session and ephemeral, too
        kz_states = []
        kz = KazooClient(hosts=server.connect_string, timeout=SURVIVOR_TIMEOUT_MS / 1000.0,
                         connection_retry=KAZOO_RETRY)
        kz.add_listener(kz_states.append)
        kz.start(timeout=15)
        kz.create("/eph/kazoo-live", b"k", ephemeral=True)
        kz_sid = kz.client_id[0]

        doomed = None

        def keepalive():
            now = time.monotonic()
            if now - sv["last_ping"] >= 0.25:
                sv["last_ping"] = now
                for conn in (survivor, doomed):
                    if conn is not None:
                        rep = conn.ping()
                        assert (rep.xid, rep.err) == (W.XID_PING, 0)

        next_n = {w: 0 for w in range(CREATE_WRITERS)}
        next_multi, next_txn = 1, 0
        summary = []
        for rnd, kind in enumerate(kinds):
            label = "seed %d round %d (%s)" % (seed, rnd, kind)
            acked_at_start = len(ledger.acked_creates)
            unknown_at_start = ledger.unknown
            # a session that will not come back after this crash, with an ephemeral
            doomed = W.open_session(server.host, server.port, timeout_ms=DOOMED_TIMEOUT_MS)
            assert doomed.negotiated_timeout == DOOMED_TIMEOUT_MS
            doomed_path = "/eph/doomed-%d" % rnd
            rep, _ = doomed.create(doomed_path, b"d", flags=W.EPHEMERAL)
            assert rep.err == 0
            ledger.zxid(rep.zxid)

            stop = threading.Event()
            results = {}
            threads = []

            def run(key, fn, *args):
                def body():
                    try:
                        results[key] = fn(*args)
                    except Exception as e:  # a writer bug must fail the test, not hang it
                        ledger.problem("%s crashed: %r" % (key, e))
                threads.append(threading.Thread(target=body, name=str(key), daemon=True))

            for w in range(CREATE_WRITERS):
                run(("create", w), create_writer, server, ledger, stop, w, next_n[w])
            for w in range(COUNTER_WRITERS):
                counters = ["/crash/c%d-%d" % (w, c) for c in range(COUNTERS_PER_WRITER)]
                run(("counter", w), counter_writer, server, ledger, stop, counters)
            run("multi", multi_writer, server, ledger, stop, next_multi)
            zk = KazooClient(hosts=server.connect_string, timeout=WRITER_TIMEOUT_MS / 1000.0,
                             connection_retry=KAZOO_RETRY)
            zk.start(timeout=15)
            run("txn", kazoo_txn_writer, zk, ledger, stop, next_txn)
            for t in threads:
                t.start()

            load = rng.uniform(1.0, 3.0)
            deadline = time.monotonic() + load
            while time.monotonic() < deadline:
                keepalive()
                time.sleep(0.02)

            if kind == "kill9":
                server.kill9()
                assert server.proc.returncode == -signal.SIGKILL
            else:
                server.stop()
                assert server.proc.returncode != -signal.SIGKILL, (
                    "%s: rookeryd did not exit within 15 s of SIGTERM" % label)
            doomed.close()  # this client never comes back
            doomed = None
            stop.set()
            for t in threads:
                t.join(REPLY_TIMEOUT + 5)
                assert not t.is_alive(), "%s: writer %s did not stop" % (label, t.name)
            zk.stop()
            zk.close()
            for w in range(CREATE_WRITERS):
                next_n[w] = results.get(("create", w), next_n[w] + 100000)
            next_multi = results.get("multi", next_multi + 100000)
            next_txn = results.get("txn", next_txn + 100000)
            assert not ledger.problems, "%s: %s" % (label, ledger.problems[:5])

            survivor.close()
            server.start()
            restarted = time.monotonic()

            # the survivor re-attaches at once, with the highest acknowledged zxid as lastZxidSeen
            survivor = W.ZkWire(server.host, server.port)
            try:
                resp = survivor.connect(session_id=sv["sid"], passwd=sv["pw"],
                                        timeout_ms=SURVIVOR_TIMEOUT_MS,
                                        last_zxid=ledger.max_zxid)
            except W.ConnectionClosed:
                raise AssertionError("%s: survivor re-attach with lastZxidSeen=0x%x: connection "
                                     "closed" % (label, ledger.max_zxid))
            assert resp.timeout > 0 and resp.session_id == sv["sid"] and resp.passwd == sv["pw"], (
                "%s: survivor session 0x%x not restored: %r" % (label, sv["sid"], resp))
            sv["last_ping"] = time.monotonic()
            rep, got = survivor.get_data("/eph/live")
            assert rep.err == 0, "%s: survivor's ephemeral lost (err %d)" % (label, rep.err)
            assert got[0] == b"alive" and got[1].ephemeralOwner == sv["sid"], (label, got)

            # the doomed session expires after its timeout (counted from the restart at most)
            def doomed_gone():
                keepalive()
                return survivor.exists(doomed_path)[0].err == W.NONODE
            slack = 12.0 if server.is_zookeeper else 3.0
            wait_until(doomed_gone, timeout=DOOMED_TIMEOUT_MS / 1000.0 + TICK_MS / 1000.0 + slack,
                       message="%s: ephemeral %s of an abandoned session to expire"
                       % (label, doomed_path))
            gone_after = time.monotonic() - restarted
            stats = verify_state(server, ledger, keepalive, label)

            def kazoo_back():
                keepalive()
                return kz.state == KazooState.CONNECTED
            wait_until(kazoo_back, timeout=10, message="%s: kazoo survivor to reconnect" % label)
            assert KazooState.LOST not in kz_states, "%s: kazoo survivor lost its session: %s" % (
                label, kz_states)
            assert kz.client_id[0] == kz_sid, label
            rep, got = survivor.get_data("/eph/kazoo-live")
            assert rep.err == 0, "%s: kazoo survivor's ephemeral lost (err %d)" % (label, rep.err)
            assert got[1].ephemeralOwner == kz_sid, (label, got)

            rep, children = survivor.get_children("/eph")
            assert rep.err == 0 and sorted(children) == ["kazoo-live", "live"], (label, children)
            keepalive()
            summary.append("%s: load %.1fs, %d nodes, %d acked creates (%d this round), %d "
                           "writes in flight at the crash, zxid 0x%x >= acked 0x%x, doomed "
                           "ephemeral gone %.1fs after restart"
                           % (kind, load, stats["nodes"], stats["acked"],
                              stats["acked"] - acked_at_start, ledger.unknown - unknown_at_start,
                              stats["zxid"], stats["max_acked_zxid"], gone_after))
        print("\n".join(summary))
        assert server.proc.poll() is None
        # the survivors' ephemerals go with their sessions
        assert survivor.close_session().err == 0
        kz.stop()
        check = W.open_session(server.host, server.port)
        assert check.get_children("/eph")[1] == []
        check.close_quietly()
    finally:
        if survivor is not None:
            survivor.close()
        if kz is not None:
            kz.stop()
            kz.close()
        if ledger.problems:
            print("writer problems:", ledger.problems[:20])
        server.cleanup()
