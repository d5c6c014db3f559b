"""Differential test: rookeryd and Apache ZooKeeper (Debian's 3.8.0) in lockstep.

One rookeryd and one ZooKeeper run for the whole module (harness.Server, TTL disabled as in a
default ZooKeeper, container reaping pushed out of the way). Each test opens two raw zkwire
sessions on each server: slot 0 is authenticated as digest `alice`, slot 1 is anonymous (ip
identity only). Every request is sent with the same xid on the same slot of both servers, and the
two replies are compared after normalising only what legitimately differs between two servers:

* zxids in Stats (czxid/mzxid/pzxid) are mapped to the label of the successful write whose reply
  carried that zxid on that server ("s11#42": seed 11, op 42); 0 stays 0. Failed writes may or
  may not consume a zxid (spec 3.5), so raw values are never compared, but the mapping is exact.
  Reply-header zxids are only checked to be monotonic per server.
* ctime/mtime are not compared.
* ephemeralOwner is mapped to the session's slot/generation label ("S1g2"); 0 stays 0.
* children and getEphemerals lists are sorted (order unspecified, spec 6.9/6.19); watch events
  caused by one closeSession are compared as a multiset (ephemeral deletion order unspecified).

Everything else is compared exactly: error codes, frame lengths, leftover body bytes, data (null
vs empty), ACL lists, the rest of the Stat (version, cversion, aversion, dataLength,
numChildren), multi/multiRead result lists (type, err, body, including the error results of a
failed multi), and each connection's watch notifications (type, state, path; their zxid differs
between 3.8 and 3.9 by design).

test_random_lockstep[seed]: a seeded generator (driven by the seed and by ZooKeeper's replies)
mixes create/create2/createContainer/createTTL in every mode and with bad flags, bad paths,
delete/setData/setACL with good and bad versions, exists/getData/getChildren/getChildren2 (with
and without watches), getAllChildrenNumber, getEphemerals, getACL, world/digest/auth/ip ACLs
(including ones that take permissions away, and invalid ones), multi (mixed success/failure),
multiRead, sync, removeWatches, whoAmI, ping, invalid requests on the special nodes, and
closing/reopening a session (its ephemerals vanish, their watches fire).
test_fixed_case[name]: short deterministic sequences, one base path each.

Documented 3.8.0-vs-3.9 differences (spec section 0) are recognised explicitly, never by
loosening a comparison:
* exists() of a node without READ: 3.8.0 answers OK, 3.9.2+ (rookeryd's target) NOAUTH. Accepted
  only if a follow-up getData on both servers answers NOAUTH; no exists watch is requested then.
* create2 (op 15) inside multi: 3.8.0 (< 3.8.2) gives a type-1 result, 3.9 type 15 (+ Stat).
  Accepted only if everything else, including the paths, agrees.
* A top-level check (op 13) is never sent: a passing one gets no reply at all from 3.8.0.

Known discrepancies are the xfail(strict=True) entries of CASES (each one's docstring says what
ZooKeeper does and why); the random generator avoids exactly those requests.

Reproduce: ROOKERY_DIFF_SEEDS="11,22" ROOKERY_DIFF_OPS=400 (defaults below); every assertion
names the seed (or case) and the op index and prints the recent ops. ROOKERY_DIFF_VERBOSE=1 with
-s prints every op and reply, and the module prints an (operation, outcome) tally at the end.
"""

import os
import random
import socket
import sys
from collections import namedtuple

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import zkwire as W  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("ROOKERY_DIFF_SEEDS", "11,22,33,44,55").split(",") if s]
OPS_PER_SEED = int(os.environ.get("ROOKERY_DIFF_OPS", "400"))
VERBOSE = os.environ.get("ROOKERY_DIFF_VERBOSE") == "1"  # print every op and reply (with -s)

SESSION_TIMEOUT_MS = 30000
SERVER_OPTS = dict(
    tick_ms=500,
    max_session_timeout_ms=60000,
    # no container reaping during the run: its timing differs between the servers
    container_check_ms=3600 * 1000,
    # a default ZooKeeper: extended types (TTL) disabled
    ttl_enabled=False,
)

ALICE = ("alice", "pw")
ALICE_ID = harness.digest(*ALICE)
BOB_ID = harness.digest("bob", "pw")

NStat = namedtuple("NStat", "czxid mzxid version cversion aversion owner dataLength numChildren "
                            "pzxid")

WRITE_OPS = {W.OP_CREATE, W.OP_CREATE2, W.OP_CREATE_CONTAINER, W.OP_CREATE_TTL, W.OP_DELETE,
             W.OP_SET_DATA, W.OP_SET_ACL, W.OP_MULTI, W.OP_CLOSE_SESSION}
OPNAMES = {1: "create", 2: "delete", 3: "exists", 4: "getData", 5: "setData", 6: "getACL",
           7: "setACL", 8: "getChildren", 9: "sync", 12: "getChildren2", 13: "check",
           14: "multi", 15: "create2", 19: "createContainer", 21: "createTTL", 22: "multiRead",
           11: "ping", 16: "reconfig", 17: "checkWatches", 18: "removeWatches", 100: "auth",
           103: "getEphemerals", 104: "getAllChildrenNumber", 107: "whoAmI", -11: "closeSession"}

STATS = {}  # (op name, outcome) -> count, over the whole module (printed with -s)

PRIVATE_XID_BASE = 0x40000000  # probes use their own xids, so the lockstep xids stay equal

# ACL lists: (weight, acl). None is a null vector.
OPEN = [(W.PERM_ALL, "world", "anyone")]
ACL_POOL = [
    (30, OPEN),
    (4, [(W.PERM_READ, "world", "anyone")]),
    (4, [(W.PERM_ALL & ~W.PERM_READ, "world", "anyone")]),
    (3, [(W.PERM_ALL & ~W.PERM_DELETE, "world", "anyone")]),
    (3, [(W.PERM_ALL & ~W.PERM_CREATE, "world", "anyone")]),
    (3, [(W.PERM_ALL & ~W.PERM_WRITE, "world", "anyone")]),
    (3, [(W.PERM_ALL & ~W.PERM_ADMIN, "world", "anyone")]),
    (2, [(0, "world", "anyone")]),
    (4, [(W.PERM_ALL, "digest", ALICE_ID)]),
    (4, [(W.PERM_ALL, "digest", ALICE_ID), (W.PERM_READ, "world", "anyone")]),
    (2, [(W.PERM_ALL, "digest", BOB_ID), (W.PERM_ADMIN | W.PERM_READ, "world", "anyone")]),
    (4, [(W.PERM_ALL, "auth", "")]),
    (2, [(W.PERM_READ | W.PERM_ADMIN, "auth", "ignored"), (W.PERM_CREATE, "world", "anyone")]),
    (2, [(W.PERM_ALL, "ip", "127.0.0.1")]),
    (2, [(W.PERM_ALL, "ip", "127.0.0.0/8"), (W.PERM_ALL, "ip", "10.0.0.0/8")]),
    (2, [(W.PERM_ALL, "ip", "10.0.0.0/8")]),
    (2, [(W.PERM_ALL, "world", "anyone"), (W.PERM_ALL, "world", "anyone")]),
    (2, [(W.PERM_READ, "world", "anyone"), (W.PERM_ALL, "digest", ALICE_ID),
         (W.PERM_READ, "world", "anyone")]),
    (1, [(-1, "world", "anyone")]),
    (1, [(64, "world", "anyone")]),
    (1, [(W.PERM_ALL, "ip", "127.0.0.1/0")]),
    (1, [(W.PERM_ALL, "ip", "127.0.0.01")]),
    (1, [(W.PERM_ALL, "auth", None)]),
    (1, [(0, "auth", "")]),
    (1, [(W.PERM_ALL, "digest", "alice:x"), (W.PERM_READ, "ip", "127.0.0.1/32")]),
    # invalid lists -> INVALIDACL
    (1, [(W.PERM_ALL, "digest", "a:b:c")]),
    (1, [(W.PERM_ALL, "digest", ":")]),
    (1, [(W.PERM_ALL, "ip", "1.2.3")]),
    (1, [(W.PERM_ALL, "ip", "127.0.0.1/33")]),
    (1, [(W.PERM_ALL, "sasl", "bob")]),
    (1, [(W.PERM_ALL, "x509", "CN=bob")]),
    (1, [(W.PERM_ALL, "super", "")]),
    (1, [(W.PERM_ALL, "World", "anyone")]),
    (1, [(W.PERM_ALL, None, "anyone")]),
    (1, []),
    (1, None),
    (1, [(W.PERM_ALL, "world", "bob")]),
    (1, [(W.PERM_ALL, "foo", "bar")]),
    (1, [(W.PERM_ALL, "digest", "nocolon")]),
    (1, [(W.PERM_ALL, "ip", "bogus")]),
]

NAMES = ["a", "b", "c", "ab"]


