package io.raftlock.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.bench.ApiLoadBench.NodeRef;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.raftlock.testing.HttpJson;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.StockSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * What it costs to keep many locks: one session holding N locks, kept by one {@code KeepAlive}
 * per third of its TTL, against N client-owned locks each kept by its own {@code Renew} every
 * third of its TTL (how locks were kept before sessions). For each way, while the locks are held
 * for {@code --hold-s}: keep-alive requests sent, log entries committed, CPU of every node (the
 * leader's apart), and failures: lost-lock events of the session, renewals not granted of the
 * per-lock way (a refused or late renewal can cost its lock).
 *
 * <pre>
 * SessionKeepAliveBench --nodes id=host:port:pid,... [--locks 10000] [--ttl-s 10] [--hold-s 30]
 * </pre>
 *
 * Both ways talk to the leader over one HTTP/2 connection, with at most {@link #WINDOW} requests in
 * flight (under the session stream's limit of 256). With the shipped rate limits the per-lock
 * way's N renewals per third of a TTL fit under one client id's limit up to N ≈ 60,000 at 10 s.
 */
public final class SessionKeepAliveBench {
  static final int WINDOW = 200;
  static final int ROUNDS = 3;
  /**
   * First lease of a client-owned lock: long enough to take all N before renewing starts; the
   * first renewal sets the measured TTL.
   */
  static final int ACQUIRE_TTL_S = 300;

  record Result(String way, int locks, double heldSeconds, long keepAliveRequests, long entries,
      double leaderCpuMs, double allNodesCpuMs, long lost) {
    double requestsPerSecond() {
      return keepAliveRequests / heldSeconds;
    }

    double entriesPerSecond() {
      return entries / heldSeconds;
    }

    double leaderCpuPercent() {
      return leaderCpuMs / (heldSeconds * 10);
    }
  }

  private final List<NodeRef> nodes;
  private final int locks;
  private final int ttlS;
  private final int holdS;

  private SessionKeepAliveBench(List<NodeRef> nodes, int locks, int ttlS, int holdS) {
    this.nodes = nodes;
    this.locks = locks;
    this.ttlS = ttlS;
    this.holdS = holdS;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = BenchArgs.options(args);
    if (!opts.containsKey("--nodes")) {
      System.err.println("usage: SessionKeepAliveBench --nodes id=host:port:pid,... [--locks 10000]"
          + " [--ttl-s 10] [--hold-s 30]");
      System.exit(2);
    }
    List<NodeRef> nodes = BenchArgs.nodes(opts.get("--nodes"));
    SessionKeepAliveBench bench = new SessionKeepAliveBench(nodes,
        Integer.parseInt(opts.getOrDefault("--locks", "10000")),
        Integer.parseInt(opts.getOrDefault("--ttl-s", "10")),
        Integer.parseInt(opts.getOrDefault("--hold-s", "30")));
    List<Result> results = List.of(bench.idle(), bench.oneSession(), bench.renewEachLock());
    print(results);
    boolean lost = results.stream().anyMatch(r -> r.lost() > 0);
    System.exit(lost ? 1 : 0);
  }

  /** The floor: the same cluster holding nothing, for the same time (heartbeats, status reads). */
  Result idle() throws Exception {
    Meter meter = new Meter(ApiLoadBench.awaitLeader(nodes));
    TimeUnit.SECONDS.sleep(holdS);
    Result r = meter.result("idle cluster, no locks", 0, 0);
    return new Result(r.way(), 0, r.heldSeconds(), 0, r.entries(), r.leaderCpuMs(), r.allNodesCpuMs(), 0);
  }

  /** N locks held by one session; only the session's keep-alive goes while they are held. */
  Result oneSession() throws Exception {
    NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    ManagedChannel channel = channel(leader);
    try {
      StockSession s = new StockSession(channel);
      SessionResponse opened = s.request(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
          .setName("keepalive-bench").setTtl(seconds(ttlS)))).get(30, TimeUnit.SECONDS);
      check(opened.hasOpened(), "session not opened: " + opened);
      // The keep-alive runs from the open on: taking N locks on a loaded machine can outlast a TTL.
      AtomicLong sent = new AtomicLong();
      ScheduledExecutorService keepAlive = Executors.newSingleThreadScheduledExecutor();
      keepAlive.scheduleAtFixedRate(() -> {
        s.request(SessionRequest.newBuilder().setKeepAlive(KeepAliveRequest.getDefaultInstance()));
        sent.incrementAndGet();
      }, 0, ttlS * 1000L / 3, TimeUnit.MILLISECONDS);
      try {
        allTrue(i -> s.request(SessionRequest.newBuilder().setAcquire(AcquireRequest.newBuilder()
            .setLockId(lockName("s", i)))).thenApply(r -> r.hasAcquire() && r.getAcquire().getAcquired()));
        Meter meter = new Meter(leader);
        long sentBefore = sent.get();
        TimeUnit.SECONDS.sleep(holdS); // only the keep-alive goes while the locks are held
        Result result = meter.result("one session, one keep-alive per TTL/3", sent.get() - sentBefore,
            lostEvents(s));
        SessionResponse closed = s.request(SessionRequest.newBuilder().setClose(CloseSessionRequest.getDefaultInstance()))
            .get(60, TimeUnit.SECONDS);
        check(closed.getClose().getLocksReleased() == locks, "close released " + closed.getClose().getLocksReleased()
            + " of " + locks + " locks: some were lost while held");
        return result;
      } finally {
        keepAlive.shutdownNow();
      }
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static long lostEvents(StockSession s) {
    return s.events.stream().filter(e -> e.getKind() == LockEventMessage.Kind.EXPIRED
        || e.getKind() == LockEventMessage.Kind.SESSION_EXPIRED).count();
  }

  /** N client-owned locks, each renewed on its own every TTL/3. */
  Result renewEachLock() throws Exception {
    NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    ManagedChannel channel = channel(leader);
    try {
      StockRaftLock api = new StockRaftLock(channel, 30_000);
      String client = "keepalive-bench-" + System.nanoTime();
      long[] tokens = new long[locks];
      allTrue(i -> api.async(StockRaftLock.ACQUIRE, AcquireRequest.newBuilder().setLockId(lockName("c", i))
          .setClientId(client).setTtl(seconds(ACQUIRE_TTL_S)).build()).thenApply(r -> {
            tokens[i] = r.getLock().getVersion();
            return r.getAcquired();
          }));
      Meter meter = new Meter(leader);
      long sent = 0;
      long lost = 0;
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(holdS);
      while (System.nanoTime() < end) {
        lost += locks - countTrue(i -> api.async(StockRaftLock.RENEW, RenewRequest.newBuilder()
            .setLockId(lockName("c", i)).setClientId(client).setVersion(tokens[i]).setNewTtl(seconds(ttlS)).build())
            .thenApply(r -> r.getRenewed()));
        sent += locks;
        pause(end, ttlS * 1000L / 3);
      }
      Result result = meter.result("each lock renewed on its own every TTL/3", sent, lost);
      countTrue(i -> api.async(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId(lockName("c", i))
          .setClientId(client).setVersion(tokens[i]).build()).thenApply(r -> r.getReleased()));
      return result;
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** CPU of every node and the leader's commit index, from the start of the holding period. */
  private final class Meter {
    private final NodeRef leader;
    private final Map<String, ProcCpu.Sample> cpu;
    private final long commitIndex;
    private final long startNanos = System.nanoTime();

    Meter(NodeRef leader) {
      this.leader = leader;
      this.commitIndex = commitIndex(leader);
      Map<String, Long> pids = new LinkedHashMap<>();
      nodes.forEach(n -> pids.put(n.id(), n.pid()));
      this.cpu = ProcCpu.sample(pids);
    }

    Result result(String way, long requests, long lost) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      Map<String, Double> used = ProcCpu.since(cpu);
      double all = used.values().stream().mapToDouble(Double::doubleValue).sum();
      return new Result(way, locks, seconds, requests, commitIndex(leader) - commitIndex,
          used.getOrDefault(leader.id(), Double.NaN), all, lost);
    }
  }

  /**
   * Runs {@code call(i)} for every lock until it answers true, taking up to {@link #ROUNDS} rounds
   * (a loaded node may refuse or time out some of a burst); fails if some never did.
   */
  private void allTrue(IntFunction<CompletableFuture<Boolean>> call) throws Exception {
    boolean[] done = new boolean[locks];
    for (int round = 0; round < ROUNDS; round++) {
      run(call, done);
    }
    int ok = 0;
    for (boolean d : done) {
      ok += d ? 1 : 0;
    }
    check(ok == locks, ok + " of " + locks + " calls succeeded in " + ROUNDS + " rounds");
  }

  /** Runs {@code call(i)} once for every lock; how many answered true. */
  private int countTrue(IntFunction<CompletableFuture<Boolean>> call) throws Exception {
    boolean[] done = new boolean[locks];
    run(call, done);
    int ok = 0;
    for (boolean d : done) {
      ok += d ? 1 : 0;
    }
    return ok;
  }

  /** Runs {@code call(i)} for every lock not yet {@code done}, at most {@link #WINDOW} in flight. */
  private void run(IntFunction<CompletableFuture<Boolean>> call, boolean[] done) throws Exception {
    Semaphore window = new Semaphore(WINDOW);
    List<CompletableFuture<Boolean>> all = new ArrayList<>(locks);
    for (int i = 0; i < locks; i++) {
      if (done[i]) {
        continue;
      }
      int lock = i;
      window.acquire();
      all.add(call.apply(i).whenComplete((r, t) -> {
        window.release();
        if (t == null && Boolean.TRUE.equals(r)) {
          synchronized (done) {
            done[lock] = true;
          }
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(t -> null).get(5, TimeUnit.MINUTES);
  }

  private static void pause(long endNanos, long ms) throws InterruptedException {
    long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
    if (left > 0) {
      TimeUnit.MILLISECONDS.sleep(Math.min(ms, left)); // a benchmark driver's own pacing thread
    }
  }

  private static long commitIndex(NodeRef n) {
    JsonNode s = HttpJson.get("http://" + n.host() + ":" + n.port() + "/status", java.time.Duration.ofSeconds(5))
        .orElseThrow(() -> new IllegalStateException("no /status from " + n.id()));
    return s.path("commitIndex").asLong();
  }

  private static ManagedChannel channel(NodeRef n) {
    return ManagedChannelBuilder.forAddress(n.host(), n.port()).usePlaintext().build();
  }

  private static String lockName(String way, int i) {
    return String.format("keepalive-bench/%s/%05d", way, i);
  }

  private static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  private static void check(boolean ok, String why) {
    if (!ok) {
      throw new IllegalStateException(why);
    }
  }

  private static void print(List<Result> results) {
    System.out.printf("%n| way | locks | held s | keep-alive requests/s | entries committed/s | leader CPU %% |"
        + " all nodes CPU ms | locks lost |%n|---|---:|---:|---:|---:|---:|---:|---:|%n");
    for (Result r : results) {
      System.out.printf("| %s | %,d | %.1f | %,.1f | %,.1f | %.1f | %,.0f | %d |%n", r.way(), r.locks(),
          r.heldSeconds(), r.requestsPerSecond(), r.entriesPerSecond(), r.leaderCpuPercent(), r.allNodesCpuMs(),
          r.lost());
    }
    if (results.size() == 3) {
      double idle = results.get(0).leaderCpuMs();
      double session = results.get(1).leaderCpuMs() - idle;
      double perLock = results.get(2).leaderCpuMs() - idle;
      System.out.printf("%nleader CPU above the idle floor: one session %.0f ms, per-lock renewal %.0f ms (%.0fx)%n",
          session, perLock, perLock / Math.max(1, session));
    }
    System.out.println("load average: " + ApiLoadBench.loadAverage());
  }
}
