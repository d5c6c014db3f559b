"""A minimal raw ZooKeeper client-protocol (jute) client for byte-level tests.

It speaks just enough of the wire protocol (docs: zk-wire-protocol.md) to
exercise operations kazoo 2.8 lacks (containers, TTL, addWatch, removeWatches,
getEphemerals, getAllChildrenNumber, whoAmI, setWatches, multiRead) and to make
exact checks on frames (lengths, reply order, connection closes).

Nothing here retries or pings on its own: a test decides every byte sent.
"""

import socket
import struct
import time
from collections import namedtuple

# --- opcodes (spec section 3.3) ----------------------------------------------------------------
OP_NOTIFICATION = 0
OP_CREATE = 1
OP_DELETE = 2
OP_EXISTS = 3
OP_GET_DATA = 4
OP_SET_DATA = 5
OP_GET_ACL = 6
OP_SET_ACL = 7
OP_GET_CHILDREN = 8
OP_SYNC = 9
OP_PING = 11
OP_GET_CHILDREN2 = 12
OP_CHECK = 13
OP_MULTI = 14
OP_CREATE2 = 15
OP_RECONFIG = 16
OP_CHECK_WATCHES = 17
OP_REMOVE_WATCHES = 18
OP_CREATE_CONTAINER = 19
OP_DELETE_CONTAINER = 20
OP_CREATE_TTL = 21
OP_MULTI_READ = 22
OP_AUTH = 100
OP_SET_WATCHES = 101
OP_SASL = 102
OP_GET_EPHEMERALS = 103
OP_GET_ALL_CHILDREN_NUMBER = 104
OP_SET_WATCHES2 = 105
OP_ADD_WATCH = 106
OP_WHO_AM_I = 107
OP_CLOSE_SESSION = -11

# --- special xids --------------------------------------------------------------------------------
XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SET_WATCHES = -8

# --- error codes (spec section 5) ---------------------------------------------------------------
OK = 0
RUNTIMEINCONSISTENCY = -2
MARSHALLINGERROR = -5
UNIMPLEMENTED = -6
BADARGUMENTS = -8
NONODE = -101
NOAUTH = -102
BADVERSION = -103
NOCHILDRENFOREPHEMERALS = -108
NODEEXISTS = -110
NOTEMPTY = -111
SESSIONEXPIRED = -112
INVALIDACL = -114
AUTHFAILED = -115
NOWATCHER = -121
RECONFIGDISABLED = -123

# --- create flags ---------------------------------------------------------------------------------
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

# --- watch related --------------------------------------------------------------------------------
EV_CREATED = 1
EV_DELETED = 2
EV_DATA_CHANGED = 3
EV_CHILDREN_CHANGED = 4

WT_CHILDREN = 1
WT_DATA = 2
WT_ANY = 3
WT_PERSISTENT = 4
WT_PERSISTENT_RECURSIVE = 5

ADD_WATCH_PERSISTENT = 0
ADD_WATCH_PERSISTENT_RECURSIVE = 1

PERM_READ, PERM_WRITE, PERM_CREATE, PERM_DELETE, PERM_ADMIN, PERM_ALL = 1, 2, 4, 8, 16, 31
OPEN_ACL = [(PERM_ALL, "world", "anyone")]

Stat = namedtuple("Stat", "czxid mzxid ctime mtime version cversion aversion "
                          "ephemeralOwner dataLength numChildren pzxid")
STAT_FMT = struct.Struct("!qqqqiiiqiiq")
assert STAT_FMT.size == 68

ConnectResponse = namedtuple("ConnectResponse",
                             "protocol_version timeout session_id passwd read_only frame_len")
Reply = namedtuple("Reply", "xid zxid err body frame_len")
Event = namedtuple("Event", "type state path zxid")


class ConnectionClosed(Exception):
    """The server closed the connection (EOF or reset) while we expected data."""


# --- encoders -----------------------------------------------------------------------------------
def w_int(v):
    return struct.pack("!i", v)


def w_long(v):
    return struct.pack("!q", v)


def w_bool(v):
    return b"\x01" if v else b"\x00"


def w_buffer(b):
    if b is None:
        return w_int(-1)
    return w_int(len(b)) + bytes(b)


def w_string(s):
    if s is None:
        return w_int(-1)
    data = s.encode("utf-8")
    return w_int(len(data)) + data


def w_strings(items):
    if items is None:
        return w_int(-1)
    return w_int(len(items)) + b"".join(w_string(s) for s in items)