# ------------------------------------------------------------------------------------------------
# one server's view
# ------------------------------------------------------------------------------------------------
class Side:
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.conns = [None, None]
        self.session_labels = {0: "0"}
        # shared by every run on this server: a Stat may name a write of an earlier test
        self.zxid_labels = server.__dict__.setdefault("differential_zxid_labels", {0: "z0"})
        self.last_zxid = 0
        self.seen_events = [0, 0]
        self.close_in_window = [False, False]

    def zl(self, z):
        return self.zxid_labels.get(z, ("UNMAPPED-zxid", z))

    def sl(self, sid):
        return self.session_labels.get(sid, ("UNKNOWN-session", sid))

    def nstat(self, st):
        return NStat(self.zl(st.czxid), self.zl(st.mzxid), st.version, st.cversion,
                     st.aversion, self.sl(st.ephemeralOwner), st.dataLength, st.numChildren,
                     self.zl(st.pzxid))

    def open(self, slot, label):
        c = W.open_session(self.server.host, self.server.port, timeout_ms=SESSION_TIMEOUT_MS)
        self.conns[slot] = c
        self.session_labels[c.session_id] = label
        self.seen_events[slot] = 0
        return c

    def close_all(self):
        for c in self.conns:
            if c is not None:
                c.close_quietly()
        self.conns = [None, None]


def decode_ok(side, opcode, body):
    """Normalised decoding of a success body; returns (value, leftover byte count)."""
    r = body
    if opcode == W.OP_CREATE:
        val = r.string()
    elif opcode in (W.OP_CREATE2, W.OP_CREATE_CONTAINER, W.OP_CREATE_TTL):
        val = (r.string(), side.nstat(r.stat()))
    elif opcode in (W.OP_EXISTS, W.OP_SET_DATA, W.OP_SET_ACL):
        val = side.nstat(r.stat())
    elif opcode == W.OP_GET_DATA:
        val = (r.buffer(), side.nstat(r.stat()))
    elif opcode == W.OP_GET_ACL:
        val = (r.acls(), side.nstat(r.stat()))
    elif opcode == W.OP_GET_CHILDREN:
        ch = r.strings()
        val = sorted(ch) if ch is not None else None
    elif opcode == W.OP_GET_CHILDREN2:
        ch = r.strings()
        val = (sorted(ch) if ch is not None else None, side.nstat(r.stat()))
    elif opcode == W.OP_SYNC:
        val = r.string()
    elif opcode in (W.OP_MULTI, W.OP_MULTI_READ):
        res = W.parse_multi(r.data[r.off:])
        r.off = len(r.data)
        val = [normalize_multi_result(side, x) for x in res]
    elif opcode == W.OP_GET_EPHEMERALS:
        eph = r.strings()
        val = sorted(eph) if eph is not None else None
    elif opcode == W.OP_GET_ALL_CHILDREN_NUMBER:
        val = r.int()
    elif opcode == W.OP_WHO_AM_I:
        val = sorted((r.string(), r.string()) for _ in range(r.int()))
    else:  # delete, closeSession, auth
        val = None
    return val, r.remaining()


def normalize_multi_result(side, res):
    typ, err, val = res
    if typ in (W.OP_CREATE2, W.OP_CREATE_CONTAINER, W.OP_CREATE_TTL):
        val = (val[0], side.nstat(val[1]))
    elif typ == W.OP_SET_DATA:
        val = side.nstat(val)
    elif typ == W.OP_GET_DATA:
        val = (val[0], side.nstat(val[1]))
    elif typ == W.OP_GET_CHILDREN:
        val = sorted(val) if val is not None else None
    return (typ, err, val)


def multi_all_ok(body):
    try:
        return all(t != -1 for t, _, _ in W.parse_multi(body.data[body.off:]))
    except ValueError:
        return False


def execute(side, slot, opcode, body, xid=None, label=None):
    """Sends one request on `slot` and returns the normalised outcome.

    Successful writes register their reply zxid under `label` before the body is normalised,
    so a Stat in the same reply (create2, setData, multi) already maps to it."""
    conn = side.conns[slot]
    try:
        if xid is None:
            rep = conn.call(opcode, body)
        else:
            rep = conn.call(opcode, body, xid=xid)
    except W.ConnectionClosed:
        return ("CONNECTION-CLOSED",), None
    except socket.timeout:
        return ("NO-REPLY (timeout)",), None
    except OSError as e:  # e.g. a write to a connection the server already closed
        return ("CONNECTION-ERROR", type(e).__name__), None
    if opcode in WRITE_OPS and rep.err == 0 and label is not None:
        if opcode != W.OP_MULTI or multi_all_ok(rep.body):
            side.zxid_labels[rep.zxid] = label
    if rep.err != 0:
        return ("err", rep.err, rep.frame_len), rep
    try:
        val, left = decode_ok(side, opcode, rep.body)
    except (ValueError, UnicodeDecodeError) as e:
        return ("UNDECODABLE", repr(e), rep.frame_len), rep
    return ("ok", val, rep.frame_len, left), rep


# ------------------------------------------------------------------------------------------------
# the lockstep runner
# ------------------------------------------------------------------------------------------------
class Lockstep:
    def __init__(self, rk, zk, seed, tag):
        self.rk = Side("rookeryd", rk)
        self.zk = Side("zookeeper", zk)
        self.seed = seed
        self.tag = tag
        self.index = 0
        self.history = []
        self.private_xid = PRIVATE_XID_BASE
        self.version_notes = {}
        self.generation = [0, 0]
        self.soft = False
        self.soft_failures = []

    # -- reporting -----------------------------------------------------------------------------
    def where(self):
        if self.tag == "random":
            return "[seed=%s op#%d]" % (self.seed, self.index)
        return "[case %s op#%d]" % (self.tag, self.index)

    def fail(self, msg):
        if self.soft:  # a known-discrepancy case: collect every difference, then fail once
            self.soft_failures.append("%s %s" % (self.where(), msg))
            return
        hist = "\n".join(self.history[-15:])
        raise AssertionError("%s %s\n  recent ops:\n%s" % (self.where(), msg, hist))

    def note(self, key):
        self.version_notes[key] = self.version_notes.get(key, 0) + 1

    # -- sessions ------------------------------------------------------------------------------
    def open_slot(self, slot):
        self.generation[slot] += 1
        label = "S%dg%d" % (slot, self.generation[slot])
        responses = []
        for side in (self.rk, self.zk):
            try:
                c = side.open(slot, label)
            except (OSError, AssertionError, W.ConnectionClosed) as e:
                raise AssertionError("%s %s: opening session %s failed: %r"
                                     % (self.where(), side.name, label, e))
            responses.append((c.negotiated_timeout, len(c.passwd)))
        self.history.append("  #%d slot%d open session %s" % (self.index, slot, label))
        if responses[0] != responses[1]:
            self.fail("handshake differs: rookeryd=%r zookeeper=%r" % tuple(responses))
        if slot == 0:
            body = W.w_int(0) + W.w_string("digest") + W.w_buffer(("%s:%s" % ALICE).encode())
            self.request(slot, W.OP_AUTH, body, "auth digest alice", xid=W.XID_AUTH)

    def close_slot(self, slot):
        self.request(slot, W.OP_CLOSE_SESSION, b"", "closeSession")
        for side in (self.rk, self.zk):
            side.conns[slot].close()
            side.conns[slot] = None
            side.close_in_window = [True, True]

    # -- one lockstep request ----------------------------------------------------------------------
    def req(self, slot, request):
        """request: (opcode, body, desc) or (opcode, body, desc, sub-op opcodes) for a multi."""
        if len(request) == 4:
            return self.request(slot, request[0], request[1], request[2], sub_ops=request[3])
        return self.request(slot, *request)

    def request(self, slot, opcode, body, desc, xid=None, sub_ops=None):
        """Runs the request on both servers, compares, returns the ZooKeeper outcome."""
        label = "s%s#%d" % (self.seed, self.index) if self.tag == "random" else \
            "%s#%d" % (self.tag, self.index)
        self.history.append("  #%d slot%d %s" % (self.index, slot, desc))
        out_r, rep_r = execute(self.rk, slot, opcode, body, xid, label)
        out_z, rep_z = execute(self.zk, slot, opcode, body, xid, label)
        for side, rep in ((self.rk, rep_r), (self.zk, rep_z)):
            self.check_zxid(side, rep, opcode, desc)
        if out_r != out_z:
            if not self.documented_difference(slot, opcode, body, out_r, out_z, sub_ops):
                self.fail("%s on slot %d differs:\n    rookeryd : %r\n    zookeeper: %r"
                          % (desc, slot, out_r, out_z))
        self.history[-1] += "  -> %s" % (short(out_z),)
        self.count(opcode, out_z)
        if opcode != W.OP_CLOSE_SESSION:
            self.compare_events(slot, desc)
        self.index += 1
        return out_z

    def count(self, opcode, out):
        name = OPNAMES.get(opcode, str(opcode))
        if out[0] == "ok" and opcode in (W.OP_MULTI, W.OP_MULTI_READ):
            errs = sorted({e for _, e, _ in out[1]})
            key = (name, "ok" if errs in ([], [0]) else "per-op %s" % errs)
        else:
            key = (name, "ok" if out[0] == "ok" else out[1] if out[0] == "err" else out[0])
        STATS[key] = STATS.get(key, 0) + 1

    def check_zxid(self, side, rep, opcode, desc):
        if rep is None or rep.xid == W.XID_AUTH:
            return
        if rep.zxid < side.last_zxid:
            self.fail("%s: %s reply zxid went backwards (%#x after %#x)"
                      % (desc, side.name, rep.zxid, side.last_zxid))
        side.last_zxid = rep.zxid

    def compare_events(self, slot, desc):
        evs = []
        for side in (self.rk, self.zk):
            conn = side.conns[slot]
            new = [(e.type, e.state, e.path) for e in conn.events[side.seen_events[slot]:]]
            side.seen_events[slot] = len(conn.events)
            evs.append(new)
        ev_r, ev_z = evs
        closes = self.rk.close_in_window[slot] or self.zk.close_in_window[slot]
        self.rk.close_in_window[slot] = self.zk.close_in_window[slot] = False
        if ev_z:
            self.history.append("      events on slot %d: %r" % (slot, ev_z))
            for e in ev_z:
                key = ("(watch event)", "type %d" % e[0])
                STATS[key] = STATS.get(key, 0) + 1
        if ev_r == ev_z:
            return
        # A session close deletes all of its ephemerals in one transaction; the order of those
        # deletions (and so of their events) is unspecified (ZooKeeper: HashSet order).
        if closes and sorted(ev_r) == sorted(ev_z):
            return
        self.fail("watch events on slot %d (read with the reply to %s) differ:\n"
                  "    rookeryd : %r\n    zookeeper: %r" % (slot, desc, ev_r, ev_z))

    def probe(self, slot, opcode, body):
        """A read on both servers with a private xid (does not shift the lockstep xids)."""
        self.private_xid += 1
        outs = [execute(side, slot, opcode, body, xid=self.private_xid)[0]
                for side in (self.rk, self.zk)]
        return outs

    def documented_difference(self, slot, opcode, body, out_r, out_z, sub_ops):
        # (1) exists needs READ on 3.8.4+/3.9.2+, not on 3.8.0 (spec section 0, 6.4, 11.2)
        if opcode == W.OP_EXISTS and out_r[:2] == ("err", W.NOAUTH) and out_z[0] == "ok":
            path_body = body[:-1] + W.w_bool(False)
            pr, pz = self.probe(slot, W.OP_GET_DATA, path_body)
            if pr[:2] == pz[:2] == ("err", W.NOAUTH):
                self.note("exists-without-READ: 3.8.0 OK vs 3.9 NOAUTH")
                return True
            return False
        # (2) create2 inside multi: type 1 before 3.8.2, type 15 after (spec section 0, 9.2)
        if opcode == W.OP_MULTI and out_r[0] == out_z[0] == "ok" and sub_ops is not None:
            res_r, res_z = list(out_r[1]), out_z[1]
            if len(res_r) != len(res_z):
                return False
            changed = False
            for i, sent in enumerate(sub_ops):
                if sent == W.OP_CREATE2 and res_z[i][0] == W.OP_CREATE and \
                        res_r[i][0] == W.OP_CREATE2 and res_r[i][1] == res_z[i][1] == 0:
                    res_r[i] = (W.OP_CREATE, 0, res_r[i][2][0])
                    changed = True
            if changed and res_r == res_z and out_r[3] == out_z[3]:
                self.note("create2-in-multi: 3.8.0 type 1 vs 3.9 type 15")
                return True
        return False

    def finish(self):
        for slot in (0, 1):
            self.request(slot, W.OP_SYNC, W.w_string("/"), "sync / (drain events)")
        for slot in (0, 1):
            self.close_slot(slot)
        if VERBOSE:
            print("\n".join(self.history))


