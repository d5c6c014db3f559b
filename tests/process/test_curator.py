"""Apache Curator 5.4 (Debian's libcurator-*-java) against the server: framework and recipes.

Runs tests/process/curator/CuratorSmoke.java with Java's single-source launcher (no build step)
against a harness server; the program prints one line per check and exits non-zero on any failure.
"""

import os
import shutil
import subprocess
import time

import pytest

CURATOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "curator")
SMOKE_SOURCE = os.path.join(CURATOR_DIR, "CuratorSmoke.java")
JAVA_DIR = "/usr/share/java"
# Installed by scripts/install-deps.sh (libcurator-framework-java, libcurator-recipes-java and
# their dependencies zookeeper, guava, slf4j).
REQUIRED_JARS = ["curator-recipes.jar", "curator-framework.jar", "curator-client.jar",
                 "zookeeper.jar", "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar"]
# slf4j-simple (from libslf4j-java) shows Curator's/ZooKeeper's warnings and errors on stderr and
# keeps the rest quiet; without it slf4j prints a "no binding" notice and logs nothing.
OPTIONAL_JARS = ["slf4j-simple.jar"]
RUN_TIMEOUT = 150  # the program's own watchdog fires at 110 s

# Debian's OpenJDK 17 (via the zookeeper package); the single-source launcher needs Java 11+.
JAVA = "/usr/bin/java" if os.access("/usr/bin/java", os.X_OK) else (shutil.which("java") or "java")
MISSING = [j for j in REQUIRED_JARS if not os.path.exists(os.path.join(JAVA_DIR, j))]


@pytest.mark.skipif(bool(MISSING), reason="Curator jars missing from %s: %s "
                    "(run scripts/install-deps.sh)" % (JAVA_DIR, ", ".join(MISSING)))
@pytest.mark.skipif(not shutil.which(JAVA), reason="java not installed")
def test_curator_framework_and_recipes(server):
    jars = REQUIRED_JARS + [j for j in OPTIONAL_JARS if os.path.exists(os.path.join(JAVA_DIR, j))]
    classpath = ":".join(os.path.join(JAVA_DIR, j) for j in jars)
    argv = [JAVA, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            "-cp", classpath, SMOKE_SOURCE, server.connect_string, "/curator_smoke"]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT, cwd=CURATOR_DIR)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail("CuratorSmoke did not finish within %ds; output:\n%s\n--- %s log tail ---\n%s"
                    % (RUN_TIMEOUT, out, server.kind, server.log_tail()))
    elapsed = time.monotonic() - t0
    print("CuratorSmoke against %s finished in %.1fs:\n%s" % (server.kind, elapsed, p.stdout))
    assert p.returncode == 0, ("CuratorSmoke exited %d after %.1fs; output:\n%s\n--- %s log tail ---\n%s"
                               % (p.returncode, elapsed, p.stdout, server.kind, server.log_tail()))
    assert "PASS all Curator checks" in p.stdout, p.stdout
