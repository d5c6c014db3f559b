"""rookeryd's log on disk: segment files under data/log that a power cut can leave with a torn
last record, that damage can hit, and that are deleted once the image covers them."""

import os
import zlib

import pytest
from kazoo.client import KazooClient

import harness

pytestmark = pytest.mark.skipif(harness.server_kind() != "rookeryd", reason="rookeryd's own log files")

VALUE = b"v" * 100_000
SECTOR = 512  # a disk writes a sector whole or not at all


def small_segments_server():
    # 1 MiB segments, so ten 100 kB writes fill one; the image only every 1000 txns, so the
    # log is what restart replays.
    return harness.Server(rookeryd_extra_config=[
        "[storage]", "log_segment_mb = 1", "log_preallocate_mb = 1", "snapshot_every_txns = 1000"])


def segments(server):
    log_dir = os.path.join(server.data_dir, "log")
    return sorted(os.path.join(log_dir, name) for name in os.listdir(log_dir) if name.startswith("log."))


def connect(server):
    zk = KazooClient(hosts=server.connect_string, timeout=10)
    zk.start(timeout=15)
    return zk


def write_values(server, first, count):
    zk = connect(server)
    try:
        for i in range(first, first + count):
            zk.create("/n-%d" % i, VALUE)
    finally:
        zk.stop()
        zk.close()


def check_values(server, count):
    zk = connect(server)
    try:
        for i in range(count):
            assert zk.get("/n-%d" % i)[0] == VALUE, "/n-%d" % i
    finally:
        zk.stop()
        zk.close()


SEGMENT_HEADER = 16
RECORD_HEADER = 20


def valid_end(path):
    """Offset just past the last complete record (16-byte segment header; records are length
    u32, zxid i64, crc32 of the payload, crc32 of the 16 header bytes before it, payload)."""
    with open(path, "rb") as f:
        data = f.read()
    at = SEGMENT_HEADER
    while at + RECORD_HEADER <= len(data):
        length = int.from_bytes(data[at:at + 4], "little")
        if length == 0 or at + RECORD_HEADER + length > len(data):
            break
        at += RECORD_HEADER + length
    return at


def record(zxid, payload):
    header = len(payload).to_bytes(4, "little") + zxid.to_bytes(8, "little") + \
        zlib.crc32(payload).to_bytes(4, "little")
    return header + zlib.crc32(header).to_bytes(4, "little") + payload


def test_a_torn_last_record_is_cut_off_and_nothing_acknowledged_is_lost():
    s = small_segments_server()
    try:
        s.start()
        write_values(s, 0, 25)
        s.kill9()
        # What a power cut during the next write leaves: the first sector of a record after
        # the last one landed, the next did not (it stays zeros, as preallocated).
        newest = segments(s)[-1]
        end = valid_end(newest)
        landed = SECTOR - end % SECTOR
        if landed < RECORD_HEADER:
            landed += SECTOR
        with open(newest, "r+b") as f:
            f.seek(end)
            f.write(record(1 << 40, b"\x5a" * (landed + 300))[:landed])
        s.start()
        assert "torn record" in s.log_tail()
        check_values(s, 25)
        # The log goes on from the cut, and what it takes next survives a restart.
        write_values(s, 25, 3)
        s.restart()
        check_values(s, 28)
    finally:
        s.cleanup()


def check_start_refused_after(damage, message):
    """Writes 25 values, stops the server, lets damage() change its segment files, and checks
    that the next start exits 1 with a log line containing message."""
    s = small_segments_server()
    try:
        s.start()
        write_values(s, 0, 25)
        s.stop()
        damage(segments(s))
        with pytest.raises(RuntimeError):
            s.start()
        assert s.proc.wait(10) == 1
        assert message in s.log_tail()
    finally:
        s.cleanup()


def test_damage_before_the_last_record_stops_the_start_with_an_error():
    def flip_a_byte_in_the_first_segment(files):
        assert len(files) >= 2
        with open(files[0], "r+b") as f:
            f.seek(SEGMENT_HEADER + RECORD_HEADER + 500)  # inside the first record's payload
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))

    check_start_refused_after(flip_a_byte_in_the_first_segment, "damaged record")


def test_a_missing_segment_stops_the_start_instead_of_skipping_its_writes():
    def remove_a_middle_segment(files):
        assert len(files) >= 3
        os.remove(files[1])

    check_start_refused_after(remove_a_middle_segment, "records are missing")


def test_segments_the_image_covers_are_deleted():
    s = harness.Server(rookeryd_extra_config=[
        "[storage]", "log_segment_mb = 1", "log_preallocate_mb = 1", "snapshot_every_txns = 5"])
    try:
        s.start()
        write_values(s, 0, 60)  # about 6 MB of log: six segments without deletion
        assert len(segments(s)) <= 2, segments(s)
        s.restart()
        check_values(s, 60)
    finally:
        s.cleanup()