def short(out):
    s = repr(out)
    return s if len(s) < 160 else s[:157] + "..."


# ------------------------------------------------------------------------------------------------
# request bodies with readable descriptions
# ------------------------------------------------------------------------------------------------
def acl_desc(acl):
    if acl is None:
        return "null"
    return "[" + ",".join("%d:%s:%s" % (p, s, (i[:10] + "..") if i and len(i) > 12 else i)
                          for p, s, i in acl) + "]"


def create_req(path, data, acl, flags, opcode, ttl=None):
    if opcode == W.OP_CREATE_TTL and ttl is None:
        ttl = 1000
    desc = "%s(%r, data=%r, acl=%s, flags=%d%s)" % (
        OPNAMES[opcode], path, data, acl_desc(acl), flags, "" if ttl is None else ", ttl=%d" % ttl)
    return opcode, W.create_body(path, data, acl, flags, ttl), desc


def delete_req(path, version):
    return W.OP_DELETE, W.w_string(path) + W.w_int(version), "delete(%r, v=%d)" % (path, version)


def set_data_req(path, data, version):
    return (W.OP_SET_DATA, W.w_string(path) + W.w_buffer(data) + W.w_int(version),
            "setData(%r, %r, v=%d)" % (path, data, version))


def set_acl_req(path, acl, version):
    return (W.OP_SET_ACL, W.w_string(path) + W.w_acls(acl) + W.w_int(version),
            "setACL(%r, %s, v=%d)" % (path, acl_desc(acl), version))


def check_req(path, version):
    return W.OP_CHECK, W.w_string(path) + W.w_int(version), "check(%r, v=%d)" % (path, version)


def read_req(opcode, path, watch=False):
    if opcode in (W.OP_EXISTS, W.OP_GET_DATA, W.OP_GET_CHILDREN, W.OP_GET_CHILDREN2):
        body = W.path_watch_body(path, watch)
        return opcode, body, "%s(%r%s)" % (OPNAMES[opcode], path, ", watch" if watch else "")
    return opcode, W.w_string(path), "%s(%r)" % (OPNAMES[opcode], path)


def watches_req(opcode):
    """checkWatches / removeWatches request maker: f(path, watcher_type)."""
    return lambda path, wtype: (opcode, W.w_string(path) + W.w_int(wtype),
                                "%s(%r, %d)" % (OPNAMES[opcode], path, wtype))


def multi_req(ops, opcode=W.OP_MULTI):
    """ops: list of (opcode, body, desc)."""
    body = W.multi_body([(op, b) for op, b, _ in ops])
    desc = "%s[%s]" % (OPNAMES[opcode], "; ".join(d for _, _, d in ops))
    return opcode, body, desc, [op for op, _, _ in ops]


# ------------------------------------------------------------------------------------------------
# the random generator (driven by the seed and by ZooKeeper's replies, which both servers share)
# ------------------------------------------------------------------------------------------------
def is_ephemeral_create(opcode, flags):
    return opcode in (W.OP_CREATE, W.OP_CREATE2) and flags in (W.EPHEMERAL, W.EPHEMERAL_SEQUENTIAL)


