#!/usr/bin/python3
"""A tour of Rookery with an unchanged ZooKeeper client (kazoo): persistent, sequential and
ephemeral nodes, a data watch, a child watch and a transaction, printed as they happen.
Then it keeps updating a value and printing the watch events until Ctrl-C."""
import argparse
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", default="127.0.0.1:2181")
    parser.add_argument("--once", action="store_true", help="stop after the tour")
    args = parser.parse_args()

    zk = KazooClient(hosts=args.servers, timeout=10)
    zk.start(timeout=15)
    print("connected: session 0x%x" % zk.client_id[0])

    zk.ensure_path("/demo/members")
    try:
        zk.create("/demo/config", b"colour=blue")
        print("created /demo/config = colour=blue")
    except NodeExistsError:
        zk.set("/demo/config", b"colour=blue")
        print("/demo/config exists; set it to colour=blue")

    changes = threading.Event()

    @zk.DataWatch("/demo/config")
    def on_config(data, stat, event):
        if event is not None:
            print("watch: %s on %s -> %r (version %d)" % (event.type, event.path, data, stat.version))
            changes.set()

    @zk.ChildrenWatch("/demo/members")
    def on_members(children):
        print("members now: %s" % sorted(children))

    zk.set("/demo/config", b"colour=green")
    changes.wait(5)

    me = zk.create("/demo/members/worker-", b"", ephemeral=True, sequence=True, makepath=True)
    print("joined as ephemeral sequential %s (owner 0x%x)" % (me, zk.exists(me).ephemeralOwner))
    other = KazooClient(hosts=args.servers, timeout=10)
    other.start(timeout=15)
    theirs = other.create("/demo/members/worker-", b"", ephemeral=True, sequence=True)
    print("a second session joined as %s" % theirs)
    other.stop()
    other.close()
    print("the second session closed: its ephemeral %s is gone: %s" % (theirs, zk.exists(theirs) is None))

    tx = zk.transaction()
    tx.create("/demo/tx-a", b"1")
    tx.create("/demo/tx-b", b"2")
    tx.check("/demo/config", 1)
    print("transaction results: %s" % tx.commit())
    zk.delete("/demo/tx-a")
    zk.delete("/demo/tx-b")

    if args.once:
        zk.stop()
        zk.close()
        return
    print("updating /demo/config every 2 s; Ctrl-C stops")
    n = 0
    try:
        while True:
            time.sleep(2)
            n += 1
            zk.set("/demo/config", ("colour=%d" % n).encode())
    except KeyboardInterrupt:
        pass
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    main()
