"""Process-level harness: starts rookeryd or Apache ZooKeeper on 127.0.0.1 for tests.

Server kind: env ROOKERY_TEST_SERVER = "rookeryd" (default) or "zookeeper".
rookeryd binary: env ROOKERYD (default <repo>/build/apps/rookeryd/rookeryd).

Each Server owns a fresh temp dir (config, log, data dir) and a free port. It is stopped by
its own PID only (SIGTERM, then SIGKILL after a bounded wait) and its dir is removed on cleanup
(set ROOKERY_TEST_KEEP=1 to keep the dirs, e.g. to read server.log after a failure).

    s = Server(tick_ms=200)        # or Server(kind="zookeeper", four_letter_words=["ruok"])
    s.start()                      # bounded wait until `ruok` answers `imok`
    s.connect_string               # "127.0.0.1:<port>"
    s.four_letter("mntr")          # raw-socket 4lw, returns the text
    s.restart(); s.kill9(); s.start()
    s.cleanup()                    # stop + remove the temp dir
"""

import atexit
import base64
import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZK_BIN_DIR = "/usr/share/zookeeper/bin"
ZK_SERVER_SH = os.path.join(ZK_BIN_DIR, "zkServer.sh")
ZK_CLI_SH = os.path.join(ZK_BIN_DIR, "zkCli.sh")
ZK_C_CLI = "/usr/lib/zookeeper/bin/cli_mt"

SUPER_USER = "super"
SUPER_PASSWORD = "superpw"

_LIVE = set()


def server_kind():
    kind = os.environ.get("ROOKERY_TEST_SERVER", "rookeryd").strip().lower()
    if kind not in ("rookeryd", "zookeeper"):
        raise ValueError("ROOKERY_TEST_SERVER must be 'rookeryd' or 'zookeeper', got %r" % kind)
    return kind


def rookeryd_path():
    path = os.environ.get("ROOKERYD") or os.path.join(REPO_ROOT, "build", "apps", "rookeryd",
                                                      "rookeryd")
    return os.path.abspath(path)  # the server runs with its temp dir as cwd


