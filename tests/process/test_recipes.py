"""kazoo recipes under real contention: several clients, threads, bounded waits."""

import threading
import time

import pytest
from kazoo.exceptions import LockTimeout
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock, ReadLock, Semaphore, WriteLock
from kazoo.recipe.queue import LockingQueue, Queue

from harness import wait_until

JOIN_TIMEOUT = 30.0


def run_threads(targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: B902 - reported below
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t), daemon=True) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "threads still running after %ss" % JOIN_TIMEOUT
    if errors:
        raise errors[0]


def test_lock_two_clients_contend(make_client, path):
    a, b = make_client(), make_client()
    la = Lock(a, path + "/lock", "a")
    lb = Lock(b, path + "/lock", "b")
    assert la.acquire(timeout=5)
    with pytest.raises(LockTimeout):
        lb.acquire(timeout=0.5)
    assert la.contenders() == ["a"]
    got = threading.Event()

    def waiter():
        assert lb.acquire(timeout=15)
        got.set()

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    wait_until(lambda: la.contenders() == ["a", "b"], 10, message="b queued behind a")
    assert not got.wait(0.3)  # still held by a
    la.release()
    assert got.wait(10)
    t.join(5)
    assert lb.is_acquired
    lb.release()
    assert la.contenders() == []


def test_lock_mutual_exclusion_counter(make_client, path):
    """Read-modify-write with a deliberate gap: lost updates would show without mutual exclusion."""
    clients = [make_client() for _ in range(3)]
    clients[0].create(path + "/value", b"0", makepath=True)
    rounds = 5
    inside = []

    def worker(c, ident):
        def run():
            lock = Lock(c, path + "/lock", ident)
            for _ in range(rounds):
                assert lock.acquire(timeout=20)
                try:
                    inside.append(ident)
                    assert len(inside) == 1, "two holders at once: %r" % inside
                    v = int(c.get(path + "/value")[0])
                    time.sleep(0.01)
                    c.set(path + "/value", str(v + 1).encode())
                    inside.remove(ident)
                finally:
                    lock.release()
        return run

    run_threads([worker(c, "w%d" % i) for i, c in enumerate(clients)])
    assert int(clients[0].get(path + "/value")[0]) == rounds * len(clients)


def test_lock_released_when_holder_session_closes(make_client, path):
    a, b = make_client(), make_client()
    la = Lock(a, path, "a")
    assert la.acquire(timeout=5)
    lb = Lock(b, path, "b")
    with pytest.raises(LockTimeout):
        lb.acquire(timeout=0.3)
    a.stop()  # ephemeral lock node goes with the session
    assert lb.acquire(timeout=10)
    lb.release()


def test_read_write_locks_and_semaphore(make_client, path):
    a, b, c = make_client(), make_client(), make_client()
    r1 = ReadLock(a, path + "/rw", "r1")
    r2 = ReadLock(b, path + "/rw", "r2")
    w = WriteLock(c, path + "/rw", "w")
    assert r1.acquire(timeout=5)
    assert r2.acquire(timeout=5)  # readers share
    with pytest.raises(LockTimeout):
        w.acquire(timeout=0.5)
    r1.release()
    r2.release()
    assert w.acquire(timeout=10)
    with pytest.raises(LockTimeout):
        ReadLock(a, path + "/rw", "r3").acquire(timeout=0.5)
    w.release()

    s1 = Semaphore(a, path + "/sem", "s1", max_leases=2)
    s2 = Semaphore(b, path + "/sem", "s2", max_leases=2)
    s3 = Semaphore(c, path + "/sem", "s3", max_leases=2)
    assert s1.acquire(timeout=5) and s2.acquire(timeout=5)
    with pytest.raises(LockTimeout):
        s3.acquire(timeout=0.5)
    assert sorted(s1.lease_holders()) == ["s1", "s2"]
    s1.release()
    assert s3.acquire(timeout=10)
    s2.release()
    s3.release()


def test_election(make_client, path):
    clients = [make_client() for _ in range(3)]
    leaders = []
    current = []
    release = {i: threading.Event() for i in range(3)}
    elections = [Election(c, path, "cand%d" % i) for i, c in enumerate(clients)]

    def lead(i):
        current.append(i)
        assert len(current) == 1, "two leaders at once: %r" % current
        leaders.append(i)
        release[i].wait(20)
        current.remove(i)

    threads = []
    for i, e in enumerate(elections):
        t = threading.Thread(target=e.run, args=(lead, i), daemon=True)
        t.start()
        threads.append(t)
    for round_ in range(3):
        wait_until(lambda: len(leaders) == round_ + 1, 15, message="leader #%d" % (round_ + 1))
        if round_ == 0:
            wait_until(lambda: len(elections[0].contenders()) == 3, 10, message="3 contenders")
        time.sleep(0.2)
        assert len(leaders) == round_ + 1  # nobody else took over while the leader holds on
        release[leaders[-1]].set()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert sorted(leaders) == [0, 1, 2]