class Generator:
    def __init__(self, seed, base):
        self.rng = random.Random(seed)
        self.seed = seed
        self.base = base
        # paths believed to exist (from the reference replies) -> owning slot or None
        self.alive = {base: None}
        self.versions = {}            # path -> (version, aversion), last seen
        self.watched = []             # recently watched paths: writes aim at them now and then

    # -- bookkeeping from the reference replies ----------------------------------------------
    def created(self, path, owner):
        if path.startswith(self.base) and path.count("/") <= 6:
            self.alive[path] = owner

    def learn(self, slot, opcode, req_path, out, flags=None):
        if out[0] == "err" and out[1] == W.NONODE and req_path != self.base:
            self.alive.pop(req_path, None)
        if out[0] != "ok":
            return
        val = out[1]
        if opcode == W.OP_CREATE:
            self.created(val, slot if is_ephemeral_create(opcode, flags) else None)
        elif opcode in (W.OP_CREATE2, W.OP_CREATE_CONTAINER, W.OP_CREATE_TTL):
            self.created(val[0], slot if is_ephemeral_create(opcode, flags) else None)
            self.versions[val[0]] = (val[1].version, val[1].aversion)
        elif opcode == W.OP_DELETE:
            self.alive.pop(req_path, None)
        elif opcode in (W.OP_EXISTS, W.OP_SET_DATA, W.OP_SET_ACL):
            self.versions[req_path] = (val.version, val.aversion)
        elif opcode in (W.OP_GET_DATA, W.OP_GET_ACL, W.OP_GET_CHILDREN2):
            self.versions[req_path] = (val[1].version, val[1].aversion)

    def learn_multi(self, slot, sub, out):
        if out[0] != "ok" or any(t == -1 for t, _, _ in out[1]):
            return
        for (op, path, flags), (typ, _, val) in zip(sub, out[1]):
            if typ == W.OP_CREATE:
                self.created(val, slot if is_ephemeral_create(op, flags) else None)
            elif typ == W.OP_CREATE2:
                self.created(val[0], slot if is_ephemeral_create(op, flags) else None)
            elif typ == W.OP_DELETE:
                self.alive.pop(path, None)

    def session_closed(self, slot):
        for p in [p for p, o in self.alive.items() if o == slot]:
            del self.alive[p]

    # -- choices -----------------------------------------------------------------------------
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def weighted(self, pairs):
        total = sum(w for w, _ in pairs)
        x = self.rng.uniform(0, total)
        for w, v in pairs:
            x -= w
            if x <= 0:
                return v
        return pairs[-1][1]

    def ephemerals(self):
        return [p for p, o in self.alive.items() if o is not None]

    def bad_path(self):
        b = self.base
        # "" reads as the root (case_empty_path_reads) and fails every write
        choices = [b + "/", "//", b + "//a", "a", "a/b", "/zookeeper/x%d" % self.seed,
                   b + "/nope/child", b + "/.", b + "/..", b + "/./a", b + "/a/..",
                   b + "/bad\x01", b + "/nul\x00x", b + "/a/", b + "/\x7f", b + "/\u0085",
                   b + "/\ue000", b + "/\uffff", b + "/.x", b + "/...",
                   b + "/\u00e9t\u00e9", ""]
        eph = self.ephemerals()
        if eph:
            choices.append(self.pick(eph) + "/child")
            choices.append(self.pick(eph) + "/")
        return self.pick(choices)

    def existing(self):
        return list(self.alive) or [self.base]

    def new_path(self):
        if self.watched and self.chance(0.25):
            parent = self.pick(self.watched)
        else:
            parent = self.pick(self.existing())
        if parent.count("/") > 4:
            parent = self.base
        return parent + "/" + self.pick(NAMES)

    def path(self, p_known=0.55, p_new=0.35, p_watched=0.0):
        if self.watched and self.chance(p_watched):
            return self.pick(self.watched)
        x = self.rng.random()
        if x < p_known:
            return self.pick(self.existing())
        if x < p_known + p_new:
            return self.new_path()
        return self.bad_path()

    def data(self):
        return self.weighted([
            (1, None), (2, b""), (3, b"v"), (2, b"data-%d" % self.rng.randrange(1000)),
            (1, bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(40))))])

    def acl(self):
        return self.weighted(ACL_POOL)

    def version(self, path, which=0):
        x = self.rng.random()
        if x < 0.45:
            return -1
        seen = self.versions.get(path)
        if x < 0.8 and seen is not None:
            return seen[which]
        return self.pick([0, 1, 2, 5, -2])

    def create_mode(self, in_multi=False):
        modes = [
            (10, (W.OP_CREATE, W.PERSISTENT)), (6, (W.OP_CREATE, W.EPHEMERAL)),
            (5, (W.OP_CREATE, W.PERSISTENT_SEQUENTIAL)), (4, (W.OP_CREATE, W.EPHEMERAL_SEQUENTIAL)),
            (8, (W.OP_CREATE2, W.PERSISTENT)), (4, (W.OP_CREATE2, W.EPHEMERAL)),
            (3, (W.OP_CREATE2, W.PERSISTENT_SEQUENTIAL)),
            (3, (W.OP_CREATE2, W.EPHEMERAL_SEQUENTIAL)),
            (6, (W.OP_CREATE_CONTAINER, W.CONTAINER)),
            # TTL is disabled (the ZooKeeper default) -> UNIMPLEMENTED
            (1, (W.OP_CREATE_TTL, W.PERSISTENT_WITH_TTL)),
            (1, (W.OP_CREATE_TTL, W.PERSISTENT_SEQUENTIAL_WITH_TTL)),
        ]
        # unknown flags -> BADARGUMENTS
        modes += [(1, (W.OP_CREATE, 7)), (1, (W.OP_CREATE2, -1)), (1, (W.OP_CREATE, 99))]
        if not in_multi:
            # a TTL mode on op 1/15/19: UNIMPLEMENTED top-level; inside a multi the servers
            # disagree (case_multi_create_ttl_flag)
            modes.append((1, (W.OP_CREATE, W.PERSISTENT_WITH_TTL)))
        return self.weighted(modes)

    def create_op(self, in_multi=False, parent_hint=None):
        opcode, flags = self.create_mode(in_multi)
        if parent_hint is not None:
            path = parent_hint + "/" + self.pick(NAMES)
        elif flags in (W.PERSISTENT_SEQUENTIAL, W.EPHEMERAL_SEQUENTIAL) and self.chance(0.5):
            path = self.pick(self.existing()) + "/s-"
        else:
            path = self.path(0.2, 0.65, p_watched=0.15)
        acl = OPEN if self.chance(0.7) else self.acl()
        return path, flags, create_req(path, self.data(), acl, flags, opcode)


def run_random(lock, gen):
    """One random op. State outside the seed's base path is only touched by deliberately
    invalid requests on the special nodes (which change nothing) and /zookeeper/x<seed>."""
    slot = gen.rng.randrange(2)
    kind = gen.weighted([
        (26, "create"), (10, "delete"), (10, "setData"), (8, "exists"), (8, "getData"),
        (5, "getChildren"), (5, "getChildren2"), (3, "getAllChildrenNumber"),
        (3, "getEphemerals"), (5, "getACL"), (7, "setACL"), (10, "multi"), (4, "multiRead"),
        (2, "sync"), (2, "special"), (1, "reopen"), (2, "removeWatches"), (1, "whoAmI"),
        (1, "ping"), (6, "watched_write"),
    ])
    if kind == "create":
        path, flags, (opcode, body, desc) = gen.create_op()
        out = lock.request(slot, opcode, body, desc)
        gen.learn(slot, opcode, path, out, flags)
    elif kind == "delete":
        path = gen.path(0.8, 0.1, p_watched=0.3)
        opcode, body, desc = delete_req(path, gen.version(path))
        gen.learn(slot, opcode, path, lock.request(slot, opcode, body, desc))
    elif kind == "setData":
        path = gen.path(0.8, 0.1, p_watched=0.3)
        opcode, body, desc = set_data_req(path, gen.data(), gen.version(path))
        gen.learn(slot, opcode, path, lock.request(slot, opcode, body, desc))
    elif kind in ("exists", "getData", "getChildren", "getChildren2"):
        opcode = {"exists": W.OP_EXISTS, "getData": W.OP_GET_DATA,
                  "getChildren": W.OP_GET_CHILDREN, "getChildren2": W.OP_GET_CHILDREN2}[kind]
        path = gen.path(0.7, 0.2)
        watch = gen.chance(0.45)
        if watch and opcode == W.OP_EXISTS:
            # 3.8.0 registers an exists watch where 3.9 answers NOAUTH (spec section 0): do not
            # ask for a watch in that one case, so later events stay comparable.
            pr, pz = lock.probe(slot, W.OP_EXISTS, W.path_watch_body(path, False))
            if pr[:2] == ("err", W.NOAUTH) and pz[0] == "ok":
                watch = False
        opcode, body, desc = read_req(opcode, path, watch)
        gen.learn(slot, opcode, path, lock.request(slot, opcode, body, desc))
        if watch and path.startswith(gen.base):
            gen.watched = (gen.watched + [path])[-12:]
    elif kind == "getAllChildrenNumber":
        path = gen.path(0.8, 0.1)
        lock.request(slot, *read_req(W.OP_GET_ALL_CHILDREN_NUMBER, path))
    elif kind == "getEphemerals":
        prefix = gen.weighted([(3, "/"), (2, ""), (3, gen.base), (4, gen.pick(gen.existing())),
                               (2, gen.base + "/a"), (1, gen.base + "/zz"), (1, None)])
        lock.request(slot, W.OP_GET_EPHEMERALS, W.w_string(prefix),
                     "getEphemerals(%r)" % (prefix,))
    elif kind == "getACL":
        path = gen.path(0.8, 0.1)
        gen.learn(slot, W.OP_GET_ACL, path, lock.request(slot, *read_req(W.OP_GET_ACL, path)))
    elif kind == "setACL":
        path = gen.path(0.8, 0.1)
        opcode, body, desc = set_acl_req(path, gen.acl(), gen.version(path, 1))
        gen.learn(slot, opcode, path, lock.request(slot, opcode, body, desc))
    elif kind == "multi":
        run_random_multi(lock, gen, slot)
    elif kind == "multiRead":
        ops = []
        for _ in range(gen.rng.randrange(1, 5)):
            op = gen.pick([W.OP_GET_DATA, W.OP_GET_CHILDREN])
            ops.append(read_req(op, gen.path(0.7, 0.15), gen.chance(0.2)))
        if gen.chance(0.08):  # a write op inside multiRead -> MARSHALLINGERROR
            ops.insert(gen.rng.randrange(len(ops) + 1), gen.create_op(in_multi=True)[2])
        opcode, body, desc, subs = multi_req(ops, W.OP_MULTI_READ)
        lock.request(slot, opcode, body, desc, sub_ops=subs)
    elif kind == "sync":
        path = gen.path(0.5, 0.2)
        lock.request(slot, W.OP_SYNC, W.w_string(path), "sync(%r)" % (path,))
    elif kind == "special":
        lock.request(slot, *gen.pick(SPECIAL_REQUESTS))
    elif kind == "watched_write":
        # a watch from one session, then a write that may fire it from either session
        target = gen.pick(gen.existing())
        wopcode = gen.pick([W.OP_EXISTS, W.OP_GET_DATA, W.OP_GET_CHILDREN, W.OP_GET_CHILDREN2])
        wpath = target if gen.chance(0.7) else target + "/" + gen.pick(NAMES)
        watch = True
        if wopcode == W.OP_EXISTS:
            pr, pz = lock.probe(slot, W.OP_EXISTS, W.path_watch_body(wpath, False))
            watch = not (pr[:2] == ("err", W.NOAUTH) and pz[0] == "ok")
        gen.learn(slot, wopcode, wpath, lock.request(slot, *read_req(wopcode, wpath, watch)))
        gen.watched = (gen.watched + [wpath])[-12:]
        wslot = gen.rng.randrange(2)
        w = gen.pick(["setData", "delete", "create", "multi"])
        if w == "setData":
            opcode, body, desc = set_data_req(wpath, gen.data(), -1)
            gen.learn(wslot, opcode, wpath, lock.request(wslot, opcode, body, desc))
        elif w == "delete":
            opcode, body, desc = delete_req(wpath, -1)
            gen.learn(wslot, opcode, wpath, lock.request(wslot, opcode, body, desc))
        elif w == "create":
            flags = gen.pick([W.PERSISTENT, W.EPHEMERAL, W.PERSISTENT_SEQUENTIAL])
            path = wpath if gen.chance(0.3) else wpath + "/" + gen.pick(NAMES)
            opcode, body, desc = create_req(path, gen.data(), OPEN, flags, W.OP_CREATE)
            gen.learn(wslot, opcode, path, lock.request(wslot, opcode, body, desc), flags)
        else:
            subs = [(W.OP_CREATE, wpath + "/m", W.EPHEMERAL), (W.OP_SET_DATA, wpath, None),
                    (W.OP_DELETE, wpath + "/m", None)]
            ops = [create_req(wpath + "/m", b"", OPEN, W.EPHEMERAL, W.OP_CREATE),
                   set_data_req(wpath, b"m", -1), delete_req(wpath + "/m", -1)]
            if gen.chance(0.5):
                ops, subs = ops[:2], subs[:2]
            opcode, body, desc, sub_ops = multi_req(ops)
            gen.learn_multi(wslot, subs, lock.request(wslot, opcode, body, desc, sub_ops=sub_ops))
    elif kind == "removeWatches":
        # (checkWatches is left out: ZooKeeper 3.8 answers it for any connection's watch, see
        # case_check_watches_other_connection; WatcherType 4/5 differ between 3.8 and 3.9 by
        # design, spec section 0)
        path = gen.path(0.8, 0.1)
        wtype = gen.pick([W.WT_CHILDREN, W.WT_DATA, W.WT_ANY])
        lock.req(slot, watches_req(W.OP_REMOVE_WATCHES)(path, wtype))
    elif kind == "whoAmI":
        lock.request(slot, W.OP_WHO_AM_I, b"", "whoAmI")
    elif kind == "ping":
        lock.request(slot, W.OP_PING, b"", "ping", xid=W.XID_PING)
    elif kind == "reopen":
        lock.close_slot(slot)
        gen.session_closed(slot)
        lock.open_slot(slot)