def w_acls(acls):
    if acls is None:
        return w_int(-1)
    out = w_int(len(acls))
    for perms, scheme, ident in acls:
        out += w_int(perms) + w_string(scheme) + w_string(ident)
    return out


# --- decoder --------------------------------------------------------------------------------------
class Reader:
    def __init__(self, data, offset=0):
        self.data = bytes(data)
        self.off = offset

    def remaining(self):
        return len(self.data) - self.off

    def _take(self, n):
        if self.off + n > len(self.data):
            raise ValueError("short record: need %d bytes at %d of %d" % (n, self.off, len(self.data)))
        chunk = self.data[self.off:self.off + n]
        self.off += n
        return chunk

    def int(self):
        return struct.unpack("!i", self._take(4))[0]

    def long(self):
        return struct.unpack("!q", self._take(8))[0]

    def bool(self):
        return self._take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        return self._take(n)

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def strings(self):
        n = self.int()
        if n < 0:
            return None
        return [self.string() for _ in range(n)]

    def stat(self):
        return Stat._make(STAT_FMT.unpack(self._take(68)))

    def acls(self):
        n = self.int()
        if n < 0:
            return None
        return [(self.int(), self.string(), self.string()) for _ in range(n)]


# --- request bodies -------------------------------------------------------------------------------
def create_body(path, data=b"", acl=OPEN_ACL, flags=PERSISTENT, ttl=None):
    body = w_string(path) + w_buffer(data) + w_acls(acl) + w_int(flags)
    if ttl is not None:
        body += w_long(ttl)
    return body


def path_watch_body(path, watch=False):
    return w_string(path) + w_bool(watch)


def multi_body(ops):
    """ops: list of (opcode, record_bytes). Appends the terminator."""
    out = b""
    for op, rec in ops:
        out += w_int(op) + w_bool(False) + w_int(-1) + rec
    return out + w_int(-1) + w_bool(True) + w_int(-1)


def parse_multi(body):
    """Returns a list of (type, err, payload-Reader-position info) as (type, err, value).

    value: path for type 1, (path, Stat) for 15, Stat for 5, (data, Stat) for 4,
    children list for 8, None for 2/13, and the ErrorResponse code for -1.
    """
    r = Reader(body)
    results = []
    while True:
        typ = r.int()
        done = r.bool()
        err = r.int()
        if done:
            break
        if typ == OP_CREATE:
            val = r.string()
        elif typ in (OP_CREATE2, OP_CREATE_CONTAINER, OP_CREATE_TTL):
            val = (r.string(), r.stat())
        elif typ == OP_SET_DATA:
            val = r.stat()
        elif typ == OP_GET_DATA:
            val = (r.buffer(), r.stat())
        elif typ == OP_GET_CHILDREN:
            val = r.strings()
        elif typ in (OP_DELETE, OP_CHECK):
            val = None
        elif typ == -1:
            val = r.int()
        else:
            raise ValueError("unexpected multi result type %d" % typ)
        results.append((typ, err, val))
    return results


def connect_request(timeout_ms=10000, session_id=0, passwd=b"\x00" * 16, last_zxid=0,
                    read_only=False):
    """ConnectRequest payload; read_only=None omits the trailing byte (an 'old' client)."""
    body = w_int(0) + w_long(last_zxid) + w_int(timeout_ms) + w_long(session_id) + w_buffer(passwd)
    if read_only is not None:
        body += w_bool(read_only)
    return body


def frame(payload):
    return w_int(len(payload)) + payload


