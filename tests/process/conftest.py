"""pytest fixtures for the process-level suite (see harness.py for the server selection)."""

import itertools
import logging
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kazoo.client import KazooClient  # noqa: E402

import harness  # noqa: E402
import zkwire  # noqa: E402

logging.getLogger("kazoo").setLevel(logging.ERROR)

_counter = itertools.count()


def _running_server():
    s = harness.Server()
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


@pytest.fixture(scope="module")
def server():
    """One server per test module (ZooKeeper's JVM start is the slow part)."""
    yield from _running_server()


@pytest.fixture
def fresh_server():
    """A brand-new server for checks that need pristine state."""
    yield from _running_server()


@pytest.fixture
def make_client(server):
    """Factory for connected kazoo clients on the module server; all are stopped afterwards."""
    clients = []

    def make(target=None, **kwargs):
        srv = target or server
        kwargs.setdefault("timeout", 10.0)
        c = KazooClient(hosts=srv.connect_string, **kwargs)
        c.start(timeout=15)
        clients.append(c)
        return c

    yield make
    for c in clients:
        try:
            c.stop()
        finally:
            c.close()


@pytest.fixture
def zk(make_client):
    return make_client()


@pytest.fixture
def make_raw(server):
    """Factory for raw protocol connections (zkwire.ZkWire); all sockets are closed afterwards.

    make_raw() returns a connection with an established session;
    make_raw(handshake=False) returns a bare TCP connection.
    """
    conns = []

    def make(target=None, handshake=True, timeout_ms=10000, **kw):
        srv = target or server
        if handshake:
            c = zkwire.open_session(srv.host, srv.port, timeout_ms=timeout_ms, **kw)
        else:
            c = zkwire.ZkWire(srv.host, srv.port)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close_quietly()


@pytest.fixture
def raw(make_raw):
    return make_raw()


@pytest.fixture
def path(request):
    """A unique top-level path per test, so tests can share a module server."""
    name = request.node.name.replace("[", "_").replace("]", "").replace("/", "_")
    return "/%s_%d" % (name[:60], next(_counter))