def digest(user, password):
    """ZooKeeper digest: user:base64(sha1(user:password))."""
    h = hashlib.sha1(("%s:%s" % (user, password)).encode("utf-8")).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode("ascii"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def four_letter(host, port, word, timeout=10.0):
    """Sends a 4lw on a fresh connection; returns everything the server wrote before closing."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode("ascii") if isinstance(word, str) else word)
        chunks = []
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
            if time.monotonic() > deadline:
                raise socket.timeout("4lw %r did not finish within %ss" % (word, timeout))
        return b"".join(chunks).decode("utf-8", "replace")


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Polls predicate until truthy; returns its value or fails after a bounded wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, message))
        time.sleep(interval)


class Server:
    """A single server process. Use start()/stop()/restart()/kill9()/cleanup()."""

    def __init__(self, kind=None, tick_ms=200, four_letter_words="*", super_digest=True,
                 container_check_ms=200, min_session_timeout_ms=None, max_session_timeout_ms=None,
                 max_connections_per_address=None, ttl_enabled=True, start_timeout=60.0,
                 rookeryd_extra_config=()):
        self.kind = kind or server_kind()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tick_ms = tick_ms
        self.four_letter_words = four_letter_words
        if super_digest is True:
            super_digest = digest(SUPER_USER, SUPER_PASSWORD)
        self.super_digest = super_digest or None
        self.container_check_ms = container_check_ms
        self.min_session_timeout_ms = min_session_timeout_ms
        self.max_session_timeout_ms = max_session_timeout_ms
        self.max_connections_per_address = max_connections_per_address
        self.ttl_enabled = ttl_enabled
        self.start_timeout = start_timeout
        # TOML lines appended to rookeryd's config (e.g. a [storage] table); rookeryd only.
        self.rookeryd_extra_config = list(rookeryd_extra_config)
        # RLIMIT_FSIZE for the next start (bytes; None: unlimited): a disk that fills up.
        self.file_size_limit = None
        self.root = tempfile.mkdtemp(prefix="rookery-%s-" % self.kind)
        self.data_dir = os.path.join(self.root, "data")
        os.makedirs(self.data_dir)
        self.log_path = os.path.join(self.root, "server.log")
        self.proc = None
        self._log = None
        self._cleaned = False
        _LIVE.add(self)

    # -- public API ----------------------------------------------------------------------------
    @property
    def is_zookeeper(self):
        return self.kind == "zookeeper"

    @property
    def connect_string(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def min_session_timeout(self):
        return self.min_session_timeout_ms or 2 * self.tick_ms

    def max_session_timeout(self):
        return self.max_session_timeout_ms or 20 * self.tick_ms

    def four_letter(self, word, timeout=10.0):
        return four_letter(self.host, self.port, word, timeout)

    def start(self):
        """Starts the server and waits until it serves. On the very first start a lost race for
        the port (the process exits during startup) is retried on a new port."""
        attempts = 3 if self.proc is None else 1
        for attempt in range(attempts):
            try:
                return self._start_once()
            except RuntimeError:
                exited = self.proc is not None and self.proc.poll() is not None
                if attempt + 1 == attempts or not exited:
                    raise
                self.proc = None
                self.port = free_port()

    def _start_once(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running (pid %d)" % self.proc.pid)
        if self.is_zookeeper:
            argv, env = self._zookeeper_command()
        else:
            argv, env = self._rookeryd_command()
        self._log = open(self.log_path, "ab")
        self._log.write(("\n==== start %s ====\n" % time.strftime("%H:%M:%S")).encode())
        self._log.flush()
        limit = self.file_size_limit

        def limit_file_size():
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=self.root,
                                     start_new_session=True, preexec_fn=limit_file_size)
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, timeout=15.0):
        """Graceful stop by PID (SIGTERM, then SIGKILL if it does not exit in time)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._close_log()

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def restart(self):
        """Stop and start again on the same port and data dir."""
        self.stop()
        return self.start()

    def cleanup(self):
        if self._cleaned:
            return
        self.stop()
        _LIVE.discard(self)
        if os.environ.get("ROOKERY_TEST_KEEP") != "1":
            shutil.rmtree(self.root, ignore_errors=True)
        self._cleaned = True

    def log_tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- internals --------------------------------------------------------------------------------
    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def _whitelist(self):
        if self.four_letter_words == "*":
            return "*"
        return ",".join(self.four_letter_words)

    def _rookeryd_command(self):
        binary = rookeryd_path()
        if not os.access(binary, os.X_OK):
            raise RuntimeError("rookeryd binary not found or not executable: %s "
                               "(set ROOKERYD or build it)" % binary)
        cfg = os.path.join(self.root, "rookeryd.toml")
        lines = [
            'data_dir = "%s"' % self.data_dir,
            'client_address = "%s:%d"' % (self.host, self.port),
            "tick_time_ms = %d" % self.tick_ms,
        ]
        if self.four_letter_words == "*":
            lines.append('four_letter_words = "*"')
        else:
            lines.append("four_letter_words = [%s]" %
                         ", ".join('"%s"' % w for w in self.four_letter_words))
        lines.append("ttl_nodes_enabled = %s" % ("true" if self.ttl_enabled else "false"))
        lines.append("container_check_interval_ms = %d" % self.container_check_ms)
        if self.super_digest:
            lines.append('super_digest = "%s"' % self.super_digest)
        if self.min_session_timeout_ms:
            lines.append("min_session_timeout_ms = %d" % self.min_session_timeout_ms)
        if self.max_session_timeout_ms:
            lines.append("max_session_timeout_ms = %d" % self.max_session_timeout_ms)
        if self.max_connections_per_address is not None:
            lines.append("max_connections_per_address = %d" % self.max_connections_per_address)
        lines.append('log_level = "info"')
        lines.extend(self.rookeryd_extra_config)
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [binary, "--config", cfg], dict(os.environ)

    def _zookeeper_command(self):
        cfg = os.path.join(self.root, "zoo.cfg")
        lines = [
            "dataDir=%s" % self.data_dir,
            "clientPort=%d" % self.port,
            "clientPortAddress=%s" % self.host,
            "tickTime=%d" % self.tick_ms,
            "admin.enableServer=false",
            "4lw.commands.whitelist=%s" % self._whitelist(),
            # keep the snapshot/log purge and the connection cap out of the way
            "maxClientCnxns=%d" % (self.max_connections_per_address
                                   if self.max_connections_per_address is not None else 0),
        ]
        if self.min_session_timeout_ms:
            lines.append("minSessionTimeout=%d" % self.min_session_timeout_ms)
        if self.max_session_timeout_ms:
            lines.append("maxSessionTimeout=%d" % self.max_session_timeout_ms)
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        jvm = [
            "-Dzookeeper.extendedTypesEnabled=%s" % ("true" if self.ttl_enabled else "false"),
            "-Dznode.container.checkIntervalMs=%d" % self.container_check_ms,
            "-Dzookeeper.log.dir=%s" % self.root,
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        ]
        if self.super_digest:
            jvm.append("-Dzookeeper.DigestAuthenticationProvider.superDigest=%s" % self.super_digest)
        env = dict(os.environ)
        env.update({
            "SERVER_JVMFLAGS": " ".join(jvm),
            "ZOO_LOG_DIR": self.root,
            "JMXDISABLE": "true",
        })
        return [ZK_SERVER_SH, "start-foreground", cfg], env

    def _wait_ready(self):
        """Bounded wait until `ruok` answers `imok` and the server says it is serving."""
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during startup; log tail:\n%s"
                                   % (self.kind, self.proc.returncode, self.log_tail()))
            try:
                if self.four_letter("ruok", timeout=2.0) == "imok":
                    srvr = self.four_letter("srvr", timeout=2.0)
                    if "not currently serving" not in srvr:
                        return
                    last = srvr
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise RuntimeError("%s did not answer ruok within %.0fs (last: %r); log tail:\n%s"
                           % (self.kind, self.start_timeout, last, self.log_tail()))


@atexit.register
def _stop_all():
    for s in list(_LIVE):
        try:
            s.cleanup()
        except Exception:
            pass
