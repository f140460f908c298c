package io.raftlock.node.bench;

import io.raftlock.testing.FreePorts;
import io.raftlock.node.RaftVerticle;
import io.raftlock.node.ReplicatedStateMachine;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Replication throughput of a 3-node cluster in one JVM (a Vert.x instance per node, gRPC on
 * loopback, the Chronicle log with fsync): an in-process load driver on the leader keeps
 * {@code window} 128-byte proposals in flight and times each from propose to apply. Storage runs
 * as a node does by default (durable mark synced right after the acknowledgement).
 * Usage: {@code ReplicationBench [seconds] [window...]}; see scripts/bench-replication.sh.
 */
public final class ReplicationBench {
  private ReplicationBench() {}

  /** Applies nothing but counts: the benchmark measures replication, not a state machine. */
  static final class Counter implements ReplicatedStateMachine {
    long applied;

    @Override
    public Object apply(long index, byte[] command) {
      return ++applied;
    }

    @Override
    public byte[] snapshot() {
      return java.nio.ByteBuffer.allocate(8).putLong(applied).array();
    }

    @Override
    public void restore(byte[] snapshot) {
      applied = java.nio.ByteBuffer.wrap(snapshot).getLong();
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    List<Integer> windows = args.length > 1
        ? Arrays.stream(args).skip(1).map(Integer::parseInt).toList() : List.of(1, 64, 1024);
    GrpcPeerTransport.preload();
    for (int window : windows) {
      run(seconds, window);
    }
    System.exit(0);
  }

  private static void run(int seconds, int window) throws Exception {
    Path root = Files.createTempDirectory("raftlock-replication");
    Map<String, Integer> ports = new TreeMap<>();
    for (String id : List.of("n1", "n2", "n3")) {
      ports.put(id, FreePorts.next());
    }
    Map<String, Vertx> vertxes = new LinkedHashMap<>();
    Map<String, RaftVerticle<?>> nodes = new LinkedHashMap<>();
    for (String id : ports.keySet()) {
      Map<String, PeerTransportConfig.PeerAddress> members = new TreeMap<>();
      ports.forEach((n, p) -> members.put(n, new PeerTransportConfig.PeerAddress("127.0.0.1", p)));
      Vertx vertx = Vertx.vertx();
      RaftVerticle<?> v = new RaftVerticle<>(
          new RaftVerticle.Options(RaftConfig.defaults(id), ClusterConfig.ofVoters(ports.keySet()), 20, 0, 0, id.hashCode()),
          new ChronicleRaftStorage(StorageOptions.defaults(root.resolve(id)).withMarkBeforeAck(false)),
          new GrpcPeerTransport(vertx, PeerTransportConfig.of(id, "127.0.0.1", ports.get(id), members)),
          new Counter(), err -> {});
      vertx.deployVerticle(v).await();
      vertxes.put(id, vertx);
      nodes.put(id, v);
    }
    String leader = null;
    while (leader == null) {
      for (var e : nodes.entrySet()) {
        RaftStatus s = e.getValue().status();
        if (s != null && s.leaderReady()) {
          leader = e.getKey();
        }
      }
      Thread.onSpinWait();
    }
    Driver d = new Driver(nodes.get(leader), window);
    vertxes.get(leader).runOnContext(v -> d.startIssuing());
    d.measureAfter(TimeUnit.SECONDS.toNanos(3), TimeUnit.SECONDS.toNanos(seconds));
    d.done.await();
    long[] lat = Arrays.copyOf(d.latencies, d.count);
    Arrays.sort(lat);
    System.out.printf("window %4d: %,.0f commits/s over %d s, latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms%n",
        window, d.count * 1e9 / d.measuredNanos, seconds, lat[lat.length / 2] / 1e6,
        lat[(int) (lat.length * 0.99)] / 1e6, lat[(int) (lat.length * 0.999)] / 1e6);
    for (Vertx v : vertxes.values()) {
      v.close().await();
    }
  }

  /** Keeps {@code window} proposals in flight; records latencies inside the measurement window. */
  private static final class Driver {
    private final RaftVerticle<?> leader;
    private final int window;
    private final byte[] payload = new byte[128];
    final long[] latencies = new long[20_000_000];
    final CountDownLatch done = new CountDownLatch(1);
    volatile long measureFrom = Long.MAX_VALUE;
    volatile long measureUntil = Long.MAX_VALUE;
    volatile long measuredNanos;
    int count;
    boolean stopped;

    Driver(RaftVerticle<?> leader, int window) {
      this.leader = leader;
      this.window = window;
    }

    void measureAfter(long warmupNanos, long durationNanos) {
      long now = System.nanoTime();
      measureFrom = now + warmupNanos;
      measureUntil = measureFrom + durationNanos;
      measuredNanos = durationNanos;
    }

    void startIssuing() {
      for (int i = 0; i < window; i++) {
        issue();
      }
    }

    private void issue() {
      long t0 = System.nanoTime();
      leader.propose(payload).onComplete(ar -> {
        long t1 = System.nanoTime();
        if (t0 >= measureFrom && t1 <= measureUntil && ar.succeeded() && count < latencies.length) {
          latencies[count++] = t1 - t0;
        }
        if (t1 > measureUntil) {
          if (!stopped) {
            stopped = true;
            done.countDown();
          }
          return;
        }
        issue();
      });
    }
  }
}
