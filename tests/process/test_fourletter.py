"""Four-letter words: output shapes (spec 13)."""

import re

import pytest

import harness
import zkwire as W

CLASSIC_MNTR_KEYS = [
    "zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
    "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests", "zk_znode_count",
    "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
    "zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_uptime",
    "zk_global_sessions", "zk_local_sessions",
]
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE]-?\d+)?$")


def kv_lines(text, sep):
    out = {}
    for line in text.splitlines():
        if sep in line:
            k, v = line.split(sep, 1)
            out[k] = v
    return out


def srvr_fields(text):
    return kv_lines(text, ": ")


@pytest.fixture(scope="module")
def restricted_server():
    s = harness.Server(four_letter_words=["ruok"])
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


def test_fresh_server_srvr(fresh_server):
    out = fresh_server.four_letter("srvr")
    f = srvr_fields(out)
    assert f["Node count"] == "5"  # 4 znodes + the root counted twice
    assert f["Mode"] == "standalone"
    assert f["Zxid"] == "0x0"


def test_ruok_isro(server):
    assert server.four_letter("ruok") == "imok"
    assert server.four_letter("isro") == "rw"


def test_srvr_shape_and_counts(server, zk, path):
    out = server.four_letter("srvr")
    lines = out.splitlines()
    assert re.match(r"^Zookeeper version: \d+\.\d+\.\d+[-,]", lines[0]), lines[0]
    f = srvr_fields(out)
    assert re.match(r"^\d+/\d+(\.\d+)?/\d+$", f["Latency min/avg/max"])
    for key in ("Received", "Sent", "Connections", "Outstanding", "Node count"):
        assert re.match(r"^\d+$", f[key]), key
    assert int(f["Connections"]) >= 2  # kazoo + this 4lw connection
    assert f["Mode"] == "standalone"
    assert re.match(r"^0x[0-9a-f]+$", f["Zxid"])
    nodes_before = int(f["Node count"])

    zk.create(path)
    zk.create(path + "/a")
    _, st = zk.create(path + "/b", include_data=True)
    f = srvr_fields(server.four_letter("srvr"))
    assert int(f["Node count"]) == nodes_before + 3
    assert int(f["Zxid"], 16) == st.czxid  # the last transaction