# invalid requests on the pre-created nodes (none of them changes anything)
SPECIAL_REQUESTS = [
    delete_req("/", -1), delete_req("/zookeeper", -1), delete_req("/zookeeper/quota", -1),
    delete_req("/zookeeper/config", -1), delete_req("/zookeeper/config", 0),
    create_req("/", b"", OPEN, W.PERSISTENT, W.OP_CREATE),
    create_req("/zookeeper", b"", OPEN, W.PERSISTENT, W.OP_CREATE2),
    create_req("/zookeeper/quota", b"", OPEN, W.EPHEMERAL, W.OP_CREATE),
    set_data_req("/zookeeper/config", b"x", -1),
    set_acl_req("/zookeeper/config", OPEN, -1),
    read_req(W.OP_GET_DATA, "/zookeeper/config"),
    read_req(W.OP_GET_ACL, "/zookeeper/config"),
    read_req(W.OP_EXISTS, "/zookeeper/quota"),
    read_req(W.OP_GET_CHILDREN, "/zookeeper/quota"),
    read_req(W.OP_GET_ALL_CHILDREN_NUMBER, "/zookeeper/quota"),
    read_req(W.OP_GET_ACL, "/zookeeper/quota"),
    (W.OP_RECONFIG, W.w_string("server.2=127.0.0.1:2888:3888;2182") + W.w_string(None) +
     W.w_string(None) + W.w_long(-1), "reconfig(joining server.2)"),
]


def run_random_multi(lock, gen, slot):
    ops, subs = [], []
    created = []
    for _ in range(gen.rng.randrange(0, 5) if gen.chance(0.95) else 0):
        k = gen.weighted([(4, "create"), (2, "delete"), (2, "setData"), (2, "check")])
        flags = None
        if k == "create":
            hint = gen.pick(created) if created and gen.chance(0.5) else None
            path, flags, req = gen.create_op(in_multi=True, parent_hint=hint)
            created.append(path)
        else:
            if created and gen.chance(0.3):
                path = gen.pick(created)
            else:
                path = gen.path(0.8, 0.1)
            if k == "delete":
                req = delete_req(path, gen.version(path))
            elif k == "setData":
                req = set_data_req(path, gen.data(), gen.version(path))
            else:
                req = check_req(path, gen.version(path))
        ops.append(req)
        subs.append((req[0], path, flags))
    if ops and gen.chance(0.05):  # a read op inside a write multi -> MARSHALLINGERROR
        ops.insert(gen.rng.randrange(len(ops) + 1), read_req(W.OP_GET_DATA, gen.base))
        subs = None
    opcode, body, desc, sub_ops = multi_req(ops)
    out = lock.request(slot, opcode, body, desc, sub_ops=sub_ops)
    if subs is not None:
        gen.learn_multi(slot, subs, out)


# ------------------------------------------------------------------------------------------------
# fixed cases: short deterministic sequences, each under its own base path
# ------------------------------------------------------------------------------------------------
def case_fresh_special_nodes(lock, b):
    """Runs first, on the fresh pair: the pre-created nodes and the root (spec 7.3)."""
    for p in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        for op in (W.OP_EXISTS, W.OP_GET_DATA, W.OP_GET_CHILDREN2, W.OP_GET_ACL,
                   W.OP_GET_ALL_CHILDREN_NUMBER):
            lock.req(1, read_req(op, p))
    lock.req(0, read_req(W.OP_GET_CHILDREN, "/"))


def case_bad_paths(lock, b):
    lock.req(0, create_req(b + "/e", b"", OPEN, W.EPHEMERAL, W.OP_CREATE))
    bad = [b + "/", "", "//", "/", b + "//x", "x", "x/y", "/zookeeper/x", b + "/nope/child",
           b + "/e/child", b + "/.", b + "/..", b + "/x/.", b + "/\x01", b + "/a\x00b",
           b + "/\ue000", b + "/\uffff", b + "/\u00e9"]
    for p in bad:
        for opcode, flags in ((W.OP_CREATE, W.PERSISTENT), (W.OP_CREATE2, W.EPHEMERAL),
                              (W.OP_CREATE_CONTAINER, W.CONTAINER),
                              (W.OP_CREATE, W.PERSISTENT_SEQUENTIAL)):
            lock.req(0, create_req(p, b"d", OPEN, flags, opcode))
        lock.req(1, delete_req(p, -1))
        lock.req(1, set_data_req(p, b"x", -1))
        lock.req(0, set_acl_req(p, OPEN, -1))
        lock.req(1, (W.OP_SYNC, W.w_string(p), "sync(%r)" % p))
        lock.req(0, multi_req([check_req(p, -1)]))
        if p != "":  # reads of "": see case_empty_path_reads
            lock.req(1, read_req(W.OP_EXISTS, p))
            lock.req(1, read_req(W.OP_GET_DATA, p))
            lock.req(1, multi_req([read_req(W.OP_GET_CHILDREN, p)], W.OP_MULTI_READ))
    lock.req(0, read_req(W.OP_GET_CHILDREN, b))


def case_create_modes_and_stats(lock, b):
    lock.req(0, create_req(b + "/p", None, OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, create_req(b + "/p2", b"", OPEN, W.PERSISTENT, W.OP_CREATE2))
    lock.req(1, create_req(b + "/e", b"e", OPEN, W.EPHEMERAL, W.OP_CREATE2))
    lock.req(0, create_req(b + "/s-", b"s", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE2))
    lock.req(1, create_req(b + "/es-", b"es", OPEN, W.EPHEMERAL_SEQUENTIAL, W.OP_CREATE2))
    lock.req(0, create_req(b + "/c", b"c", OPEN, W.CONTAINER, W.OP_CREATE_CONTAINER))
    lock.req(1, create_req(b + "/c/e", b"", OPEN, W.EPHEMERAL, W.OP_CREATE))
    lock.req(0, create_req(b + "/", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE))
    lock.req(0, create_req(b + "/t", b"", OPEN, W.PERSISTENT_WITH_TTL, W.OP_CREATE_TTL, 1000))
    lock.req(0, create_req(b + "/t", b"", OPEN, W.PERSISTENT, W.OP_CREATE_TTL, 1000))
    lock.req(0, create_req(b + "/t", b"", OPEN, W.PERSISTENT_WITH_TTL, W.OP_CREATE))
    for flags in (7, -1, 1 << 20):
        lock.req(0, create_req(b + "/f", b"", OPEN, flags, W.OP_CREATE))
    for p in ("/p", "/p2", "/e", "/c", "/c/e"):
        lock.req(1, read_req(W.OP_GET_DATA, b + p))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))
    lock.req(0, read_req(W.OP_GET_ALL_CHILDREN_NUMBER, b))
    for slot in (0, 1):
        lock.req(slot, (W.OP_GET_EPHEMERALS, W.w_string(b), "getEphemerals(%r)" % b))


