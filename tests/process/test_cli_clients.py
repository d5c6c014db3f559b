"""Smoke tests with the stock command-line clients: zkCli.sh (Java) and cli_mt (C client)."""

import os
import re
import subprocess
import threading
import time

import pytest

import harness


def zkcli(server, *args, timeout=90):
    p = subprocess.run([harness.ZK_CLI_SH, "-server", server.connect_string] + list(args),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    # drop the JVM's logging noise
    lines = [l for l in p.stdout.splitlines() if not l.startswith("SLF4J:")]
    return p.returncode, "\n".join(lines)


@pytest.mark.skipif(not os.access(harness.ZK_CLI_SH, os.X_OK), reason="zkCli.sh not installed")
def test_zkcli_smoke(server, zk, path):
    rc, out = zkcli(server, "create", path, "hello")
    assert rc == 0 and ("Created " + path) in out, out
    assert zk.get(path)[0] == b"hello"

    rc, out = zkcli(server, "get", path)
    assert rc == 0 and "\nhello" in out, out

    zk.create(path + "/kid")
    rc, out = zkcli(server, "ls", "/")
    assert rc == 0
    m = re.search(r"^\[(.*)\]$", out, re.M)
    assert m, out
    listed = [x.strip() for x in m.group(1).split(",")]
    assert "zookeeper" in listed and path[1:] in listed

    rc, out = zkcli(server, "stat", path)
    assert rc == 0
    st = zk.exists(path)
    assert "cZxid = 0x%x" % st.czxid in out
    assert "numChildren = 1" in out and "dataLength = 5" in out

    rc, out = zkcli(server, "get", path + "/missing")
    assert rc != 0 and "Node does not exist" in out

    rc, out = zkcli(server, "deleteall", path)
    assert rc == 0, out
    assert zk.exists(path) is None


class CliDriver:
    """Feeds commands to cli_mt's stdin and waits (bounded) for its output."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.out = ""
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.out += line
                self.cond.notify_all()

    def expect(self, pattern, since=0, timeout=15.0):
        rx = re.compile(pattern, re.M)
        with self.cond:
            ok = self.cond.wait_for(lambda: rx.search(self.out, since), timeout)
        assert ok, "pattern %r not seen; output:\n%s" % (pattern, self.out[since:])
        return rx.search(self.out, since)

    def send(self, line):
        mark = len(self.out)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return mark

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("quit")
                self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.mark.skipif(not os.access(harness.ZK_C_CLI, os.X_OK), reason="cli_mt not installed")
def test_c_client_smoke(server, zk, path):
    cli = CliDriver([harness.ZK_C_CLI, server.connect_string])
    try:
        cli.expect(r"Got a new session id: 0x[0-9a-f]+")
        m = cli.send("create " + path)
        cli.expect(r"^\[%s\]: rc = 0" % re.escape(path), m)
        assert zk.get(path)[0] == b"new"  # cli_mt writes the fixed value "new"

        m = cli.send("set %s hello" % path)
        cli.expect(r"^%s: rc = 0" % re.escape(path), m)
        m = cli.send("get " + path)
        cli.expect(r"value_len = 5\nhello", m)

        zk.create(path + "/kid")
        m = cli.send("ls " + path)
        cli.expect(r"^%s: rc = 0\n\tkid\n" % re.escape(path), m)
        m = cli.send("ls /")
        cli.expect(r"^/: rc = 0\n(\t.*\n)*\tzookeeper\n", m)

        m = cli.send("create +e %s/eph" % path)
        cli.expect(r"^\[%s/eph\]: rc = 0" % re.escape(path), m)
        st = zk.exists(path + "/eph")
        assert st is not None and st.ephemeralOwner != 0

        m = cli.send("create2 +s %s/seq-" % path)
        cli.expect(r"name = %s/seq-\d{10}" % re.escape(path), m)

        m = cli.send("create +c %s/cont" % path)
        cli.expect(r"^\[%s/cont\]: rc = 0" % re.escape(path), m)
        assert zk.exists(path + "/cont").ephemeralOwner == 0

        m = cli.send("get %s/missing" % path)
        cli.expect(r"^%s/missing: rc = -101" % re.escape(path), m)

        m = cli.send("delete %s/kid" % path)
        cli.expect(r"^%s/kid: rc = 0" % re.escape(path), m)
        assert zk.exists(path + "/kid") is None
    finally:
        cli.close()
    # the C client's session is closed on quit: its ephemeral goes away
    deadline = time.monotonic() + 10
    while zk.exists(path + "/eph") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert zk.exists(path + "/eph") is None
