// Apache Curator smoke test against a ZooKeeper-compatible server (rookeryd or Apache ZooKeeper).
//
// Run as a single source file (Java 11+, no build step), with Debian's Curator jars:
//   java -cp /usr/share/java/curator-recipes.jar:... CuratorSmoke.java 127.0.0.1:2181 [/base]
//
// Every check prints one line ("ok   <name> ..." or "FAIL <name>: ..."); the process exits 0 only
// when every check passed and no client saw an unexpected connection-state change or an unhandled
// error. All waits are bounded; a watchdog ends the process (exit 3) if the whole run overruns.
// tests/process/test_curator.py drives this against a harness server.

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEventType;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.atomic.PromotedToLock;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.Compatibility;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

public class CuratorSmoke {
    static final long WAIT_MS = 10_000;        // bound for any single wait
    static final long WATCHDOG_MS = 110_000;   // bound for the whole run

    final String connect;
    final String base;
    final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();
    final Set<String> closing = ConcurrentHashMap.newKeySet();
    final List<String> problems = new CopyOnWriteArrayList<>();  // seen by listeners
    final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "smoke-worker");
        t.setDaemon(true);
        return t;
    });
    int failures = 0;

    CuratorSmoke(String connect, String base) {
        this.connect = connect;
        this.base = base;
    }

    // ---- helpers -------------------------------------------------------------------------------
    interface Check {
        String run() throws Exception;
    }

    interface Cond {
        boolean test() throws Exception;
    }

    static final class CheckFailed extends RuntimeException {
        CheckFailed(String message) {
            super(message);
        }
    }

    static void check(boolean cond, String fmt, Object... args) {
        if (!cond) throw new CheckFailed(String.format(fmt, args));
    }

    static boolean waitFor(Cond cond, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            if (cond.test()) return true;
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
    }

    static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    static String s(byte[] data) {
        return data == null ? "null" : new String(data, UTF_8);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** Expects one specific exception type from op; returns it. */
    static <E extends Exception> E expectThrows(Class<E> type, String what, Cond op) throws Exception {
        try {
            op.test();
        } catch (Exception e) {
            if (type.isInstance(e)) return type.cast(e);
            throw new CheckFailed(what + ": expected " + type.getSimpleName() + ", got " + e);
        }
        throw new CheckFailed(what + ": expected " + type.getSimpleName() + ", but it succeeded");
    }

    CuratorFramework newClient(String name) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        c.getConnectionStateListenable().addListener((client, state) -> {
            if (state != ConnectionState.CONNECTED && !closing.contains(name))
                problems.add(name + ": unexpected connection state " + state);
        });
        c.getUnhandledErrorListenable().addListener((message, e) -> {
            if (!closing.contains(name)) problems.add(name + ": unhandled error: " + message + ": " + e);
        });
        clients.add(c);
        c.start();
        check(c.blockUntilConnected((int) (WAIT_MS / 1000), SECONDS),
              "%s: not connected within %d ms", name, WAIT_MS);
        return c;
    }

    void closeClient(String name, CuratorFramework c) {
        closing.add(name);
        c.close();
        clients.remove(c);
    }

    static long sessionId(CuratorFramework c) throws Exception {
        return c.getZookeeperClient().getZooKeeper().getSessionId();
    }

    void run(String name, Check check) {
        long t0 = System.nanoTime();
        String detail;
        try {
            detail = check.run();
        } catch (Throwable t) {
            failures++;
            String msg = t instanceof CheckFailed ? t.getMessage() : t.toString();
            System.out.println("FAIL " + name + ": " + msg);
            if (!(t instanceof CheckFailed)) t.printStackTrace(System.out);
            return;
        }
        System.out.printf("ok   %-18s %s (%d ms)%n", name, detail, (System.nanoTime() - t0) / 1_000_000);
    }

    // ---- checks --------------------------------------------------------------------------------
    CuratorFramework c1;
    CuratorFramework c2;

    String connectCheck() throws Exception {
        c1 = newClient("c1");
        c2 = newClient("c2");
        long s1 = sessionId(c1);
        long s2 = sessionId(c2);
        check(s1 != 0 && s2 != 0 && s1 != s2, "session ids %s %s", hex(s1), hex(s2));
        int timeout = c1.getZookeeperClient().getZooKeeper().getSessionTimeout();
        check(timeout > 0, "negotiated session timeout %d", timeout);
        check(c1.checkExists().forPath("/") != null, "exists(/) returned null");
        check(c1.checkExists().forPath(base) == null, "%s already exists", base);
        c1.create().forPath(base, b("smoke"));
        // Curator's EnsembleTracker reads (and watches) /zookeeper/config on every connect.
        byte[] config = c1.getConfig().forEnsemble();
        return "two clients, sessions " + hex(s1) + " " + hex(s2) + ", negotiated timeout " + timeout
                + " ms, getConfig " + (config == null ? "null" : config.length + " bytes");
    }

    String createCheck() throws Exception {
        String p = base + "/create/a/b/c";
        Stat st = new Stat();
        String created = c1.create().creatingParentsIfNeeded().storingStatIn(st).forPath(p, b("v0"));
        check(created.equals(p), "create returned %s", created);
        check(st.getCzxid() > 0 && st.getCzxid() == st.getMzxid() && st.getVersion() == 0
                && st.getDataLength() == 2 && st.getEphemeralOwner() == 0 && st.getNumChildren() == 0,
              "create2 stat looks wrong: %s", st);
        Stat again = c1.checkExists().forPath(p);
        check(st.equals(again), "create2 stat %s differs from exists() stat %s", st, again);
        Stat parent = c1.checkExists().forPath(base + "/create/a/b");
        check(parent != null && parent.getNumChildren() == 1 && parent.getEphemeralOwner() == 0,
              "parent stat %s", parent);
        check(s(c1.getData().forPath(base + "/create/a")).isEmpty(), "parent data not empty");
        expectThrows(KeeperException.NodeExistsException.class, "create existing node",
                     () -> c1.create().forPath(p) != null);
        // Already-existing parents are fine too.
        c1.create().creatingParentsIfNeeded().forPath(base + "/create/a/b/d");
        Stat bStat = new Stat();
        List<String> kids = c1.getChildren().storingStatIn(bStat).forPath(base + "/create/a/b");  // getChildren2
        check(kids.size() == 2 && bStat.getNumChildren() == 2 && bStat.getCversion() == 2,
              "getChildren2 of b: %s %s", kids, bStat);
        CountDownLatch synced = new CountDownLatch(1);
        AtomicInteger syncRc = new AtomicInteger(Integer.MIN_VALUE);
        c2.sync().inBackground((BackgroundCallback) (client, event) -> {
            if (event.getType() == CuratorEventType.SYNC) {
                syncRc.set(event.getResultCode());
                synced.countDown();
            }
        }).forPath(p);
        check(synced.await(WAIT_MS, MILLISECONDS) && syncRc.get() == 0, "sync: rc %d", syncRc.get());

        // Container parents: created as CONTAINER, removed by the server once emptied.
        String kid = base + "/containers/parent/kid";
        c1.create().creatingParentContainersIfNeeded().forPath(kid, b("k"));
        check(c1.checkExists().forPath(base + "/containers/parent") != null, "container parent missing");
        c1.delete().forPath(kid);
        boolean gone = waitFor(() -> c1.checkExists().forPath(base + "/containers/parent") == null,
                               WAIT_MS);
        check(gone, "emptied container %s/containers/parent still exists after %d ms", base, WAIT_MS);
        return "creatingParentsIfNeeded (create2 stat czxid " + hex(st.getCzxid())
                + "), container parents reaped when emptied";
    }

    String dataCheck() throws Exception {
        String p = base + "/data";
        c1.create().forPath(p, b("one"));
        Stat set1 = c1.setData().withVersion(0).forPath(p, b("two"));
        check(set1.getVersion() == 1, "setData(version 0) -> version %d", set1.getVersion());
        Stat got = new Stat();
        byte[] data = c2.getData().storingStatIn(got).forPath(p);
        check(s(data).equals("two") && got.getVersion() == 1 && got.getMzxid() == set1.getMzxid()
                && got.getDataLength() == 3, "getData -> %s %s", s(data), got);
        expectThrows(KeeperException.BadVersionException.class, "setData with stale version 0",
                     () -> c2.setData().withVersion(0).forPath(p, b("stale")) != null);
        check(s(c1.getData().forPath(p)).equals("two"), "stale setData changed the data");
        expectThrows(KeeperException.BadVersionException.class, "delete with stale version 0",
                     () -> { c2.delete().withVersion(0).forPath(p); return true; });
        Stat set2 = c2.setData().forPath(p, b("three"));  // version -1: unconditional
        check(set2.getVersion() == 2, "unconditional setData -> version %d", set2.getVersion());
        c1.delete().withVersion(2).forPath(p);
        check(c1.checkExists().forPath(p) == null, "node still exists after delete");
        expectThrows(KeeperException.NoNodeException.class, "getData on deleted node",
                     () -> c1.getData().forPath(p) != null);
        expectThrows(KeeperException.NoNodeException.class, "setData on deleted node",
                     () -> c1.setData().forPath(p, b("x")) != null);
        return "versions 0->1->2, stale setData/delete -> BadVersion, NoNode after delete";
    }

    String transactionCheck() throws Exception {
        String p = base + "/txn";
        c1.create().forPath(p, b("x"));  // version 0
        List<CuratorOp> failing = Arrays.asList(
                c1.transactionOp().create().forPath(p + "/t1", b("1")),
                c1.transactionOp().setData().forPath(p, b("changed")),
                c1.transactionOp().check().withVersion(5).forPath(p),
                c1.transactionOp().create().forPath(p + "/t2", b("2")));
        KeeperException ke = expectThrows(KeeperException.class, "transaction with a failing check",
                                          () -> c1.transaction().forOperations(failing) != null);
        check(ke.code() == KeeperException.Code.BADVERSION, "failing transaction threw %s", ke);
        List<Integer> codes = new ArrayList<>();
        if (ke.getResults() != null) {
            for (OpResult r : ke.getResults())
                codes.add(r instanceof OpResult.ErrorResult ? ((OpResult.ErrorResult) r).getErr() : null);
        }
        List<Integer> expectCodes = Arrays.asList(0, 0, KeeperException.Code.BADVERSION.intValue(),
                KeeperException.Code.RUNTIMEINCONSISTENCY.intValue());
        check(codes.equals(expectCodes), "failed multi results: error codes %s, expected %s", codes,
              expectCodes);
        Stat st = c1.checkExists().forPath(p);
        check(st.getVersion() == 0 && st.getNumChildren() == 0 && s(c1.getData().forPath(p)).equals("x"),
              "failed transaction was not rolled back: %s data=%s children=%s", st,
              s(c1.getData().forPath(p)), c1.getChildren().forPath(p));

        Collection<CuratorTransactionResult> results = c1.transaction().forOperations(Arrays.asList(
                c1.transactionOp().create().forPath(p + "/t1", b("1")),
                c1.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(p + "/s-"),
                c1.transactionOp().check().withVersion(0).forPath(p),
                c1.transactionOp().setData().withVersion(0).forPath(p, b("y")),
                c1.transactionOp().delete().forPath(p + "/t1")));
        List<String> got = new ArrayList<>();
        for (CuratorTransactionResult r : results) got.add(r.getType() + " " + r.getResultPath());
        check(results.size() == 5, "results %s", got);
        CuratorTransactionResult[] rs = results.toArray(new CuratorTransactionResult[0]);
        check(rs[0].getType() == OperationType.CREATE && rs[0].getResultPath().equals(p + "/t1"),
              "result 0: %s", got);
        check(rs[1].getType() == OperationType.CREATE && rs[1].getResultPath().matches(
                java.util.regex.Pattern.quote(p) + "/s-\\d{10}"), "result 1: %s", got);
        check(rs[2].getType() == OperationType.CHECK, "result 2: %s", got);
        check(rs[3].getType() == OperationType.SET_DATA && rs[3].getResultStat() != null
                && rs[3].getResultStat().getVersion() == 1, "result 3: %s stat %s", got,
              rs[3].getResultStat());
        check(rs[4].getType() == OperationType.DELETE, "result 4: %s", got);
        check(c1.checkExists().forPath(p + "/t1") == null && c1.getChildren().forPath(p).size() == 1
                && s(c1.getData().forPath(p)).equals("y"), "committed transaction state wrong");
        return "failing op rolled back all (codes " + codes + "), 5-op commit " + got;
    }

    String ephemeralCheck() throws Exception {
        String dir = base + "/eph";
        c1.create().forPath(dir);
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            made.add(c1.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/n-", b("e" + i)));
        String prefix = java.util.regex.Pattern.quote(dir + "/n-");
        long last = -1;
        for (String m : made) {
            check(m.matches(prefix + "\\d{10}"), "sequential name %s", m);
            long seq = Long.parseLong(m.substring(m.length() - 10));
            check(seq > last, "sequence numbers not increasing: %s", made);
            last = seq;
        }
        long sid = sessionId(c1);
        Stat st = c1.checkExists().forPath(made.get(0));
        check(st != null && st.getEphemeralOwner() == sid, "ephemeralOwner %s, session %s",
              st == null ? "?" : hex(st.getEphemeralOwner()), hex(sid));
        expectThrows(KeeperException.NoChildrenForEphemeralsException.class, "child of an ephemeral",
                     () -> c1.create().forPath(made.get(0) + "/kid") != null);
        // Curator's protected mode: "_c_<uuid>-" prefix, found again after the create.
        String prot = c1.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath(dir + "/p-", b("protected"));
        check(prot.matches(java.util.regex.Pattern.quote(dir) + "/_c_[0-9a-f-]{36}-p-\\d{10}"),
              "protected name %s", prot);
        // Another client's ephemerals go away when it closes its session; ours stay.
        CuratorFramework c3 = newClient("c3-eph");
        String other = c3.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/n-");
        check(Long.parseLong(other.substring(other.length() - 10)) > last, "sequence after %s: %s",
              made, other);
        closeClient("c3-eph", c3);
        check(waitFor(() -> c1.checkExists().forPath(other) == null, WAIT_MS),
              "ephemeral %s of a closed session still exists after %d ms", other, WAIT_MS);
        for (String m : made) check(c1.checkExists().forPath(m) != null, "%s vanished", m);
        check(c1.getChildren().forPath(dir).size() == 4, "children %s", c1.getChildren().forPath(dir));
        return "3 x EPHEMERAL_SEQUENTIAL " + made.get(0).substring(dir.length() + 1) + ".."
                + made.get(2).substring(dir.length() + 1) + ", protected mode, removed on session close";
    }

    String mutexCheck() throws Exception {
        String lockPath = base + "/lock";
        // Overlapping attempts: the held lock is not granted to the other client until released.
        InterProcessMutex m1 = new InterProcessMutex(c1, lockPath);
        InterProcessMutex m2 = new InterProcessMutex(c2, lockPath);
        check(m1.acquire(WAIT_MS, MILLISECONDS), "c1 could not acquire a free lock");
        check(!m2.acquire(300, MILLISECONDS), "c2 acquired the lock while c1 held it");
        AtomicBoolean held = new AtomicBoolean(true);
        Future<String> waiter = pool.submit(() -> {
            if (!m2.acquire(WAIT_MS, MILLISECONDS)) return "c2 never got the released lock";
            try {
                return held.get() ? "c2 got the lock while c1 still held it" : null;
            } finally {
                m2.release();
            }
        });
        Thread.sleep(300);
        check(!waiter.isDone(), "c2's blocking acquire returned while c1 held the lock: %s",
              waiter.isDone() ? waiter.get() : "");
        held.set(false);
        m1.release();
        String err = waiter.get(WAIT_MS, MILLISECONDS);
        check(err == null, "%s", err);

        // Contention: 2 threads per client, each 10 rounds of an unsafe read-sleep-write.
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicLong counter = new AtomicLong();
        int rounds = 10;
        List<Future<?>> workers = new ArrayList<>();
        for (CuratorFramework c : Arrays.asList(c1, c2, c1, c2)) {
            workers.add(pool.submit(() -> {
                InterProcessMutex m = new InterProcessMutex(c, lockPath);
                for (int i = 0; i < rounds; i++) {
                    if (!m.acquire(WAIT_MS, MILLISECONDS)) throw new CheckFailed("acquire timed out");
                    try {
                        if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
                        long v = counter.get();
                        Thread.sleep(2);
                        counter.set(v + 1);
                        inside.decrementAndGet();
                    } finally {
                        m.release();
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) w.get(60, SECONDS);
        check(overlaps.get() == 0, "%d overlapping lock holders", overlaps.get());
        check(counter.get() == 4 * rounds, "counter %d, expected %d (lost updates)", counter.get(),
              4 * rounds);
        List<String> left = c1.getChildren().forPath(lockPath);
        check(left.isEmpty(), "lock nodes left behind: %s", left);
        return "held lock refused (300 ms) and handed over on release; 4 threads x " + rounds
                + " rounds, counter " + counter.get() + ", no overlap";
    }

    String leaderCheck() throws Exception {
        String lp = base + "/leader";
        LeaderLatch a = new LeaderLatch(c1, lp, "a");
        LeaderLatch bl = new LeaderLatch(c2, lp, "b");
        LeaderLatch c = null;
        try {
            a.start();
            bl.start();
            check(waitFor(() -> a.hasLeadership() || bl.hasLeadership(), WAIT_MS),
                  "no leader after %d ms", WAIT_MS);
            Thread.sleep(200);
            check(a.hasLeadership() != bl.hasLeadership(), "both latches claim leadership");
            LeaderLatch leader = a.hasLeadership() ? a : bl;
            LeaderLatch follower = leader == a ? bl : a;
            check(waitFor(() -> a.getParticipants().size() == 2, WAIT_MS), "participants %s",
                  a.getParticipants());
            check(a.getLeader().getId().equals(leader.getId())
                    && bl.getLeader().getId().equals(leader.getId()),
                  "latches disagree on the leader: %s / %s, expected %s", a.getLeader().getId(),
                  bl.getLeader().getId(), leader.getId());
            String first = leader.getId();
            leader.close();
            check(follower.await(WAIT_MS, MILLISECONDS), "leadership did not move to %s after %s closed",
                  follower.getId(), first);
            // A third participant queues behind the new leader and takes over when it closes.
            c = new LeaderLatch(c1, lp, "c");
            c.start();
            LeaderLatch third = c;
            check(waitFor(() -> third.getParticipants().size() == 2, WAIT_MS), "participants %s",
                  third.getParticipants());
            check(!c.hasLeadership() && follower.hasLeadership(), "third latch took over a held leadership");
            follower.close();
            check(c.await(WAIT_MS, MILLISECONDS), "leadership did not move to c after %s closed",
                  follower.getId());
            return "exactly one leader (" + first + "), moved to " + follower.getId() + " then c on close";
        } finally {
            for (LeaderLatch l : Arrays.asList(a, bl, c)) {
                if (l != null && l.getState() == LeaderLatch.State.STARTED) l.close();
            }
        }
    }

    String ttlCheck() throws Exception {
        String tp = base + "/ttl";
        Stat st = new Stat();
        c1.create().withTtl(500).storingStatIn(st).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath(tp, b("t"));
        // ZooKeeper keeps the TTL in the persisted ephemeralOwner but shows clients 0 (not ephemeral).
        check(st.getCzxid() > 0 && st.getEphemeralOwner() == 0, "TTL node create2 stat %s", st);
        check(c1.checkExists().forPath(tp) != null, "TTL node missing right after create");
        check(waitFor(() -> c1.checkExists().forPath(tp) == null, WAIT_MS),
              "TTL node (ttl 500 ms) still exists after %d ms", WAIT_MS);
        return "PERSISTENT_WITH_TTL (500 ms) created (createTTL) and reaped";
    }

    String watchCheck() throws Exception {
        String p = base + "/watch";
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        List<String> seen = new ArrayList<>();
        CuratorWatcher onExists = e -> events.add("exists " + e.getType() + " " + e.getPath());
        CuratorWatcher onData = e -> events.add("data " + e.getType() + " " + e.getPath());
        CuratorWatcher onChildren = e -> events.add("children " + e.getType() + " " + e.getPath());
        Watcher persistent = (WatchedEvent e) -> events.add("persistent " + e.getType() + " " + e.getPath());
        Watcher removable = (WatchedEvent e) -> events.add("removable " + e.getType() + " " + e.getPath());

        check(c1.checkExists().usingWatcher(onExists).forPath(p) == null, "%s exists", p);
        expectEvent(events, seen, "exists NodeCreated " + p, () -> c2.create().forPath(p, b("0")) != null);
        c1.getData().usingWatcher(onData).forPath(p);
        expectEvent(events, seen, "data NodeDataChanged " + p, () -> c2.setData().forPath(p, b("1")) != null);
        c1.getChildren().usingWatcher(onChildren).forPath(p);
        expectEvent(events, seen, "children NodeChildrenChanged " + p,
                    () -> c2.create().forPath(p + "/k", b("k")) != null);
        // One-shot watches are gone: these changes must not fire them again.
        c2.setData().forPath(p, b("2"));
        c2.create().forPath(p + "/k2");
        Thread.sleep(300);
        check(events.isEmpty(), "one-shot watches fired again: %s", events);

        // Persistent (non-recursive) watch via addWatch: fires repeatedly for the node itself.
        c1.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher(persistent).forPath(p);
        expectEvent(events, seen, "persistent NodeDataChanged " + p, () -> c2.setData().forPath(p, b("3")) != null);
        expectEvent(events, seen, "persistent NodeDataChanged " + p, () -> c2.setData().forPath(p, b("4")) != null);
        expectEvent(events, seen, "persistent NodeChildrenChanged " + p,
                    () -> c2.create().forPath(p + "/k3") != null);
        c2.setData().forPath(p + "/k", b("not-recursive"));
        Thread.sleep(300);
        check(events.isEmpty(), "non-recursive persistent watch fired for a child's data: %s", events);
        expectEvent(events, seen, "persistent PersistentWatchRemoved " + p,
                    () -> { c1.watchers().remove(persistent).ofType(Watcher.WatcherType.Any).forPath(p); return true; });

        // removeWatches for a one-shot data watch.
        c1.getData().usingWatcher(removable).forPath(p);
        expectEvent(events, seen, "removable DataWatchRemoved " + p,
                    () -> { c1.watchers().remove(removable).ofType(Watcher.WatcherType.Data).forPath(p); return true; });
        c2.setData().forPath(p, b("5"));
        Thread.sleep(300);
        check(events.isEmpty(), "removed watches still fired: %s", events);
        return seen.size() + " events: exists/data/child one-shot, addWatch PERSISTENT, removeWatches";
    }

    String rwLockCheck() throws Exception {
        String lp = base + "/rwlock";
        InterProcessReadWriteLock rw1 = new InterProcessReadWriteLock(c1, lp);
        InterProcessReadWriteLock rw2 = new InterProcessReadWriteLock(c2, lp);
        check(rw1.readLock().acquire(WAIT_MS, MILLISECONDS), "c1 read lock");
        check(rw2.readLock().acquire(WAIT_MS, MILLISECONDS), "c2 read lock refused while only read-locked");
        check(!rw2.writeLock().acquire(300, MILLISECONDS), "c2 write lock granted while read-locked");
        rw1.readLock().release();
        rw2.readLock().release();
        check(rw2.writeLock().acquire(WAIT_MS, MILLISECONDS), "c2 write lock refused once free");
        check(!rw1.readLock().acquire(300, MILLISECONDS), "c1 read lock granted while write-locked");
        check(!rw1.writeLock().acquire(300, MILLISECONDS), "c1 write lock granted while write-locked");
        rw2.writeLock().release();
        check(rw1.writeLock().acquire(WAIT_MS, MILLISECONDS), "c1 write lock refused once free");
        rw1.writeLock().release();

        String sp = base + "/semaphore";
        InterProcessSemaphoreV2 s1 = new InterProcessSemaphoreV2(c1, sp, 2);
        InterProcessSemaphoreV2 s2 = new InterProcessSemaphoreV2(c2, sp, 2);
        Lease l1 = s1.acquire(WAIT_MS, MILLISECONDS);
        Lease l2 = s2.acquire(WAIT_MS, MILLISECONDS);
        check(l1 != null && l2 != null, "semaphore with 2 leases refused one of the first two");
        Lease l3 = s2.acquire(300, MILLISECONDS);
        check(l3 == null, "semaphore granted a third lease of 2");
        s1.returnLease(l1);
        l3 = s2.acquire(WAIT_MS, MILLISECONDS);
        check(l3 != null, "semaphore lease not granted after one was returned");
        s2.returnLease(l2);
        s2.returnLease(l3);
        return "shared readers / exclusive writer; semaphore of 2 leases refuses a third";
    }

    String cacheCheck() throws Exception {
        String cp = base + "/cache";
        c1.create().forPath(cp, b("root"));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CountDownLatch initialized = new CountDownLatch(1);
        CuratorCacheListener listener = CuratorCacheListener.builder()
                .forCreates(n -> events.add("create " + n.getPath() + " " + s(n.getData())))
                .forChanges((o, n) -> events.add("change " + n.getPath() + " " + s(o.getData()) + "->"
                        + s(n.getData())))
                .forDeletes(o -> events.add("delete " + o.getPath()))
                .forInitialized(initialized::countDown)
                .build();
        try (CuratorCache cache = CuratorCache.build(c1, cp)) {
            cache.listenable().addListener(listener);
            cache.start();
            check(initialized.await(WAIT_MS, MILLISECONDS), "cache not initialized after %d ms", WAIT_MS);
            List<String> seen = new ArrayList<>();
            Cond noop = () -> true;
            expectEvent(events, seen, "create " + cp + " root", noop);
            expectEvent(events, seen, "create " + cp + "/x 1", () -> c2.create().forPath(cp + "/x", b("1")) != null);
            expectEvent(events, seen, "change " + cp + "/x 1->2", () -> c2.setData().forPath(cp + "/x", b("2")) != null);
            expectEvent(events, seen, "create " + cp + "/x/y deep",
                        () -> c2.create().forPath(cp + "/x/y", b("deep")) != null);
            expectEvent(events, seen, "change " + cp + "/x/y deep->deeper",
                        () -> c2.setData().forPath(cp + "/x/y", b("deeper")) != null);
            check(cache.get(cp + "/x/y").map(d -> s(d.getData())).orElse("absent").equals("deeper"),
                  "cache.get(x/y) = %s", cache.get(cp + "/x/y"));
            expectEvent(events, seen, "delete " + cp + "/x/y",
                        () -> { c2.delete().forPath(cp + "/x/y"); return true; });
            expectEvent(events, seen, "delete " + cp + "/x",
                        () -> { c2.delete().forPath(cp + "/x"); return true; });
            check(cache.size() == 1, "cache size %d after deletes", cache.size());
            Thread.sleep(200);
            check(events.isEmpty(), "unexpected extra events %s", events);
            return "persistent recursive watches=" + Compatibility.hasPersistentWatchers() + ", "
                    + seen.size() + " events in order (create/change/delete, depth 2)";
        }
    }

    static void expectEvent(BlockingQueue<String> events, List<String> seen, String expected, Cond action)
            throws Exception {
        action.test();
        String got = events.poll(WAIT_MS, MILLISECONDS);
        check(expected.equals(got), "CuratorCache: expected event [%s], got [%s] (earlier: %s)", expected,
              got == null ? "nothing within " + WAIT_MS + " ms" : got, seen);
        seen.add(got);
    }

    String atomicCheck() throws Exception {
        String ap = base + "/atomic";
        int perClient = 25;
        AtomicInteger retries = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (CuratorFramework c : Arrays.asList(c1, c2)) {
            workers.add(pool.submit(() -> {
                RetryPolicy retry = new RetryNTimes(20, 10);
                PromotedToLock promoted = PromotedToLock.builder().lockPath(ap + "-lock")
                        .retryPolicy(new RetryNTimes(20, 10)).timeout(WAIT_MS, MILLISECONDS).build();
                DistributedAtomicLong counter = new DistributedAtomicLong(c, ap, retry, promoted);
                for (int i = 0; i < perClient; i++) {
                    int attempts = 0;
                    while (!counter.increment().succeeded()) {
                        retries.incrementAndGet();
                        if (++attempts >= 10) throw new CheckFailed("increment failed 10 times");
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) w.get(60, SECONDS);
        DistributedAtomicLong reader = new DistributedAtomicLong(c1, ap, new RetryNTimes(3, 10));
        AtomicValue<Long> total = reader.get();
        check(total.succeeded() && total.postValue() == 2L * perClient, "sum %s, expected %d",
              total.postValue(), 2 * perClient);
        AtomicValue<Long> cas = reader.compareAndSet(2L * perClient, 1000L);
        check(cas.succeeded() && cas.postValue() == 1000L, "compareAndSet(current, 1000) failed");
        AtomicValue<Long> stale = reader.compareAndSet(2L * perClient, 7L);
        check(!stale.succeeded() && reader.get().postValue() == 1000L, "compareAndSet(stale) succeeded");
        return "2 clients x " + perClient + " increments = " + total.postValue() + " (" + retries.get()
                + " whole-op retries), compareAndSet ok";
    }

    String barrierCheck() throws Exception {
        String bp = base + "/barrier";
        DistributedBarrier b1 = new DistributedBarrier(c1, bp);
        DistributedBarrier b2 = new DistributedBarrier(c2, bp);
        b1.setBarrier();
        Future<Boolean> waiter = pool.submit(() -> b2.waitOnBarrier(WAIT_MS, MILLISECONDS));
        Thread.sleep(300);
        check(!waiter.isDone(), "waitOnBarrier returned while the barrier was set: %s",
              waiter.isDone() ? waiter.get() : "");
        b1.removeBarrier();
        check(waiter.get(WAIT_MS + 2000, MILLISECONDS), "waitOnBarrier timed out after the barrier was removed");
        check(b2.waitOnBarrier(1, SECONDS), "waitOnBarrier on a removed barrier did not return at once");
        return "waiter blocked while set, released on removeBarrier";
    }

    String queueCheck() throws Exception {
        String qp = base + "/queue";
        QueueSerializer<String> ser = new QueueSerializer<String>() {
            public byte[] serialize(String item) {
                return b(item);
            }

            public String deserialize(byte[] bytes) {
                return s(bytes);
            }
        };
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        QueueConsumer<String> consumer = new QueueConsumer<String>() {
            public void consumeMessage(String message) {
                got.add(message);
            }

            public void stateChanged(CuratorFramework client, ConnectionState state) {
            }
        };
        List<String> sent = new ArrayList<>();
        List<String> received = new ArrayList<>();
        try (DistributedQueue<String> consumerQ = QueueBuilder.builder(c2, consumer, ser, qp).buildQueue();
             DistributedQueue<String> producerQ = QueueBuilder.builder(c1, null, ser, qp).buildQueue()) {
            consumerQ.start();
            producerQ.start();
            for (int i = 0; i < 5; i++) {
                sent.add("item-" + i);
                producerQ.put("item-" + i);
            }
            for (int i = 0; i < sent.size(); i++) {
                String item = got.poll(WAIT_MS, MILLISECONDS);
                check(item != null, "queue: only %s of %s consumed after %d ms", received, sent, WAIT_MS);
                received.add(item);
            }
            check(received.equals(sent), "queue order: sent %s, consumed %s", sent, received);
            check(waitFor(() -> c1.getChildren().forPath(qp).isEmpty(), WAIT_MS), "queue nodes left: %s",
                  c1.getChildren().forPath(qp));
        }
        return "5 items put by c1 consumed in order by c2";
    }

    String cleanupCheck() throws Exception {
        c1.delete().deletingChildrenIfNeeded().forPath(base);
        check(c1.checkExists().forPath(base) == null, "%s still exists", base);
        return "deletingChildrenIfNeeded(" + base + ")";
    }

    int runAll() {
        run("connect", this::connectCheck);
        if (failures > 0) return failures;  // nothing else can work
        run("create", this::createCheck);
        run("data-versions", this::dataCheck);
        run("transaction", this::transactionCheck);
        run("ephemeral-seq", this::ephemeralCheck);
        run("ttl", this::ttlCheck);
        run("watches", this::watchCheck);
        run("mutex", this::mutexCheck);
        run("rwlock-semaphore", this::rwLockCheck);
        run("leader-latch", this::leaderCheck);
        run("curator-cache", this::cacheCheck);
        run("atomic-long", this::atomicCheck);
        run("barrier", this::barrierCheck);
        run("queue", this::queueCheck);
        run("cleanup", this::cleanupCheck);
        run("client-health", () -> {
            check(problems.isEmpty(), "%s", problems);
            // EnsembleTracker must not have rewritten the connect string from /zookeeper/config.
            String now = c1.getZookeeperClient().getCurrentConnectionString();
            check(connect.equals(now), "connection string changed from %s to %s", connect, now);
            return "no unexpected connection-state changes or unhandled errors";
        });
        for (CuratorFramework c : clients) c.close();
        return failures;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: CuratorSmoke <connect-string> [base-path]");
            System.exit(2);
        }
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(WATCHDOG_MS);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("FAIL watchdog: run exceeded " + WATCHDOG_MS + " ms; threads:");
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                System.out.println("  thread " + e.getKey().getName() + " " + e.getKey().getState());
                StackTraceElement[] st = e.getValue();
                for (int i = 0; i < Math.min(st.length, 12); i++) System.out.println("      at " + st[i]);
            }
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        CuratorSmoke smoke = new CuratorSmoke(args[0], args.length > 1 ? args[1] : "/curator_smoke");
        int failures = smoke.runAll();
        System.out.println(failures == 0 ? "PASS all Curator checks" : "FAILED " + failures + " check(s)");
        System.out.flush();
        System.exit(failures == 0 ? 0 : 1);
    }
}