def test_barrier(make_client, path):
    a, b = make_client(), make_client()
    barrier_a = Barrier(a, path)
    barrier_a.create()
    assert Barrier(b, path).wait(timeout=0.5) is False
    result = []
    t = threading.Thread(target=lambda: result.append(Barrier(b, path).wait(timeout=15)),
                         daemon=True)
    t.start()
    time.sleep(0.2)
    assert result == []
    barrier_a.remove()
    t.join(15)
    assert result == [True]


def test_double_barrier(make_client, path):
    n = 3
    clients = [make_client() for _ in range(n)]
    entered = []
    left = []
    lock = threading.Lock()

    def party(c, i):
        def run():
            db = DoubleBarrier(c, path, n, identifier="p%d" % i)
            db.enter()
            with lock:
                entered.append(i)
            db.leave()
            with lock:
                left.append(i)
        return run

    # the last participant starts late: the others must wait in enter() until it arrives
    parties = [party(c, i) for i, c in enumerate(clients)]
    early = [threading.Thread(target=p, daemon=True) for p in parties[:-1]]
    for t in early:
        t.start()
    wait_until(lambda: len(clients[0].get_children(path)) == n - 1 if clients[0].exists(path)
               else False, 10, message="early parties registered")
    time.sleep(0.3)
    assert entered == [] and left == []
    run_threads([parties[-1]])
    for t in early:
        t.join(JOIN_TIMEOUT)
        assert not t.is_alive()
    assert sorted(entered) == list(range(n)) and sorted(left) == list(range(n))


def test_counter_concurrent(make_client, path):
    clients = [make_client() for _ in range(3)]
    per_client = 10

    def bump(c):
        def run():
            counter = Counter(c, path)
            for _ in range(per_client):
                counter += 1
        return run

    run_threads([bump(c) for c in clients])
    assert Counter(clients[0], path).value == per_client * len(clients)
    cf = Counter(clients[1], path + "-float", default=0.5)
    cf += 2.25
    cf -= 0.25
    assert Counter(clients[2], path + "-float", default=0.5).value == 2.5


def test_queue_fifo_and_priority(make_client, path):
    producer, consumer = make_client(), make_client()
    q = Queue(producer, path)
    for i in range(5):
        q.put(b"item%d" % i)
    q.put(b"urgent", priority=1)
    cq = Queue(consumer, path)
    assert len(cq) == 6
    got = [cq.get() for _ in range(6)]
    assert got == [b"urgent"] + [b"item%d" % i for i in range(5)]
    assert cq.get() is None


def test_queue_concurrent_consumers_get_each_item_once(make_client, path):
    producer = make_client()
    consumers = [make_client() for _ in range(3)]
    items = [b"x%02d" % i for i in range(30)]
    for it in items:
        Queue(producer, path).put(it)
    taken = []
    lock = threading.Lock()

    def consume(c):
        def run():
            q = Queue(c, path)
            while True:
                v = q.get()
                if v is None:
                    return
                with lock:
                    taken.append(v)
        return run

    run_threads([consume(c) for c in consumers])
    assert sorted(taken) == items


def test_locking_queue(make_client, path):
    producer = make_client()
    c1, c2 = make_client(), make_client()
    lq = LockingQueue(producer, path)
    lq.put_all([b"a", b"b"])
    lq.put(b"first", priority=1)
    q1 = LockingQueue(c1, path)
    q2 = LockingQueue(c2, path)
    assert q1.get(timeout=5) == b"first"
    assert q1.holds_lock()
    # the entry is locked by c1: c2 gets the next one
    assert q2.get(timeout=5) == b"a"
    assert q1.release()  # c1 gives its item back
    assert q2.consume()
    assert q2.get(timeout=5) == b"first"
    assert q2.consume()
    assert q1.get(timeout=5) == b"b"
    assert q1.consume()
    assert len(LockingQueue(producer, path)) == 0
    # a blocked get returns when an item arrives
    result = []
    t = threading.Thread(target=lambda: result.append(q2.get(timeout=15)), daemon=True)
    t.start()
    time.sleep(0.3)
    assert result == []
    lq.put(b"late")
    t.join(15)
    assert result == [b"late"]
    assert q2.consume()
    assert q1.get(timeout=0.3) is None
