package io.raftlock.node.bench;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.node.LockReplica;
import io.raftlock.node.RaftVerticle;
import io.raftlock.node.ReplicatedStateMachine;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.testing.FreePorts;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a state-machine snapshot stalls the Raft event loop, with snapshots taken on the loop
 * (as before) and built on a worker from the second copy of the state (as now), in one run.
 *
 * <p>One node (a single-voter cluster: the loop's work without the network) is loaded with
 * {@code locks} held locks through proposals, then takes {@code rounds} snapshots while new
 * locks keep being acquired. A probe thread asks the loop for the time every millisecond; its
 * delay is how long the loop was busy with something else. Reported per mode: the probe's p99
 * and maximum delay during the measured phase, and the snapshot build times.
 *
 * <pre>scripts/bench-snapshot.sh [locks] [rounds]     default: 1000000 locks, 3 snapshots</pre>
 */
public final class SnapshotStallBench {
  private static final int WINDOW = 2_000;

  private SnapshotStallBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    int locks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    for (Mode mode : Mode.values()) {
      run(locks, rounds, mode);
    }
    System.exit(0);
  }

  /** No snapshots at all (what the load alone costs the loop), on the loop, on a worker. */
  private enum Mode {
    NONE("no snapshots (the load alone)"),
    ON_LOOP("snapshots on the event loop"),
    WORKER("snapshots built on a worker");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  private static void run(int locks, int rounds, Mode mode) throws Exception {
    Path dir = Files.createTempDirectory("raftlock-snapshot-stall");
    int port = FreePorts.next();
    int every = Math.max(1_000, locks / 10);
    LockReplica replica = new LockReplica(e -> {});
    ReplicatedStateMachine sm = mode == Mode.WORKER ? replica : new OnLoop(replica);
    Vertx vertx = Vertx.vertx();
    RaftVerticle<ReplicatedStateMachine> node = new RaftVerticle<>(
        new RaftVerticle.Options(RaftConfig.defaults("n1"), ClusterConfig.ofVoters(Set.of("n1")), 20,
            mode == Mode.NONE ? 0 : every, every, 1),
        new ChronicleRaftStorage(StorageOptions.defaults(dir).withMarkBeforeAck(false)),
        new GrpcPeerTransport(vertx, PeerTransportConfig.of("n1", "127.0.0.1", port,
            Map.of("n1", new PeerTransportConfig.PeerAddress("127.0.0.1", port)))),
        sm, err -> {});
    long[] buildNanos = new long[1_000];
    AtomicInteger snapshots = new AtomicInteger();
    node.observeWith(new RaftVerticle.Observer() {
      @Override
      public void snapshotTaken(long index, long bytes, long nanos) {
        buildNanos[snapshots.getAndIncrement() % buildNanos.length] = nanos;
      }
    });
    vertx.deployVerticle(node).await();
    while (node.status() == null || !node.status().leaderReady()) {
      Thread.onSpinWait();
    }
    AtomicLong next = new AtomicLong();
    acquire(node, next, locks);
    int before = snapshots.get();
    Probe probe = new Probe(node);
    Thread prober = new Thread(probe, "stall-probe");
    prober.start();
    long start = System.nanoTime();
    // The same number of new locks in every mode: about `rounds` snapshots' worth.
    for (int i = 0; i < rounds * 10 || mode != Mode.NONE && snapshots.get() < before + rounds; i++) {
      acquire(node, next, every / 10);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    probe.stop = true;
    prober.join();
    int taken = snapshots.get() - before;
    long[] builds = Arrays.copyOfRange(buildNanos, before, before + taken);
    System.out.printf("%-30s %,d locks: %d snapshots in %.1f s, build %s ms; loop probe p99 %.1f ms, max %.1f ms"
        + " at JVM uptime %.3f s (%d probes)%n",
        mode.label, next.get(), taken, seconds,
        Arrays.toString(Arrays.stream(builds).map(n -> n / 1_000_000).toArray()),
        probe.percentile(0.99) / 1e6, probe.percentile(1.0) / 1e6, probe.longestAtUptimeMs / 1e3, probe.count);
    vertx.close().await();
  }

  /** Acquires {@code n} new locks, {@link #WINDOW} proposals in flight; returns when all applied. */
  private static void acquire(RaftVerticle<?> node, AtomicLong next, int n) {
    Future<?>[] window = new Future<?>[WINDOW];
    for (int i = 0; i < n; i++) {
      int slot = i % WINDOW;
      if (window[slot] != null) {
        window[slot].await();
      }
      long id = next.incrementAndGet();
      window[slot] = node.propose(LockCommandCodec.encode(new LockCommand.Acquire("lock-" + id, "client-" + id,
          600_000, false, 0, 0, new TreeMap<>(), "", 0)));
    }
    for (Future<?> f : window) {
      if (f != null) {
        f.await();
      }
    }
  }

  /** Asks the Raft context for the time every millisecond; records how late it answered. */
  private static final class Probe implements Runnable {
    private final RaftVerticle<?> node;
    private final long[] delays = new long[1_000_000];
    volatile boolean stop;
    int count;
    /** JVM uptime when the longest delay began: to match it with a GC log ({@code -Xlog:gc}). */
    long longestAtUptimeMs;
    private long longest;

    Probe(RaftVerticle<?> node) {
      this.node = node;
    }

    @Override
    public void run() {
      while (!stop && count < delays.length) {
        long uptimeMs = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        long sent = System.nanoTime();
        long ran = node.query(sm -> System.nanoTime()).await();
        delays[count++] = ran - sent;
        if (ran - sent > longest) {
          longest = ran - sent;
          longestAtUptimeMs = uptimeMs;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
    }

    long percentile(double p) {
      long[] sorted = Arrays.copyOf(delays, count);
      Arrays.sort(sorted);
      return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }
  }

  /** The lock state machine with snapshots taken on the event loop, as before the worker builds. */
  private static final class OnLoop implements ReplicatedStateMachine {
    private final LockReplica replica;

    OnLoop(LockReplica replica) {
      this.replica = replica;
    }

    @Override
    public Object apply(long index, byte[] command) {
      return replica.apply(index, command);
    }

    @Override
    public byte[] snapshot() {
      return replica.snapshot();
    }

    @Override
    public void restore(byte[] snapshot) {
      replica.restore(snapshot);
    }

    @Override
    public byte[] stampOnLeader(byte[] command, long term, long wallMs, long monoNanos) {
      return replica.stampOnLeader(command, term, wallMs, monoNanos);
    }
  }
}