def case_sequential_counter(lock, b):
    """Spec 8.2: the suffix is the parent's creation counter, deletes do not lower it."""
    lock.req(0, create_req(b + "/x", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, create_req(b + "/s-", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE))
    lock.req(0, create_req(b + "/s-", b"", OPEN, W.EPHEMERAL_SEQUENTIAL, W.OP_CREATE))
    lock.req(0, create_req(b + "/x", b"", OPEN, W.PERSISTENT, W.OP_CREATE))  # NODEEXISTS
    lock.req(0, delete_req(b + "/x", -1))
    lock.req(0, create_req(b + "/s-", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE2))
    lock.req(0, multi_req([create_req(b + "/m-", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE),
                           create_req(b + "/m-", b"", OPEN, W.PERSISTENT_SEQUENTIAL,
                                      W.OP_CREATE)]))
    lock.req(0, multi_req([create_req(b + "/n-", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE),
                           create_req(b + "/x/y", b"", OPEN, W.PERSISTENT, W.OP_CREATE)]))
    lock.req(0, create_req(b + "/s-", b"", OPEN, W.PERSISTENT_SEQUENTIAL, W.OP_CREATE2))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_delete_versions(lock, b):
    lock.req(0, create_req(b + "/n", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, create_req(b + "/n/k", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, set_data_req(b + "/n", b"1", 0))
    lock.req(0, set_data_req(b + "/n", b"2", 0))  # BADVERSION
    lock.req(1, delete_req(b + "/n", 0))  # BADVERSION before NOTEMPTY
    lock.req(1, delete_req(b + "/n", 1))  # NOTEMPTY
    lock.req(1, delete_req(b + "/n", -1))  # NOTEMPTY
    lock.req(1, delete_req(b + "/n/k", 3))
    lock.req(1, delete_req(b + "/n/k", 0))
    lock.req(1, delete_req(b + "/n/k", 0))  # NONODE
    lock.req(1, delete_req(b + "/n", 1))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_acls(lock, b):
    lock.req(0, create_req(b + "/a", b"a", [(W.PERM_ALL, "auth", "")], W.PERSISTENT, W.OP_CREATE))
    lock.req(1, create_req(b + "/b", b"b", [(W.PERM_ALL, "auth", "")], W.PERSISTENT, W.OP_CREATE))
    lock.req(0, read_req(W.OP_GET_ACL, b + "/a"))
    lock.req(1, read_req(W.OP_GET_ACL, b + "/a"))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/a"))
    lock.req(0, set_acl_req(b + "/a", [(W.PERM_ALL, "digest", ALICE_ID),
                                       (W.PERM_READ, "world", "anyone")], 0))
    lock.req(0, set_acl_req(b + "/a", OPEN, 0))  # BADVERSION: aversion is 1 now
    lock.req(1, read_req(W.OP_GET_ACL, b + "/a"))  # digest id redacted without ADMIN
    lock.req(0, read_req(W.OP_GET_ACL, b + "/a"))
    lock.req(1, set_data_req(b + "/a", b"x", -1))
    lock.req(1, create_req(b + "/a/k", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, create_req(b + "/a/k", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(1, delete_req(b + "/a/k", -1))
    lock.req(0, set_acl_req(b + "/a", [(W.PERM_ALL & ~W.PERM_READ, "world", "anyone")], 1))
    for slot in (0, 1):
        lock.req(slot, read_req(W.OP_GET_DATA, b + "/a"))
        lock.req(slot, read_req(W.OP_GET_CHILDREN, b + "/a"))
        lock.req(slot, read_req(W.OP_GET_ALL_CHILDREN_NUMBER, b + "/a"))
        lock.req(slot, read_req(W.OP_GET_ACL, b + "/a"))
        lock.req(slot, multi_req([read_req(W.OP_GET_DATA, b + "/a")], W.OP_MULTI_READ))
        lock.req(slot, multi_req([check_req(b + "/a", -1)]))
    lock.req(1, set_acl_req(b + "/a", [(0, "world", "anyone")], -1))
    lock.req(1, read_req(W.OP_GET_ACL, b + "/a"))
    lock.req(1, set_acl_req(b + "/a", OPEN, -1))
    lock.req(1, delete_req(b + "/a/k", -1))
    for acl in ([], None, [(W.PERM_ALL, "world", "bob")], [(W.PERM_ALL, "foo", "bar")],
                [(W.PERM_ALL, "digest", "nocolon")], [(W.PERM_ALL, "ip", "300.1.1.1")],
                [(W.PERM_ALL, "ip", "127.0.0.1/33")], [(W.PERM_ALL, "auth", "")]):
        lock.req(1, set_acl_req(b + "/a", acl, -1))
        lock.req(1, create_req(b + "/z", b"", acl, W.PERSISTENT, W.OP_CREATE))
    lock.req(1, set_acl_req(b, [(W.PERM_ALL, "world", "anyone"), (W.PERM_ALL, "world", "anyone"),
                                (W.PERM_READ, "ip", "127.0.0.1"), (W.PERM_READ, "ip", "127.0.0.1")],
                            -1))
    lock.req(1, read_req(W.OP_GET_ACL, b))
    lock.req(0, set_acl_req(b, [(W.PERM_READ, "auth", "x"), (W.PERM_ALL, "auth", ""),
                                (W.PERM_ALL, "world", "anyone")], -1))
    lock.req(0, read_req(W.OP_GET_ACL, b))


def case_multi(lock, b):
    lock.req(0, create_req(b + "/m1", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    # the spec's observed failing multi (9.2)
    lock.req(0, multi_req([create_req(b + "/m2", b"", OPEN, W.PERSISTENT, W.OP_CREATE),
                           create_req(b + "/m1", b"", OPEN, W.PERSISTENT, W.OP_CREATE),
                           delete_req(b + "/m2", -1)]))
    # ops see the earlier ops' effects, all share one zxid
    lock.req(0, multi_req([create_req(b + "/x", b"", OPEN, W.PERSISTENT, W.OP_CREATE2),
                           create_req(b + "/x/y", b"", OPEN, W.EPHEMERAL, W.OP_CREATE),
                           set_data_req(b + "/x", b"1", 0), check_req(b + "/x", 1),
                           create_req(b + "/x/c", b"", OPEN, W.CONTAINER,
                                      W.OP_CREATE_CONTAINER),
                           delete_req(b + "/m1", 0)]))
    lock.req(1, multi_req([set_data_req(b + "/x", b"2", 1), check_req(b + "/x", 1)]))
    lock.req(1, multi_req([check_req(b + "/x", 2), delete_req(b + "/x", -1),
                           create_req(b + "/z", b"", OPEN, W.PERSISTENT, W.OP_CREATE)]))
    lock.req(1, multi_req([create_req(b + "/x/y/z", b"", OPEN, W.PERSISTENT, W.OP_CREATE),
                           check_req(b + "/nope", -1)]))
    lock.req(1, multi_req([create_req(b + "/w", b"", OPEN, W.PERSISTENT, W.OP_CREATE),
                           delete_req(b + "/w", 0), delete_req(b + "/w", -1)]))
    lock.req(1, multi_req([create_req(b + "/q", b"", [], W.PERSISTENT, W.OP_CREATE)]))
    lock.req(1, multi_req([create_req(b + "/q", b"", OPEN, W.PERSISTENT_WITH_TTL,
                                      W.OP_CREATE_TTL, 500)]))
    lock.req(0, multi_req([]))
    lock.req(0, multi_req([check_req(b + "/x", -1), read_req(W.OP_GET_DATA, b + "/x")]))
    lock.req(0, multi_req([read_req(W.OP_GET_DATA, b + "/x"), check_req(b + "/x", -1)],
                          W.OP_MULTI_READ))
    lock.req(0, multi_req([], W.OP_MULTI_READ))
    lock.req(0, multi_req([read_req(W.OP_GET_DATA, b + "/x"), read_req(W.OP_GET_CHILDREN, b),
                           read_req(W.OP_GET_DATA, b + "/gone"),
                           read_req(W.OP_GET_CHILDREN, b + "/gone"),
                           read_req(W.OP_GET_DATA, b + "/x/c")], W.OP_MULTI_READ))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b + "/x"))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_watches_and_close(lock, b):
    lock.req(1, read_req(W.OP_EXISTS, b + "/w", True))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/w", True))  # NONODE: no watch
    lock.req(1, read_req(W.OP_GET_CHILDREN, b, True))
    lock.req(0, create_req(b + "/w", b"", OPEN, W.EPHEMERAL, W.OP_CREATE))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/w", True))
    lock.req(1, read_req(W.OP_EXISTS, b + "/w", True))
    lock.req(1, read_req(W.OP_GET_CHILDREN, b, True))
    lock.req(0, set_data_req(b + "/w", b"1", -1))
    lock.req(0, create_req(b + "/w2", b"", OPEN, W.EPHEMERAL, W.OP_CREATE))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/w2", True))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/w", True))
    lock.req(1, read_req(W.OP_GET_CHILDREN, b, True))
    lock.close_slot(0)
    lock.req(1, read_req(W.OP_GET_CHILDREN2, b))
    lock.open_slot(0)
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_null_and_empty_data(lock, b):
    lock.req(0, create_req(b + "/n", None, OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, create_req(b + "/e", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, read_req(W.OP_GET_DATA, b + "/n"))
    lock.req(0, read_req(W.OP_GET_DATA, b + "/e"))
    lock.req(0, set_data_req(b + "/e", None, -1))
    lock.req(0, set_data_req(b + "/n", b"", -1))
    lock.req(0, multi_req([read_req(W.OP_GET_DATA, b + "/n"), read_req(W.OP_GET_DATA, b + "/e")],
                          W.OP_MULTI_READ))


def case_watch_tables(lock, b):
    """Per-connection watch tables: checkWatches/removeWatches on the connection's own watches,
    and the events left after a removal."""
    cw = watches_req(W.OP_CHECK_WATCHES)
    rw = watches_req(W.OP_REMOVE_WATCHES)
    lock.req(0, create_req(b + "/n", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    for t in (W.WT_CHILDREN, W.WT_DATA, W.WT_ANY, 0, 9):
        lock.req(1, cw(b + "/n", t))
        lock.req(1, rw(b + "/n", t))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/n", True))
    lock.req(1, read_req(W.OP_GET_CHILDREN, b + "/n", True))
    lock.req(1, read_req(W.OP_EXISTS, b + "/gone", True))
    for t in (W.WT_CHILDREN, W.WT_DATA, W.WT_ANY):
        lock.req(1, cw(b + "/n", t))
    lock.req(1, cw(b + "/gone", W.WT_DATA))
    lock.req(1, cw(b + "/gone", W.WT_CHILDREN))
    lock.req(1, rw(b + "/n", W.WT_DATA))
    lock.req(1, cw(b + "/n", W.WT_DATA))
    lock.req(1, cw(b + "/n", W.WT_ANY))
    lock.req(0, set_data_req(b + "/n", b"1", -1))  # no event left for slot 1
    lock.req(0, create_req(b + "/n/k", b"", OPEN, W.PERSISTENT, W.OP_CREATE))  # child event
    lock.req(1, cw(b + "/n", W.WT_ANY))
    lock.req(1, read_req(W.OP_GET_CHILDREN, b + "/n", True))
    lock.req(1, rw(b + "/n", W.WT_ANY))
    lock.req(1, rw(b + "/n", W.WT_ANY))
    lock.req(0, create_req(b + "/gone", b"", OPEN, W.PERSISTENT, W.OP_CREATE))  # NodeCreated
    lock.request(1, W.OP_PING, b"", "ping", xid=W.XID_PING)
    for slot in (0, 1):
        lock.req(slot, (W.OP_WHO_AM_I, b"", "whoAmI"))


# -- cases where the two servers disagree (see the module report at the top) ---------------------
def case_check_watches_other_connection(lock, b):
    """checkWatches must only see the calling connection's watches (spec 6.15). ZooKeeper 3.8.x
    WatchManager.containsWatcher ignores the watcher argument (fixed in 3.9 by ZOOKEEPER-4466),
    so it answers OK when any connection watches the path."""
    lock.req(0, create_req(b + "/n", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/n", True))
    lock.req(1, read_req(W.OP_GET_CHILDREN, b + "/n", True))
    for t in (W.WT_CHILDREN, W.WT_DATA, W.WT_ANY):
        lock.req(0, watches_req(W.OP_CHECK_WATCHES)(b + "/n", t))


def case_empty_path_reads(lock, b):
    """ZooKeeper's DataTree indexes the root under "" too (3.8.0 and 3.9.5), so the reads that
    look a path up without validating it answer for the root."""
    for op in (W.OP_EXISTS, W.OP_GET_DATA, W.OP_GET_CHILDREN, W.OP_GET_CHILDREN2, W.OP_GET_ACL,
               W.OP_GET_ALL_CHILDREN_NUMBER):
        lock.req(0, read_req(op, ""))
    lock.req(0, multi_req([read_req(W.OP_GET_DATA, ""), read_req(W.OP_GET_CHILDREN, "")],
                          W.OP_MULTI_READ))


def case_odd_opcode_flag_combos(lock, b):
    """Opcode/flags pairs no client sends, where both servers agree."""
    top = [(W.OP_CREATE, W.CONTAINER), (W.OP_CREATE2, W.CONTAINER),
           (W.OP_CREATE_CONTAINER, W.PERSISTENT), (W.OP_CREATE_CONTAINER, W.PERSISTENT_SEQUENTIAL),
           (W.OP_CREATE_CONTAINER, W.PERSISTENT_WITH_TTL), (W.OP_CREATE_CONTAINER, 7),
           (W.OP_CREATE_TTL, W.PERSISTENT), (W.OP_CREATE_TTL, W.EPHEMERAL),
           (W.OP_CREATE_TTL, W.CONTAINER), (W.OP_CREATE_TTL, 7),
           (W.OP_CREATE, W.PERSISTENT_SEQUENTIAL_WITH_TTL), (W.OP_CREATE2, W.PERSISTENT_WITH_TTL)]
    for opcode, flags in top:
        p = b + "/t%d_%d" % (opcode, flags)
        lock.req(0, create_req(p, b"", OPEN, flags, opcode))
        lock.req(1, read_req(W.OP_GET_DATA, p))
    for opcode, flags in ((W.OP_CREATE2, W.CONTAINER), (W.OP_CREATE, 7), (W.OP_CREATE2, -1),
                          (W.OP_CREATE_CONTAINER, 7), (W.OP_CREATE_TTL, 7),
                          (W.OP_CREATE_TTL, W.PERSISTENT_WITH_TTL)):
        p = b + "/m%d_%d" % (opcode, flags)
        lock.req(0, multi_req([create_req(p, b"", OPEN, flags, opcode)]))
        lock.req(1, read_req(W.OP_GET_DATA, p))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_multi_create_ttl_flag(lock, b):
    """A TTL mode (flags 5/6) on a create/create2/createContainer sub-op: ZooKeeper cannot
    decode it (3.8.0: ClassCastException, 3.9.5: IllegalArgumentException -> IOException) and
    fails the whole multi with MARSHALLINGERROR."""
    lock.req(0, multi_req([create_req(b + "/t1", b"", OPEN, W.PERSISTENT_WITH_TTL, W.OP_CREATE)]))
    lock.req(0, multi_req([create_req(b + "/t2", b"", OPEN, W.PERSISTENT_SEQUENTIAL_WITH_TTL,
                                      W.OP_CREATE2)]))
    lock.req(0, multi_req([create_req(b + "/t3", b"", OPEN, W.PERSISTENT_WITH_TTL,
                                      W.OP_CREATE_CONTAINER)]))


def case_multi_create_container_flag(lock, b):
    """Spec 8.1 (observed): inside a multi, op 1 with flag 4 becomes a createContainer whose
    result is type 15 (path + Stat). ZooKeeper (Op.Create.getOpcode) does so in 3.8.0 and 3.9.5."""
    lock.req(0, multi_req([create_req(b + "/c", b"", OPEN, W.CONTAINER, W.OP_CREATE)]))
    lock.req(0, read_req(W.OP_GET_DATA, b + "/c"))


def case_multi_container_opcode_other_flags(lock, b):
    """Inside a multi, op 19 with flags 0/1/2: ZooKeeper 3.8.0 derives the op from the flags
    only (Op.Create.getOpcode) and runs a plain create with a type-1 result (path only);
    3.9.5 keeps op 19 (type 15). Spec 9.2 lists op 19 -> type 15."""
    lock.req(0, multi_req([create_req(b + "/p", b"", OPEN, W.PERSISTENT, W.OP_CREATE_CONTAINER)]))
    lock.req(0, multi_req([create_req(b + "/s-", b"", OPEN, W.PERSISTENT_SEQUENTIAL,
                                      W.OP_CREATE_CONTAINER)]))
    lock.req(0, multi_req([create_req(b + "/e", b"", OPEN, W.EPHEMERAL, W.OP_CREATE_CONTAINER)]))
    lock.req(0, read_req(W.OP_GET_DATA, b + "/e"))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_container_opcode_ephemeral_flags(lock, b):
    """Top-level op 19 with an ephemeral flag (1 or 3): ZooKeeper (3.8.0 and 3.9.5) writes a
    CreateContainerTxn whatever the flags, so the node is a container (ephemeralOwner 0, not
    listed by getEphemerals)."""
    lock.req(0, create_req(b + "/e", b"", OPEN, W.EPHEMERAL, W.OP_CREATE_CONTAINER))
    lock.req(0, create_req(b + "/es-", b"", OPEN, W.EPHEMERAL_SEQUENTIAL, W.OP_CREATE_CONTAINER))
    lock.req(1, read_req(W.OP_GET_DATA, b + "/e"))
    lock.req(0, (W.OP_GET_EPHEMERALS, W.w_string(b), "getEphemerals(%r)" % b))


def case_multi_ttl_opcode_plain_flags(lock, b):
    """Inside a multi, op 21 (createTTL) with a non-TTL mode: ZooKeeper (3.8.0 and 3.9.5,
    Op.create(..., flags, ttl)) drops the ttl and runs a plain create (type-1 result). Top-level,
    the same request is BADARGUMENTS on both servers (spec 6.2 step 3)."""
    lock.req(0, multi_req([create_req(b + "/p", b"", OPEN, W.PERSISTENT, W.OP_CREATE_TTL, 1000)]))
    lock.req(0, multi_req([create_req(b + "/e", b"", OPEN, W.EPHEMERAL, W.OP_CREATE_TTL, 1000)]))
    lock.req(0, read_req(W.OP_GET_CHILDREN2, b))


def case_null_path(lock, b):
    """A null path (ustring length -1). ZooKeeper dereferences it and answers MARSHALLINGERROR
    (an unexpected server exception, spec 5), except setData and setACL (BADARGUMENTS: they
    validate first); sync echoes the null back (spec 6.10: verbatim)."""
    n = W.w_string(None)
    lock.req(1, (W.OP_CREATE, W.create_body(None), "create(null)"))
    lock.req(1, (W.OP_DELETE, n + W.w_int(-1), "delete(null)"))
    lock.req(1, (W.OP_SET_DATA, n + W.w_buffer(b"x") + W.w_int(-1), "setData(null)"))
    lock.req(1, (W.OP_SET_ACL, n + W.w_acls(OPEN) + W.w_int(-1), "setACL(null)"))
    for op in (W.OP_EXISTS, W.OP_GET_DATA, W.OP_GET_CHILDREN, W.OP_GET_CHILDREN2):
        lock.req(1, (op, n + W.w_bool(False), "%s(null)" % OPNAMES[op]))
    for op in (W.OP_GET_ACL, W.OP_GET_ALL_CHILDREN_NUMBER, W.OP_SYNC):
        lock.req(1, (op, n, "%s(null)" % OPNAMES[op]))


def case_null_path_in_multi(lock, b):
    """A null path inside multi and multiRead: ZooKeeper decodes the request, fails on the null
    while running it, and answers MARSHALLINGERROR followed by an empty result list (the 9-byte
    terminator, a 25-byte frame); rookeryd rejects the record while decoding it and sends the
    16-byte header alone. Clients ignore a body after an error header."""
    n = W.w_string(None)
    lock.req(1, (W.OP_MULTI, W.multi_body([(W.OP_CHECK, n + W.w_int(-1))]), "multi[check(null)]",
                 [W.OP_CHECK]))
    lock.req(1, (W.OP_MULTI_READ, W.multi_body([(W.OP_GET_DATA, n + W.w_bool(False))]),
                 "multiRead[getData(null)]", [W.OP_GET_DATA]))


def case_ipv6_ip_acl(lock, b):
    """ip ACL ids with an IPv6 address: ZooKeeper 3.8.x only parses IPv4 ids (its
    IPAuthenticationProvider has a 'TODO Write the v6addr2Bytes'), so they are INVALIDACL; 3.9.5
    accepts them (ZOOKEEPER-4240)."""
    lock.req(0, create_req(b + "/n", b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, set_acl_req(b + "/n", [(W.PERM_ALL, "ip", "::1/128"),
                                       (W.PERM_ALL, "world", "anyone")], -1))
    lock.req(0, create_req(b + "/v6", b"", [(W.PERM_ALL, "ip", "::1")], W.PERSISTENT,
                           W.OP_CREATE))
    lock.req(0, read_req(W.OP_GET_ACL, b + "/n"))


def case_supplementary_char_path(lock, b):
    """U+1F600 sent as 4-byte UTF-8: Java decodes it into the surrogate pair U+D83D U+DE00, and
    PathUtils.validatePath rejects U+D800-U+F8FF (spec 6.1, 1.2: paths cannot contain
    surrogates)."""
    p = b + "/\U0001F600"
    lock.req(0, create_req(p, b"", OPEN, W.PERSISTENT, W.OP_CREATE))
    lock.req(0, set_data_req(p, b"x", -1))
    lock.req(0, read_req(W.OP_GET_CHILDREN, b))


CASES = [
    ("fresh_special_nodes", case_fresh_special_nodes, None),
    ("bad_paths", case_bad_paths, None),
    ("create_modes_and_stats", case_create_modes_and_stats, None),
    ("sequential_counter", case_sequential_counter, None),
    ("delete_versions", case_delete_versions, None),
    ("acls", case_acls, None),
    ("multi", case_multi, None),
    ("watches_and_close", case_watches_and_close, None),
    ("null_and_empty_data", case_null_and_empty_data, None),
    ("odd_opcode_flag_combos", case_odd_opcode_flag_combos, None),
    ("watch_tables", case_watch_tables, None),
    ("empty_path_reads", case_empty_path_reads, None),
    ("multi_create_ttl_flag", case_multi_create_ttl_flag,
     "multi sub-op create(flags=5): ZooKeeper fails the whole multi with MARSHALLINGERROR, "
     "rookeryd answers a per-op UNIMPLEMENTED result"),
    ("supplementary_char_path", case_supplementary_char_path, None),
    ("multi_create_container_flag", case_multi_create_container_flag, None),
    ("multi_container_opcode_other_flags", case_multi_container_opcode_other_flags,
     "multi sub-op createContainer(op 19) with flags 0/1/2: ZooKeeper 3.8.0 runs a plain create "
     "(type-1 result, flags 1 an ephemeral node), rookeryd keeps op 19 as 3.9.5 does (type 15, "
     "a container)"),
    ("container_opcode_ephemeral_flags", case_container_opcode_ephemeral_flags, None),
    ("multi_ttl_opcode_plain_flags", case_multi_ttl_opcode_plain_flags,
     "multi sub-op createTTL(op 21) with flags 0/1: ZooKeeper ignores the ttl and creates the "
     "node, rookeryd answers BADARGUMENTS"),
    ("check_watches_other_connection", case_check_watches_other_connection,
     "checkWatches on a connection without a watch, while another connection watches the path: "
     "ZooKeeper 3.8.0 OK, rookeryd NOWATCHER"),
    ("null_path", case_null_path, None),
    ("null_path_in_multi", case_null_path_in_multi,
     "null path inside multi/multiRead: both MARSHALLINGERROR, but ZooKeeper appends an empty "
     "result list (25-byte frame) where rookeryd sends the header alone (16 bytes)"),
    ("ipv6_ip_acl", case_ipv6_ip_acl,
     "ip ACL with an IPv6 address: ZooKeeper 3.8.0 INVALIDACL, rookeryd accepts it"),
]


# ------------------------------------------------------------------------------------------------
# fixtures and tests
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair():
    servers = []
    try:
        zk = harness.Server(kind="zookeeper", **SERVER_OPTS)
        servers.append(zk)
        rk = harness.Server(kind="rookeryd", **SERVER_OPTS)
        servers.append(rk)
        zk.start()
        rk.start()
        yield rk, zk
        # what the module exercised (visible with -s): (operation, outcome) -> count
        for key in sorted(STATS, key=lambda k: (k[0], str(k[1]))):
            print("%-22s %-40s %d" % (key[0], key[1], STATS[key]))
    finally:
        for s in servers:
            s.cleanup()


@pytest.fixture
def lockstep(pair):
    made = []

    def make(seed, tag):
        lock = Lockstep(pair[0], pair[1], seed, tag)
        made.append(lock)
        lock.open_slot(0)
        lock.open_slot(1)
        return lock

    yield make
    for lock in made:
        lock.rk.close_all()
        lock.zk.close_all()


KNOWN_DISCREPANCY = {name: why for name, _, why in CASES}


@pytest.mark.parametrize("name,case", [
    pytest.param(name, fn, id=name,
                 marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=why)]
                 if why else [])
    for name, fn, why in CASES])
def test_fixed_case(lockstep, name, case):
    lock = lockstep("-", name)
    base = "/f_%s" % name
    out = lock.req(0, create_req(base, b"base", OPEN, W.PERSISTENT, W.OP_CREATE2))
    assert out[0] == "ok", "%s could not create %s: %r" % (lock.where(), base, out)
    lock.soft = KNOWN_DISCREPANCY.get(name) is not None
    case(lock, base)
    lock.finish()
    if lock.soft_failures:
        raise AssertionError("%d differences:\n%s" % (len(lock.soft_failures),
                                                      "\n".join(lock.soft_failures)))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_lockstep(lockstep, seed):
    lock = lockstep(seed, "random")
    base = "/d%d" % seed
    gen = Generator(seed, base)
    out = lock.req(0, create_req(base, b"base", OPEN, W.PERSISTENT, W.OP_CREATE2))
    assert out[0] == "ok", "%s could not create %s: %r" % (lock.where(), base, out)
    while lock.index < OPS_PER_SEED:
        run_random(lock, gen)
    lock.finish()
    print("seed %d: %d ops, documented 3.8.0/3.9 differences seen: %r"
          % (seed, lock.index, lock.version_notes))

