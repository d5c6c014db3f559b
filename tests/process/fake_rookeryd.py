#!/usr/bin/python3
"""Test double for checking the suite itself: accepts `rookeryd --config <file>`, reads the TOML
the harness writes and execs a real ZooKeeper 3.8.0 with equivalent settings (same PID).

    ROOKERYD=tests/process/fake_rookeryd.py /usr/bin/python3 -m pytest -q tests/process

exercises the harness's rookeryd code path; the tests that then fail are exactly the ones that
assert 3.9 behaviour where 3.8.0 differs (spec section 0): test_multi_raw_results,
test_top_level_check, test_permission_required_per_operation[READ], test_notification_zxid,
test_remove_persistent_watches.
"""
import os
import sys
import tomllib

cfg_path = sys.argv[sys.argv.index("--config") + 1]
with open(cfg_path, "rb") as f:
    cfg = tomllib.load(f)
host, port = cfg["client_address"].rsplit(":", 1)
root = os.path.dirname(cfg_path)
words = cfg["four_letter_words"]
lines = [
    "dataDir=" + cfg["data_dir"], "clientPort=" + port, "clientPortAddress=" + host,
    "tickTime=%d" % cfg["tick_time_ms"], "admin.enableServer=false",
    "maxClientCnxns=%d" % cfg.get("max_connections_per_address", 0),
    "4lw.commands.whitelist=" + (words if words == "*" else ",".join(words)),
]
for key, zk_key in (("min_session_timeout_ms", "minSessionTimeout"),
                    ("max_session_timeout_ms", "maxSessionTimeout")):
    if key in cfg:
        lines.append("%s=%d" % (zk_key, cfg[key]))
zoo_cfg = os.path.join(root, "fake-zoo.cfg")
with open(zoo_cfg, "w") as f:
    f.write("\n".join(lines) + "\n")
jvm = ["-Dzookeeper.extendedTypesEnabled=%s" % str(cfg.get("ttl_nodes_enabled", False)).lower(),
       "-Dznode.container.checkIntervalMs=%d" % cfg.get("container_check_interval_ms", 60000),
       "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
if "super_digest" in cfg:
    jvm.append("-Dzookeeper.DigestAuthenticationProvider.superDigest=" + cfg["super_digest"])
env = dict(os.environ, SERVER_JVMFLAGS=" ".join(jvm), JMXDISABLE="true")
os.execve("/usr/share/zookeeper/bin/zkServer.sh", ["zkServer.sh", "start-foreground", zoo_cfg], env)
