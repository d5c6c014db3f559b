"""rookeryd as a program: command line, config errors, clean shutdown, a full store."""

import os
import signal
import subprocess
import tempfile

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, SystemZookeeperError

import harness
import zkwire

pytestmark = pytest.mark.skipif(harness.server_kind() != "rookeryd", reason="rookeryd's own interface")


def run_rookeryd(args, timeout=10):
    return subprocess.run([harness.rookeryd_path()] + args, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("toml, key", [
    ("colour = 1\n", "colour"),
    ("tick_time_ms = \"fast\"\n", "tick_time_ms"),
    ("client_address = \"nowhere\"\n", "client_address"),
    ("[storage]\nmap_max_mb = -1\n", "storage.map_max_mb"),
    ("four_letter_words = [\"ruok\", \"nope\"]\n", "four_letter_words"),
])
def test_bad_config_names_the_key_and_fails(toml, key):
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "bad.toml")
        with open(path, "w") as f:
            f.write('data_dir = "%s"\n' % os.path.join(root, "data") + toml)
        result = run_rookeryd(["--config", path])
        assert result.returncode != 0
        assert "'%s'" % key in result.stderr, result.stderr
        assert not os.path.exists(os.path.join(root, "data")), "nothing is started on a bad config"


def test_command_line_only_server_and_sigterm():
    with tempfile.TemporaryDirectory() as root:
        port = harness.free_port()
        proc = subprocess.Popen([harness.rookeryd_path(), "--data-dir", os.path.join(root, "d"),
                                 "--client-port", str(port)], stderr=subprocess.PIPE, text=True)
        try:
            harness.wait_until(lambda: "Mode: standalone" in _srvr(port), timeout=15,
                               message="srvr on the command-line server")
            zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=5)
            zk.start(timeout=10)
            zk.create("/kept", b"v")
            zk.stop()
            zk.close()
            # srvr is always enabled; the rest of the default whitelist is off.
            assert _word(port, b"ruok") == "ruok is not executed because it is not in the whitelist.\n"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
            assert "shutting down" in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_port_in_use_exits_nonzero():
    s = harness.Server()
    try:
        s.start()
        with tempfile.TemporaryDirectory() as root:
            result = run_rookeryd(["--data-dir", root, "--client-port", str(s.port)], timeout=20)
            assert result.returncode != 0
            assert "not available" in result.stderr
    finally:
        s.cleanup()


def fill_until_refused(zk, value, attempts):
    """Creates /fill-0, /fill-1, ... until one is refused; returns (created, the refusal)."""
    for i in range(attempts):
        try:
            zk.create("/fill-%d" % i, value)
        except KazooException as e:
            return i, e
    return attempts, None


def test_image_at_its_map_maximum_loses_no_write():
    # The image (LMDB) may not grow past map_max_mb, but the log is what makes a write
    # durable: writes go on, the image catches up once it fits again, and a restart recovers
    # everything from the image plus the log.
    s = harness.Server(rookeryd_extra_config=[
        "[storage]", "map_initial_mb = 1", "map_max_mb = 2", "snapshot_every_txns = 1"])
    try:
        s.start()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        zk.create("/before", b"safe")
        value = b"x" * 200_000
        for i in range(20):  # 4 MB of values: twice what the image may hold
            zk.create("/fill-%d" % i, value)
        tail = s.log_tail()
        assert "image write" in tail and "map full" in tail, tail
        zk.stop()
        zk.close()

        s.restart()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        assert zk.get("/before")[0] == b"safe"
        for i in range(20):
            assert zk.get("/fill-%d" % i)[0] == value
        for i in range(20):
            zk.delete("/fill-%d" % i)
        zk.create("/after", b"fits")
        zk.stop()
        zk.close()

        s.restart()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        assert zk.get("/before")[0] == b"safe"
        assert zk.get("/after")[0] == b"fits"
        assert zk.exists("/fill-0") is None
        zk.stop()
        zk.close()
    finally:
        s.cleanup()


def _word(port, word):
    return harness.four_letter("127.0.0.1", port, word, timeout=5)


def _srvr(port):
    try:
        return _word(port, b"srvr")
    except OSError:
        return ""


def test_reconfig_enabled_answers_unimplemented_on_a_standalone_server():
    s = harness.Server(rookeryd_extra_config=["reconfig_enabled = true"])
    try:
        s.start()
        raw = zkwire.open_session(s.host, s.port)
        try:
            reply = raw.reconfig(joining="server.2=127.0.0.1:2888:3888;2182")
            assert reply.err == zkwire.UNIMPLEMENTED
            # Unlike an unknown opcode, this is an answer: the session carries on.
            assert raw.exists("/zookeeper/config")[0].err == 0
        finally:
            raw.close()
    finally:
        s.cleanup()


def test_disk_full_refuses_writes_loses_nothing_and_recovers():
    # A file-size limit stands in for a full disk: no file can grow past it, so the log's
    # segment (grown in steps of 1 MiB here) runs out of room.
    s = harness.Server(rookeryd_extra_config=["[storage]", "log_preallocate_mb = 1"])
    s.file_size_limit = 3 << 20
    try:
        s.start()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        zk.create("/before", b"safe")
        value = b"y" * 100_000
        written, refused = fill_until_refused(zk, value, attempts=100)
        assert isinstance(refused, SystemZookeeperError), repr(refused)
        assert written >= 1
        assert zk.exists("/fill-%d" % written) is None
        assert zk.get("/before")[0] == b"safe"  # reads go on
        assert "refused" in s.log_tail()
        zk.stop()
        zk.close()

        s.file_size_limit = None
        s.restart()
        zk = KazooClient(hosts=s.connect_string, timeout=10)
        zk.start(timeout=10)
        assert zk.get("/before")[0] == b"safe"
        for i in range(written):
            assert zk.get("/fill-%d" % i)[0] == value
        assert zk.exists("/fill-%d" % written) is None
        zk.create("/after", b"room again")
        assert zk.get("/after")[0] == b"room again"
        zk.stop()
        zk.close()
    finally:
        s.cleanup()
