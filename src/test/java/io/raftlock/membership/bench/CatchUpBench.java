package io.raftlock.membership.bench;

import static org.awaitility.Awaitility.await;

import io.raftlock.app.Node;
import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockReply;
import io.raftlock.node.Applied;
import io.raftlock.node.RaftVerticle;
import io.raftlock.raft.RaftStatus;
import io.raftlock.testing.LocalCluster;
import io.raftlock.transport.GrpcPeerTransport;
import io.vertx.core.Future;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Catch-up of a new member from empty (issue #8): a 3-node {@link LocalCluster} with the default
 * snapshot cadence (every 10,000 entries, 5,000 kept) applies {@code entries} real lock commands,
 * proposed on the leader with many in flight (acquire + release pairs on a rotating set of lock
 * ids; one acquire in 100 keeps its lock for an hour, so the snapshot is not empty). Then a fourth
 * node joins from an empty data directory and the benchmark times: join start → learner added →
 * snapshot installed on the new node → its applied index reaches the leader's commit index at
 * join start. A fifth node then joins the same way while a light write load runs. Prints a JSON
 * line per join and a short summary. Not a test: run with {@code scripts/bench-catchup.sh [entries]}.
 */
public final class CatchUpBench {
  private CatchUpBench() {}

  /** Proposals kept in flight on the leader while loading. */
  private static final int WINDOW = 2048;
  /** One acquire in this many keeps its lock (TTL one hour): the snapshot carries real locks. */
  private static final int HOLD_EVERY = 100;
  /** Writes per second of the light load during the second join. */
  private static final int LIGHT_LOAD_PER_SECOND = 200;

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    long entries = args.length > 0 ? Long.parseLong(args[0].replace("_", "").replace(",", "")) : 1_000_000L;
    GrpcPeerTransport.preload();
    Path root = Files.createTempDirectory("raftlock-catchup");
    int exit = 0;
    try (LocalCluster cluster = new LocalCluster(3, root).start()) {
      String leader = cluster.awaitLeader();
      RaftVerticle<?> raft = raftOf(cluster.node(leader));

      // Load.
      Loader loader = new Loader(raft, entries);
      long loadStart = System.nanoTime();
      loader.start();
      loader.done.await();
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      if (loader.failures.get() > 0) {
        System.out.println("load: " + loader.failures.get() + " proposals failed, first: " + loader.firstFailure);
      }
      RaftStatus loaded = freshStatus(cluster.node(leader));
      int snapshotBytes = raft.query(sm -> sm.snapshot().length).await();
      System.out.printf(Locale.ROOT, "loaded %,d entries (%,d locks held) in %.1f s: %,.0f entries/s;"
          + " leader commit %,d, snapshot index %,d, state snapshot %,d bytes%n",
          loader.completed.get(), loader.held.get(), loadSeconds, loader.completed.get() / loadSeconds,
          loaded.commitIndex(), loaded.snapshotIndex(), snapshotBytes);

      String quiet = measureJoin(cluster, "node-4", leader, null);
      System.out.println(json(entries, loader, loadSeconds, snapshotBytes, "none", quiet));

      // The same under a light ongoing write load.
      String light;
      LightLoad load = new LightLoad(raft);
      load.start();
      try {
        light = measureJoin(cluster, "node-5", leader, load);
      } finally {
        load.stop();
      }
      System.out.println(json(entries, loader, loadSeconds, snapshotBytes,
          LIGHT_LOAD_PER_SECOND + "/s", light + String.format(Locale.ROOT, ",\"light_load_writes\":%d", load.acked.get())));
    } catch (Throwable t) {
      t.printStackTrace();
      exit = 1;
    }
    System.exit(exit);
  }

  /** The node's Raft verticle: {@link Node} does not expose it, and the benchmark proposes directly. */
  private static RaftVerticle<?> raftOf(Node node) throws ReflectiveOperationException {
    Field f = Node.class.getDeclaredField("raft");
    f.setAccessible(true);
    return (RaftVerticle<?>) f.get(node);
  }

  /**
   * A status published after this call: {@link Node#status} is published once per tick, so the
   * one at hand may be up to a tick old (and miss the last entries of the load).
   */
  private static RaftStatus freshStatus(Node node) {
    RaftStatus before = node.status();
    await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> node.status() != before);
    return node.status();
  }

  private static String loadAverage() {
    double la = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return String.format(Locale.ROOT, "%.2f", la);
  }

  private static String json(long entries, Loader loader, double loadSeconds, int snapshotBytes, String writeLoad,
      String join) {
    return String.format(Locale.ROOT, "{\"bench\":\"catchup\",\"entries\":%d,\"load_s\":%.1f,\"load_entries_per_s\":%.0f,"
        + "\"locks_held\":%d,\"snapshot_bytes\":%d,\"write_load\":\"%s\",%s,\"loadavg\":%s}",
        entries, loadSeconds, loader.completed.get() / loadSeconds, loader.held.get(), snapshotBytes, writeLoad,
        join, loadAverage());
  }

  /**
   * Joins {@code id} and times its catch-up, polling its status every millisecond. Returns the
   * JSON fields of the measurement and prints a summary line.
   */
  private static String measureJoin(LocalCluster cluster, String id, String leader, LightLoad load) {
    long target = freshStatus(cluster.node(leader)).commitIndex();
    long t0 = System.nanoTime();
    cluster.join(id, leader); // returns once the learner's CONFIG entry committed
    long tLearner = System.nanoTime();
    long[] firstSnapshot = {0, 0}; // nanoTime, snapshot index
    long[] appliedAtSnapshot = {0};
    await().atMost(Duration.ofMinutes(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> {
          RaftStatus s = cluster.node(id).status();
          if (s == null) {
            return false;
          }
          if (firstSnapshot[0] == 0 && s.snapshotIndex() > 0) {
            firstSnapshot[0] = System.nanoTime();
            firstSnapshot[1] = s.snapshotIndex();
            appliedAtSnapshot[0] = s.appliedIndex();
          }
          return s.appliedIndex() >= target;
        });
    long tCaughtUp = System.nanoTime();
    RaftStatus s = cluster.node(id).status();
    RaftStatus l = cluster.node(leader).status();
    double learnerMs = (tLearner - t0) / 1e6;
    double totalMs = (tCaughtUp - t0) / 1e6;
    double snapshotMs = firstSnapshot[0] == 0 ? -1 : (firstSnapshot[0] - t0) / 1e6;
    double tailMs = firstSnapshot[0] == 0 ? -1 : (tCaughtUp - firstSnapshot[0]) / 1e6;
    System.out.printf(Locale.ROOT, "%s (write load: %s): learner added after %.0f ms, snapshot (index %,d) installed"
        + " after %.0f ms, applied ≥ %,d after %.0f ms (log tail of %,d entries: %.0f ms); now applied %,d,"
        + " leader commit %,d; load average %s%n",
        id, load == null ? "none" : LIGHT_LOAD_PER_SECOND + "/s", learnerMs, firstSnapshot[1], snapshotMs, target,
        totalMs, Math.max(0, target - firstSnapshot[1]), tailMs, s.appliedIndex(), l.commitIndex(), loadAverage());
    return String.format(Locale.ROOT, "\"node\":\"%s\",\"target_index\":%d,\"learner_added_ms\":%.1f,"
        + "\"snapshot_index\":%d,\"snapshot_installed_ms\":%.1f,\"caught_up_ms\":%.1f,\"tail_entries\":%d,"
        + "\"tail_ms\":%.1f", id, target, learnerMs, firstSnapshot[1], snapshotMs, totalMs,
        Math.max(0, target - firstSnapshot[1]), tailMs);
  }

  private static LockCommand.Acquire acquire(String lockId, String clientId, long ttlMs) {
    return new LockCommand.Acquire(lockId, clientId, ttlMs, false, 0, 0, new TreeMap<>(), "", 0);
  }

  /**
   * Keeps {@link #WINDOW} lock cycles in flight until {@code total} proposals applied. Slot k
   * acquires {@code bench-k}, then releases it with the granted token; every {@link #HOLD_EVERY}th
   * acquire is on a fresh {@code held-n} lock that stays held. Callbacks run on the leader's Raft
   * context, so the counters need no more than atomics for the main thread's reads.
   */
  private static final class Loader {
    private final RaftVerticle<?> leader;
    private final long total;
    final AtomicLong issued = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong held = new AtomicLong();
    volatile Throwable firstFailure;
    final CountDownLatch done = new CountDownLatch(1);
    private long acquires; // Raft context only

    Loader(RaftVerticle<?> leader, long total) {
      this.leader = leader;
      this.total = total;
    }

    void start() {
      for (int k = 0; k < WINDOW; k++) {
        cycle(k);
      }
    }

    /** Issues one proposal if the budget allows; false when the budget is spent. */
    private boolean take() {
      if (issued.incrementAndGet() > total) {
        issued.decrementAndGet();
        return false;
      }
      return true;
    }

    private void finished(Future<Applied> ar) {
      if (ar.failed()) {
        failures.incrementAndGet();
        if (firstFailure == null) {
          firstFailure = ar.cause();
        }
      }
      if (completed.incrementAndGet() == total) {
        done.countDown();
      }
    }

    private void cycle(int slot) {
      if (!take()) {
        return;
      }
      boolean hold = ++acquires % HOLD_EVERY == 0;
      String lock = hold ? "held-" + acquires : "bench-" + slot;
      String client = "client-" + slot;
      Future<Applied> a = leader.propose(LockCommandCodec.encode(acquire(lock, client, hold ? 3_600_000 : 60_000)));
      a.onComplete(ar -> {
        finished(a);
        LockReply reply = ar.succeeded() ? ((ApplyResult) ar.result().result()).reply() : null;
        if (hold || !(reply instanceof LockReply.Granted g)) {
          if (hold && reply instanceof LockReply.Granted) {
            held.incrementAndGet();
          }
          cycle(slot);
          return;
        }
        if (!take()) {
          return;
        }
        Future<Applied> r = leader.propose(LockCommandCodec.encode(new LockCommand.Release(lock, client, g.token(), "", 0)));
        r.onComplete(x -> {
          finished(r);
          cycle(slot);
        });
      });
    }
  }

  /**
   * A light write load on the leader: acquire, then release, of one lock, one write at a time
   * about every {@code 1000 / LIGHT_LOAD_PER_SECOND} ms (the next is scheduled when one completes).
   */
  private static final class LightLoad {
    private final RaftVerticle<?> leader;
    private final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicLong acked = new AtomicLong();
    private final io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    private long token; // on this Vert.x's context only (each step is scheduled there)

    LightLoad(RaftVerticle<?> leader) {
      this.leader = leader;
    }

    void start() {
      vertx.runOnContext(v -> step());
    }

    private void step() {
      if (stopped.get()) {
        return;
      }
      LockCommand c = token == 0 ? acquire("light", "light-client", 60_000)
          : new LockCommand.Release("light", "light-client", token, "", 0);
      var context = vertx.getOrCreateContext();
      leader.propose(LockCommandCodec.encode(c)).onComplete(ar -> context.runOnContext(v -> {
        if (ar.succeeded()) {
          acked.incrementAndGet();
          LockReply reply = ((ApplyResult) ar.result().result()).reply();
          token = reply instanceof LockReply.Granted g ? g.token() : 0;
        }
        vertx.setTimer(Math.max(1, 1000 / LIGHT_LOAD_PER_SECOND), id -> step());
      }));
    }

    void stop() {
      stopped.set(true);
      vertx.close().await();
    }
  }
}