def test_stat_lists_clients(server, zk):
    out = server.four_letter("stat")
    lines = out.splitlines()
    assert lines[0].startswith("Zookeeper version: ")
    assert lines[1] == "Clients:"
    idx = 2
    client_re = re.compile(r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$")
    while lines[idx] != "":
        assert client_re.match(lines[idx]), lines[idx]
        idx += 1
    assert idx >= 4  # at least the kazoo client and ourselves
    rest = srvr_fields("\n".join(lines[idx + 1:]))
    assert "Latency min/avg/max" in rest and rest["Mode"] == "standalone"
    assert "Node count" in rest


def test_mntr(server, zk, path):
    zk.create(path, ephemeral=True)
    out = server.four_letter("mntr")
    lines = out.splitlines()
    assert lines[0].startswith("zk_version\t")
    assert lines[1] == "zk_server_state\tstandalone"
    kv = kv_lines(out, "\t")
    for key in CLASSIC_MNTR_KEYS:
        assert key in kv, key
        assert NUMBER.match(kv[key]), (key, kv[key])
    assert int(kv["zk_ephemerals_count"]) >= 1
    assert int(kv["zk_num_alive_connections"]) >= 1
    assert int(kv["zk_znode_count"]) >= 6
    assert int(kv["zk_global_sessions"]) >= 1
    f = srvr_fields(server.four_letter("srvr"))
    assert abs(int(kv["zk_znode_count"]) - int(f["Node count"])) <= 1


def test_conf(server):
    kv = kv_lines(server.four_letter("conf"), "=")
    assert kv["clientPort"] == str(server.port)
    assert kv["tickTime"] == str(server.tick_ms)
    assert kv["minSessionTimeout"] == str(server.min_session_timeout())
    assert kv["maxSessionTimeout"] == str(server.max_session_timeout())
    for key in ("dataDir", "dataLogDir", "maxClientCnxns", "serverId"):
        assert key in kv, key
    assert kv["dataDir"].startswith(server.data_dir)


def test_cons(server, zk):
    sid = zk.client_id[0]
    out = server.four_letter("cons")
    assert out.endswith("\n\n")
    lines = out.splitlines()
    mine = [l for l in lines if "sid=0x%x," % sid in l]
    assert len(mine) == 1, out
    assert re.match(r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,"
                    r"lop=\w+,est=\d+,to=\d+,", mine[0]), mine[0]
    assert "to=%d," % server.max_session_timeout() in mine[0]


def test_envi(server, zk):
    out = server.four_letter("envi")
    lines = out.splitlines()
    assert lines[0] == "Environment:"
    kv = kv_lines(out, "=")
    assert re.match(r"^\d+\.\d+\.\d+", kv["zookeeper.version"])
    for key in ("host.name", "os.name"):
        assert key in kv, key
    if server.is_zookeeper:
        assert "java.version" in kv
    version = zk.server_version()  # kazoo parses envi
    assert len(version) >= 2 and all(isinstance(x, int) for x in version)
    if server.is_zookeeper:
        assert version[:2] == (3, 8)


def test_watch_words(server, make_raw, path):
    raw = make_raw()
    raw.create(path)
    raw.exists(path, watch=True)
    raw.get_children(path, watch=True)
    raw.add_watch(path + "/rec", W.ADD_WATCH_PERSISTENT_RECURSIVE)
    sid = "0x%x" % raw.session_id

    m = re.match(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n$",
                 server.four_letter("wchs"))
    assert m, server.four_letter("wchs")
    assert int(m.group(1)) >= 1 and int(m.group(2)) >= 2 and int(m.group(3)) >= 2

    wchc = server.four_letter("wchc")
    block = wchc.split(sid + "\n", 1)
    assert len(block) == 2, wchc
    mine = []
    for line in block[1].splitlines():
        if not line.startswith("\t"):
            break
        mine.append(line[1:])
    assert sorted(mine) == sorted([path, path + "/rec"])

    wchp = server.four_letter("wchp")
    assert (path + "\n\t" + sid + "\n") in wchp
    assert (path + "/rec\n\t" + sid + "\n") in wchp


def test_dump(server, make_raw, path):
    raw = make_raw()
    raw.create(path, flags=W.EPHEMERAL)
    out = server.four_letter("dump")
    assert out.startswith("SessionTracker dump:\n")
    assert "ephemeral nodes dump:\n" in out
    assert re.search(r"Sessions with Ephemerals \(\d+\):\n", out)
    sid = "0x%x" % raw.session_id
    eph_part = out.split("ephemeral nodes dump:", 1)[1]
    assert re.search(re.escape(sid) + r":\n(\t.*\n)*\t" + re.escape(path) + r"\n", eph_part), out
    assert sid in out.split("ephemeral nodes dump:", 1)[0]


def test_dirs_and_resets(server, zk, path):
    zk.create(path, b"logged")
    out = server.four_letter("dirs")
    m = re.match(r"^datadir_size: (\d+)\nlogdir_size: (\d+)\n$", out)
    assert m, out
    # The image and the log, counted apart: after a write both hold something.
    assert int(m.group(1)) > 0 and int(m.group(2)) > 0, out
    assert server.four_letter("crst") == "Connection stats reset.\n"
    assert server.four_letter("srst") == "Server stats reset.\n"


def test_trace_mask_words(server):
    # Rookery has no trace mask, so gtmk is an unknown word there: the connection is closed
    # without output and the server carries on.
    if server.is_zookeeper:
        assert re.match(r"^\d+$", server.four_letter("gtmk"))
    else:
        assert server.four_letter("gtmk") == ""
        assert server.four_letter("ruok") == "imok"


def test_unknown_word_closes_silently(server):
    for _ in range(3):
        assert server.four_letter("xxxx") == ""
        # the server goes on accepting connections
        assert server.four_letter("ruok") == "imok"


def test_restricted_whitelist(restricted_server):
    s = restricted_server
    assert s.four_letter("ruok") == "imok"
    for word in ("stat", "mntr", "conf", "cons", "envi", "wchs", "dump", "isro"):
        assert s.four_letter(word) == \
            "%s is not executed because it is not in the whitelist.\n" % word
    # srvr is always enabled (zkServer.sh status relies on it)
    assert "Mode: standalone" in s.four_letter("srvr")


@pytest.mark.parametrize("half_close", [True, False], ids=["nc-N", "nc"])
def test_words_through_netcat(server, half_close):
    """What an operator types: `echo ruok | nc host port`, with and without -N (half-close)."""
    import subprocess

    argv = ["nc"] + (["-N"] if half_close else []) + ["-w", "5", server.host, str(server.port)]
    for word, expect in (("ruok", r"^imok$"), ("srvr", r"(?m)^Mode: standalone$"),
                         ("mntr", r"(?m)^zk_znode_count\t\d+$")):
        done = subprocess.run(argv, input=word + "\n", capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, (word, done.stderr)
        assert re.search(expect, done.stdout), (word, done.stdout)