class ZkWire:
    """One raw TCP connection to a ZooKeeper-protocol server."""

    def __init__(self, host, port, timeout=10.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.events = []
        self.next_xid = 1
        self.session_id = 0
        self.passwd = b"\x00" * 16
        self.negotiated_timeout = 0
        self.last_zxid = 0
        self._eof = False

    # -- low level -------------------------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        self.sock.sendall(frame(payload))

    def _recv_exact(self, n, deadline):
        buf = b""
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out waiting for %d bytes (got %d)" % (n, len(buf)))
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(n - len(buf))
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self._eof = True
                raise ConnectionClosed("connection closed by server after %d of %d bytes"
                                       % (len(buf), n))
            buf += chunk
        return buf

    def recv_frame(self, timeout=None):
        """Returns the payload of the next frame. Raises ConnectionClosed or socket.timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        (n,) = struct.unpack("!i", self._recv_exact(4, deadline))
        return self._recv_exact(n, deadline) if n else b""

    def wait_closed(self, timeout=5.0):
        """True if the server closes the connection within timeout. Frames seen meanwhile are
        kept in self.drained (notifications also go to self.events)."""
        self.drained = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                payload = self.recv_frame(remaining)
            except ConnectionClosed:
                return True
            except socket.timeout:
                return False
            self.drained.append(payload)
            self._note_event(payload)

    def _note_event(self, payload):
        if len(payload) >= 16 and struct.unpack_from("!i", payload)[0] == XID_NOTIFICATION:
            ev = self._parse_event(payload)
            self.events.append(ev)
            return ev
        return None

    @staticmethod
    def _parse_event(payload):
        r = Reader(payload)
        r.int()
        zxid = r.long()
        r.int()
        return Event(r.int(), r.int(), r.string(), zxid)

    # -- handshake ---------------------------------------------------------------------------
    def connect(self, timeout_ms=10000, session_id=0, passwd=b"\x00" * 16, last_zxid=0,
                read_only=False, extra=b""):
        """Sends a ConnectRequest (plus `extra` raw bytes in the same write) and parses the reply."""
        self.sock.sendall(frame(connect_request(timeout_ms, session_id, passwd, last_zxid,
                                                read_only)) + extra)
        payload = self.recv_frame()
        r = Reader(payload)
        pv = r.int()
        to = r.int()
        sid = r.long()
        pw = r.buffer()
        ro = r.bool() if r.remaining() > 0 else None
        resp = ConnectResponse(pv, to, sid, pw, ro, len(payload))
        if to > 0:
            self.session_id, self.passwd, self.negotiated_timeout = sid, pw, to
        return resp

    # -- requests ----------------------------------------------------------------------------
    def send(self, op, body=b"", xid=None):
        if xid is None:
            xid = self.next_xid
            self.next_xid += 1
        self.send_frame(w_int(xid) + w_int(op) + body)
        return xid

    def read_reply(self, timeout=None):
        """Next non-notification frame as a Reply (notifications are appended to self.events)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            payload = self.recv_frame(max(0.001, deadline - time.monotonic()))
            if self._note_event(payload) is not None:
                continue
            r = Reader(payload)
            xid, zxid, err = r.int(), r.long(), r.int()
            if zxid > 0 and xid not in (XID_AUTH,):
                self.last_zxid = max(self.last_zxid, zxid)
            return Reply(xid, zxid, err, Reader(payload, 16), len(payload))

    def call(self, op, body=b"", timeout=None, xid=None):
        xid = self.send(op, body, xid)
        reply = self.read_reply(timeout)
        if reply.xid != xid:
            raise AssertionError("reply out of order: sent xid %d, got %d" % (xid, reply.xid))
        return reply

    def wait_events(self, count, timeout=5.0):
        """Reads frames until at least `count` notifications have been collected in total."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                payload = self.recv_frame(remaining)
            except socket.timeout:
                break
            if self._note_event(payload) is None:
                raise AssertionError("unexpected non-notification frame while waiting for "
                                     "events: %r" % payload[:32])
        return list(self.events)

    def no_frames_for(self, seconds):
        """True if nothing arrives for `seconds` (connection still open)."""
        try:
            payload = self.recv_frame(seconds)
        except socket.timeout:
            return True
        self._note_event(payload)
        return False

    # -- convenience operations (each returns the Reply plus a decoded value) -------------------
    def ping(self):
        return self.call(OP_PING, b"", xid=XID_PING)

    def create(self, path, data=b"", acl=OPEN_ACL, flags=PERSISTENT, op=OP_CREATE, ttl=None):
        rep = self.call(op, create_body(path, data, acl, flags, ttl))
        if rep.err:
            return rep, None
        if op == OP_CREATE:
            return rep, rep.body.string()
        return rep, (rep.body.string(), rep.body.stat())

    def delete(self, path, version=-1):
        return self.call(OP_DELETE, w_string(path) + w_int(version))

    def exists(self, path, watch=False):
        rep = self.call(OP_EXISTS, path_watch_body(path, watch))
        return rep, (rep.body.stat() if rep.err == 0 else None)

    def get_data(self, path, watch=False):
        rep = self.call(OP_GET_DATA, path_watch_body(path, watch))
        if rep.err:
            return rep, None
        return rep, (rep.body.buffer(), rep.body.stat())

    def set_data(self, path, data, version=-1):
        rep = self.call(OP_SET_DATA, w_string(path) + w_buffer(data) + w_int(version))
        return rep, (rep.body.stat() if rep.err == 0 else None)

    def get_children(self, path, watch=False):
        rep = self.call(OP_GET_CHILDREN, path_watch_body(path, watch))
        return rep, (rep.body.strings() if rep.err == 0 else None)

    def get_acl(self, path):
        rep = self.call(OP_GET_ACL, w_string(path))
        if rep.err:
            return rep, None
        return rep, (rep.body.acls(), rep.body.stat())

    def set_acl(self, path, acls, version=-1):
        rep = self.call(OP_SET_ACL, w_string(path) + w_acls(acls) + w_int(version))
        return rep, (rep.body.stat() if rep.err == 0 else None)

    def sync(self, path):
        rep = self.call(OP_SYNC, w_string(path))
        return rep, (rep.body.string() if rep.err == 0 else None)

    def multi(self, ops, op=OP_MULTI):
        rep = self.call(op, multi_body(ops))
        return rep, (parse_multi(rep.body.data[rep.body.off:]) if rep.err == 0 else None)

    def add_watch(self, path, mode):
        return self.call(OP_ADD_WATCH, w_string(path) + w_int(mode))

    def remove_watches(self, path, wtype):
        return self.call(OP_REMOVE_WATCHES, w_string(path) + w_int(wtype))

    def check_watches(self, path, wtype):
        return self.call(OP_CHECK_WATCHES, w_string(path) + w_int(wtype))

    def set_watches(self, relative_zxid, data=(), exist=(), child=(), persistent=None,
                    recursive=None, timeout=None):
        """Sends SetWatches (101) or, if persistent/recursive lists are given, SetWatches2 (105).
        Returns (reply, events that arrived before the reply)."""
        body = w_long(relative_zxid) + w_strings(list(data)) + w_strings(list(exist)) + \
            w_strings(list(child))
        op = OP_SET_WATCHES
        if persistent is not None or recursive is not None:
            op = OP_SET_WATCHES2
            body += w_strings(list(persistent or [])) + w_strings(list(recursive or []))
        before = len(self.events)
        rep = self.call(op, body, timeout=timeout, xid=XID_SET_WATCHES)
        return rep, self.events[before:]

    def auth(self, scheme, auth_bytes):
        return self.call(OP_AUTH, w_int(0) + w_string(scheme) + w_buffer(auth_bytes), xid=XID_AUTH)

    def who_am_i(self):
        rep = self.call(OP_WHO_AM_I)
        if rep.err:
            return rep, None
        n = rep.body.int()
        return rep, [(rep.body.string(), rep.body.string()) for _ in range(n)]

    def get_ephemerals(self, prefix):
        rep = self.call(OP_GET_EPHEMERALS, w_string(prefix))
        return rep, (rep.body.strings() if rep.err == 0 else None)

    def get_all_children_number(self, path):
        rep = self.call(OP_GET_ALL_CHILDREN_NUMBER, w_string(path))
        return rep, (rep.body.int() if rep.err == 0 else None)

    def reconfig(self, joining=None, leaving=None, new_members=None, cur_config_id=-1):
        return self.call(OP_RECONFIG, w_string(joining) + w_string(leaving) +
                         w_string(new_members) + w_long(cur_config_id))

    def close_session(self):
        return self.call(OP_CLOSE_SESSION)

    def close_quietly(self, timeout=2.0):
        """Ends the session if this connection still holds one (so it does not linger until
        expiry and write a closeSession transaction in the middle of a later test), then closes
        the socket. Errors are ignored."""
        try:
            if self.session_id and not self._eof and self.sock.fileno() != -1:
                xid = self.send(OP_CLOSE_SESSION)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    payload = self.recv_frame(max(0.001, deadline - time.monotonic()))
                    if len(payload) >= 4 and struct.unpack_from("!i", payload)[0] == xid:
                        break
        except (OSError, ConnectionClosed, ValueError):
            pass
        self.close()


def open_session(host, port, timeout_ms=10000, **kw):
    """Connects and performs the handshake; raises if the session was not granted."""
    c = ZkWire(host, port)
    try:
        resp = c.connect(timeout_ms=timeout_ms, **kw)
    except Exception:
        c.close()
        raise
    if resp.timeout <= 0:
        c.close()
        raise AssertionError("session refused: %r" % (resp,))
    return c
