package io.raftlock.bench;


import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.wire.NettyTransport;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Load driver for the client API of a running 3-process cluster (started by
 * scripts/bench-api.sh): a fully asynchronous Vert.x gRPC client whose simulated clients are each
 * a loop of futures on a driver event loop.
 *
 * <ol>
 *   <li><b>pairs</b>: acquire + release of the client's own locks ({@code lock-<client>-<n % 16>}),
 *       at 1, 8 and 64 concurrent clients on the leader, and once through a follower (forwarding);
 *       pairs/s, acquire p50/p99/p999 and release p50/p99.
 *   <li><b>handoff</b>: 16 waiters on one lock, each with its own Watch stream, acquire with
 *       {@code wait=true}; the one pushed GRANTED releases with the pushed token at once and
 *       queues again. Handoffs/s and grant latency: release response at the releasing client →
 *       GRANTED push at the next holder (also: release sent → GRANTED push). With
 *       {@code --follower-waiters N} the same again through a follower (watches, acquires and
 *       releases all sent to it): its pushes wait until the follower learns the commit index.
 * </ol>
 *
 * Usage: {@code ApiLoadBench --nodes id=host:port:pid,... [--warmup S] [--measure S]
 * [--clients 1,8,64] [--follower-clients 64] [--waiters 16] [--follower-waiters 0] [--floor-clients 64] [--driver-loops 1] [--quick]
 * [--profile DIR] [--profile-seconds S]}.
 */
public final class ApiLoadBench {
  static final Duration TTL = Duration.newBuilder().setSeconds(30).build();
  static final Duration WAIT_TIMEOUT = Duration.newBuilder().setSeconds(120).build();
  static final int LOCKS_PER_CLIENT = 16;

  record NodeRef(String id, String host, int port, long pid) {
    SocketAddress address() {
      return SocketAddress.inetSocketAddress(port, host);
    }
  }

  /** 0 warm-up, 1 measuring, 2 stopping. */
  static final class Phase {
    volatile int state;

    boolean measuring() {
      return state == 1;
    }

    boolean stopping() {
      return state == 2;
    }
  }

  record PairsResult(String via, int clients, double seconds, long pairs, ApiLatencies acquire,
      ApiLatencies release, long errors, Map<String, Integer> errorKinds, LockSafety safety,
      Map<String, Double> cpuMs) {
    double rate() {
      return pairs / seconds;
    }

    /** CPU microseconds per pair spent by each sampled process ("driver" = the load generator). */
    String cpuPerPair() {
      StringBuilder b = new StringBuilder();
      cpuMs.forEach((id, ms) -> b.append(b.length() == 0 ? "" : " ").append(id).append(' ')
          .append(pairs == 0 ? "-" : String.format("%.0f", ms * 1000 / pairs)));
      return b.toString();
    }
  }

  record HandoffResult(String via, int waiters, double seconds, long grants, ApiLatencies respToGrant,
      ApiLatencies sentToGrant, long pushFirst, long errors, Map<String, Integer> errorKinds, LockSafety safety) {
    double rate() {
      return grants / seconds;
    }
  }

  private final Vertx vertx;
  private final List<Context> contexts;
  private final int warmupS;
  private final int measureS;
  private int runs;
  /** Nodes whose CPU time is sampled around each measured window (set by run()). */
  private List<NodeRef> cpuNodes = List.of();
  private Map<String, ProcCpu.Sample> cpuAtStart = Map.of();
  /** CPU milliseconds each process used in the last measured window. */
  private Map<String, Double> cpuInWindow = Map.of();

  /** The measurement windows: a Vert.x timer awaited from main(), never on an event loop. */
  private void waitMs(long ms) {
    vertx.timer(ms, java.util.concurrent.TimeUnit.MILLISECONDS).await();
  }

  /** Warm-up, then the measured window; returns its length in seconds (phase 2 after it). */
  private double measureWindow(Phase phase, int warmupS, int measureS) {
    waitMs(warmupS * 1000L);
    phase.state = 1;
    long t0 = System.nanoTime();
    cpuAtStart = ProcCpu.sample(cpuPids());
    waitMs(measureS * 1000L);
    phase.state = 2;
    cpuInWindow = ProcCpu.since(cpuAtStart);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Node processes (by id) and this driver, whose CPU time per measured window is reported. */
  private Map<String, Long> cpuPids() {
    Map<String, Long> pids = new java.util.LinkedHashMap<>();
    for (NodeRef n : cpuNodes) {
      if (n.pid() > 0) {
        pids.put(n.id(), n.pid());
      }
    }
    pids.put("driver", ProcessHandle.current().pid());
    return pids;
  }

  private ApiLoadBench(Vertx vertx, List<Context> contexts, int warmupS, int measureS) {
    this.vertx = vertx;
    this.contexts = contexts;
    this.warmupS = warmupS;
    this.measureS = measureS;
  }

  /** A driver with its own Vert.x and {@code loops} event loops, for other benchmark mains. */
  static ApiLoadBench create(int loops, int warmupS, int measureS) {
    Vertx vertx = Vertx.vertx(NettyTransport.preferNative(new VertxOptions().setEventLoopPoolSize(loops)));
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(loops)).await();
    return new ApiLoadBench(vertx, List.copyOf(contexts), warmupS, measureS);
  }

  Vertx vertx() {
    return vertx;
  }

  /** Reports the CPU time of these node processes (and of this driver) per measured window. */
  void measureCpuOf(List<NodeRef> nodes) {
    cpuNodes = nodes;
  }

  void close() {
    vertx.close().await();
  }

  public static void main(String[] args) throws Exception {
    List<NodeRef> nodes = new ArrayList<>();
    int warmup = 5;
    int measure = 15;
    List<Integer> clients = List.of(1, 8, 64);
    int followerClients = 64;
    int waiters = 16;
    int followerWaiters = 0;
    int floorClients = 64;
    int loops = 1;
    Path profile = null;
    int profileSeconds = 10;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> {
          nodes.addAll(BenchArgs.nodes(args[++i]));
        }
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--measure" -> measure = Integer.parseInt(args[++i]);
        case "--quick" -> {
          warmup = 2;
          measure = 5;
          profileSeconds = 5;
        }
        case "--clients" -> clients = List.of(args[++i].split(",")).stream().map(Integer::parseInt).toList();
        case "--follower-clients" -> followerClients = Integer.parseInt(args[++i]);
        case "--waiters" -> waiters = Integer.parseInt(args[++i]);
        case "--follower-waiters" -> followerWaiters = Integer.parseInt(args[++i]);
        case "--floor-clients" -> floorClients = Integer.parseInt(args[++i]);
        case "--driver-loops" -> loops = Integer.parseInt(args[++i]);
        case "--profile" -> profile = Path.of(args[++i]);
        case "--profile-seconds" -> profileSeconds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("--nodes id=host:port:pid,... is required (see scripts/bench-api.sh)");
    }
    ApiLoadBench bench = create(loops, warmup, measure);
    try {
      bench.run(nodes, clients, followerClients, waiters, followerWaiters, floorClients, profile, profileSeconds);
    } finally {
      bench.close();
    }
  }

  private void run(List<NodeRef> nodes, List<Integer> clientCounts, int followerClients, int waiters,
      int followerWaiters, int floorClients, Path profile, int profileSeconds) throws Exception {
    cpuNodes = nodes;
    NodeRef leader = awaitLeader(nodes);
    NodeRef follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    System.out.printf("leader %s (%s:%d), follower for forwarding %s; warm-up %d s, measure %d s, "
        + "%d driver event loop(s), %d cores on this machine%n", leader.id(), leader.host(), leader.port(),
        follower.id(), warmupS, measureS, contexts.size(), Runtime.getRuntime().availableProcessors());
    String loadBefore = loadAverage();
    List<PingResult> floors = new ArrayList<>();
    floors.add(print(runPing(leader, "Health (no Raft)", 3, stub -> stub.health(HealthRequest.getDefaultInstance()))));
    floors.add(print(runPing(leader, "GetLockInfo stale_read (Raft context hop, no commit)", 3,
        stub -> stub.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("floor").setStaleRead(true).build()))));
    floors.add(print(runPing(leader, "GetLockInfo linearizable (ReadIndex round)", 3,
        stub -> stub.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("floor").build()))));
    List<PairsResult> pairs = new ArrayList<>();
    if (floorClients > 0) {
      pairs.add(print(runNoCommitPairs(leader, floorClients, warmupS, measureS)));
    }
    for (int c : clientCounts) {
      pairs.add(print(runPairs(leader, "leader", c, warmupS, measureS)));
    }
    if (followerClients > 0) {
      pairs.add(print(runPairs(follower, "follower", followerClients, warmupS, measureS)));
    }
    List<HandoffResult> handoffs = new ArrayList<>();
    if (waiters > 0) {
      handoffs.add(print(runHandoffs(leader, "leader", waiters, warmupS, measureS)));
    }
    if (followerWaiters > 0) {
      handoffs.add(print(runHandoffs(follower, "follower", followerWaiters, warmupS, measureS)));
    }
    if (profile != null) {
      profile(leader, profile, profileSeconds, waiters);
    }
    System.out.printf("%nsystem load average (1/5/15 min) before the runs: %s, after: %s (%d cores; other "
        + "processes on the machine count too)%n", loadBefore, loadAverage(), Runtime.getRuntime().availableProcessors());
    printTables(floors, pairs, handoffs);
    printTargets(pairs, handoffs);
  }

  // ---------------------------------------------------------------- scenario 1: pairs

  /** One simulated client: acquire, release, repeat; touched only on its context. */
  private final class PairClient {
    final RaftLockGrpcClient stub;
    final String id;
    final Phase phase;
    final CountDownLatch done;
    final ApiLatencies acquire = new ApiLatencies();
    final ApiLatencies release = new ApiLatencies();
    final Map<String, Integer> errorKinds;
    final LockSafety safety;
    long pairs;
    long errors;
    int n;

    PairClient(RaftLockGrpcClient stub, String id, Phase phase, CountDownLatch done, Map<String, Integer> errorKinds,
        LockSafety safety) {
      this.stub = stub;
      this.safety = safety;
      this.id = id;
      this.phase = phase;
      this.done = done;
      this.errorKinds = errorKinds;
    }

    void next() {
      if (phase.stopping()) {
        done.countDown();
        return;
      }
      String lock = "lock-" + id + "-" + (n++ % LOCKS_PER_CLIENT);
      boolean measured = phase.measuring();
      long t0 = System.nanoTime();
      stub.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(id).setTtl(TTL).build()).onComplete(ar -> {
        long t1 = System.nanoTime();
        if (ar.failed() || !ar.result().getAcquired()) {
          error(ar.failed() ? "acquire failed: " + ar.cause().getMessage() : "acquire: " + ar.result().getError().getCode());
          vertx.setTimer(ar.failed() ? 10 : 1, x -> next());
          return;
        }
        long version = ar.result().getLock().getVersion();
        safety.acquired(lock, version);
        safety.releasing(lock);
        stub.release(ReleaseRequest.newBuilder().setLockId(lock).setClientId(id).setVersion(version).build())
            .onComplete(rr -> {
              long t2 = System.nanoTime();
              if (rr.failed() || !rr.result().getReleased()) {
                error(rr.failed() ? "release failed: " + rr.cause().getMessage() : "release: " + rr.result().getError().getCode());
                vertx.setTimer(10, x -> next());
                return;
              }
              if (measured && phase.measuring()) {
                acquire.add(t1 - t0);
                release.add(t2 - t1);
                pairs++;
              }
              next();
            });
      });
    }

    void error(String kind) {
      errors++;
      errorKinds.merge(kind, 1, Integer::sum);
    }
  }

  PairsResult runPairs(NodeRef node, String via, int clients, int warmup, int measure) throws Exception {
    GrpcClient grpc = grpcClient();
    RaftLockGrpcClient stub = RaftLockGrpcClient.create(grpc, node.address());
    Phase phase = new Phase();
    CountDownLatch done = new CountDownLatch(clients);
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    LockSafety safety = new LockSafety();
    String run = "r" + (++runs) + "-" + Long.toString(System.nanoTime(), 36);
    List<PairClient> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      PairClient c = new PairClient(stub, run + "-c" + i, phase, done, errorKinds, safety);
      all.add(c);
      contexts.get(i % contexts.size()).runOnContext(v -> c.next());
    }
    double seconds = measureWindow(phase, warmup, measure);
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + done.getCount() + " clients did not finish their last pair within 30 s");
    }
    grpc.close().await();
    return new PairsResult(via, clients, seconds, all.stream().mapToLong(c -> c.pairs).sum(),
        ApiLatencies.merge(all.stream().map(c -> c.acquire).toList()),
        ApiLatencies.merge(all.stream().map(c -> c.release).toList()),
        all.stream().mapToLong(c -> c.errors).sum(), errorKinds, safety, cpuInWindow);
  }

  /**
   * The throughput floor of the client API path: {@code clients} loops of two stale-read
   * GetLockInfo calls (the same HTTP/2 unary path and Raft-context hop as an acquire and a
   * release, without the log write, replication and apply). No Raft workload can beat what this
   * reaches on the same machine.
   */
  PairsResult runNoCommitPairs(NodeRef node, int clients, int warmup, int measure) throws Exception {
    GrpcClient grpc = grpcClient();
    RaftLockGrpcClient stub = RaftLockGrpcClient.create(grpc, node.address());
    Phase phase = new Phase();
    CountDownLatch done = new CountDownLatch(clients);
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    List<ApiLatencies> first = new ArrayList<>();
    List<ApiLatencies> second = new ArrayList<>();
    long[] pairs = new long[clients];
    long[] errors = new long[clients];
    for (int i = 0; i < clients; i++) {
      int c = i;
      ApiLatencies a = new ApiLatencies();
      ApiLatencies b = new ApiLatencies();
      first.add(a);
      second.add(b);
      GetLockInfoRequest read = GetLockInfoRequest.newBuilder().setLockId("floor-" + c).setStaleRead(true).build();
      contexts.get(i % contexts.size()).runOnContext(v -> repeatUntilStopped(phase, done, () -> {
        boolean measured = phase.measuring();
        long t0 = System.nanoTime();
        return stub.getLockInfo(read).compose(r -> {
          long t1 = System.nanoTime();
          return stub.getLockInfo(read).map(r2 -> new long[] {t1, System.nanoTime()});
        }).onComplete(ar -> {
          if (ar.failed()) {
            errors[c]++;
            errorKinds.merge("read failed: " + ar.cause().getMessage(), 1, Integer::sum);
          } else if (measured && phase.measuring()) {
            a.add(ar.result()[0] - t0);
            b.add(ar.result()[1] - ar.result()[0]);
            pairs[c]++;
          }
        });
      }));
    }
    double seconds = measureWindow(phase, warmup, measure);
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + done.getCount() + " floor clients did not finish within 30 s");
    }
    grpc.close().await();
    return new PairsResult("no-commit", clients, seconds, java.util.Arrays.stream(pairs).sum(),
        ApiLatencies.merge(first), ApiLatencies.merge(second), java.util.Arrays.stream(errors).sum(), errorKinds,
        new LockSafety(), cpuInWindow);
  }

  // ---------------------------------------------------------------- floors: one client, no writes
  /**
   * Starts {@code once} again each time its future completes (after the handlers it registered
   * itself), until the phase stops; then counts down {@code done}. Runs on the caller's context.
   */
  private static void repeatUntilStopped(Phase phase, CountDownLatch done, java.util.function.Supplier<Future<?>> once) {
    if (phase.stopping()) {
      done.countDown();
      return;
    }
    once.get().onComplete(ar -> repeatUntilStopped(phase, done, once));
  }


  record PingResult(String call, int calls, ApiLatencies latency, long errors) { }

  /**
   * One client calling {@code call} back to back for 1 s of warm-up and {@code seconds} measured:
   * the latency floor of the client API path without a Raft commit.
   */
  private PingResult runPing(NodeRef node, String name, int seconds,
      java.util.function.Function<RaftLockGrpcClient, Future<?>> call) throws Exception {
    GrpcClient grpc = grpcClient();
    RaftLockGrpcClient stub = RaftLockGrpcClient.create(grpc, node.address());
    Phase phase = new Phase();
    ApiLatencies lat = new ApiLatencies();
    long[] errors = new long[1];
    CountDownLatch done = new CountDownLatch(1);
    contexts.get(0).runOnContext(v -> repeatUntilStopped(phase, done, () -> {
      boolean measured = phase.measuring();
      long t0 = System.nanoTime();
      return call.apply(stub).onComplete(ar -> {
        if (ar.failed()) {
          errors[0]++;
        } else if (measured && phase.measuring()) {
          lat.add(System.nanoTime() - t0);
        }
      });
    }));
    waitMs(1000);
    phase.state = 1;
    waitMs(seconds * 1000L);
    phase.state = 2;
    done.await(10, TimeUnit.SECONDS);
    grpc.close().await();
    return new PingResult(name, lat.count(), lat, errors[0]);
  }

  private static PingResult print(PingResult r) {
    System.out.printf("floor %-55s p50 %.3f p99 %.3f ms (%d calls, errors %d)%n", r.call(),
        r.latency().percentileMs(50), r.latency().percentileMs(99), r.calls(), r.errors());
    return r;
  }

  // ---------------------------------------------------------------- scenario 2: handoffs

  /** One release and the grant it causes (all fields on the handoff context). */
  private static final class Handoff {
    final long sentAt;
    long responseAt;
    long grantAt;
    boolean promoted;
    boolean responded;

    Handoff(long sentAt) {
      this.sentAt = sentAt;
    }
  }

  /** The handoff scenario: every waiter and the shared state live on one context. */
  private final class HandoffRun {
    final RaftLockGrpcClient stub;
    final String lock;
    final Phase phase;
    final CountDownLatch started;
    final CountDownLatch finished;
    final ApiLatencies respToGrant = new ApiLatencies();
    final ApiLatencies sentToGrant = new ApiLatencies();
    final Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    final LockSafety safety = new LockSafety();
    /** The last release sent: the next grant pushed is the one it causes. */
    Handoff current;
    long grants;
    long pushFirst;
    long errors;

    HandoffRun(RaftLockGrpcClient stub, String lock, Phase phase, int waiters) {
      this.stub = stub;
      this.lock = lock;
      this.phase = phase;
      this.started = new CountDownLatch(waiters);
      this.finished = new CountDownLatch(waiters);
    }

    final class Waiter {
      final String id;
      long actedOn; // highest token this waiter has released (or is releasing)
      boolean finishedFlag;

      Waiter(String id) {
        this.id = id;
      }

      void open() {
        stub.watch(WatchRequest.newBuilder().setClientId(id).build()).onComplete(ar -> {
          if (ar.failed()) {
            error("watch failed: " + ar.cause().getMessage());
            started.countDown();
            return;
          }
          ar.result().exceptionHandler(t -> {
            if (!phase.stopping()) {
              error("watch ended: " + t.getMessage());
            }
          });
          ar.result().handler(this::onEvent);
        });
      }

      void onEvent(LockEventMessage e) {
        if (e.getKind() == LockEventMessage.Kind.WATCH_STARTED) {
          started.countDown();
        } else if (e.getKind() == LockEventMessage.Kind.GRANTED && e.getLockId().equals(lock)) {
          long now = System.nanoTime();
          if (e.getVersion() <= actedOn) {
            return; // a grant already seen in the acquire response
          }
          Handoff h = current;
          if (h != null && h.grantAt == 0) {
            h.grantAt = now;
            record(h);
          }
          if (phase.measuring()) {
            grants++;
          }
          releaseAndRequeue(e.getVersion());
        }
      }

      void queue() {
        if (phase.stopping()) {
          finish();
          return;
        }
        stub.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(id).setTtl(TTL).setWait(true)
            .setWaitTimeout(WAIT_TIMEOUT).build()).onComplete(ar -> {
              if (ar.failed()) {
                error("acquire failed: " + ar.cause().getMessage());
                vertx.setTimer(10, x -> queue());
                return;
              }
              AcquireResponse r = ar.result();
              if (r.getAcquired()) {
                // The lock was free: a direct grant, no handoff to time.
                if (r.getLock().getVersion() > actedOn) {
                  releaseAndRequeue(r.getLock().getVersion());
                }
              } else if (!r.getQueued()) {
                error("acquire: " + r.getError().getCode());
                vertx.setTimer(1, x -> queue());
              }
            });
      }

      void releaseAndRequeue(long token) {
        actedOn = token;
        safety.acquired(lock, token, id);
        safety.releasing(lock);
        Handoff h = new Handoff(System.nanoTime());
        current = h;
        stub.release(ReleaseRequest.newBuilder().setLockId(lock).setClientId(id).setVersion(token).build())
            .onComplete(ar -> {
              h.responseAt = System.nanoTime();
              h.responded = true;
              if (ar.failed() || !ar.result().getReleased()) {
                error(ar.failed() ? "release failed: " + ar.cause().getMessage() : "release: " + ar.result().getError().getCode());
              } else {
                h.promoted = ar.result().getWaiterPromoted();
                record(h);
              }
              queue();
            });
      }

      void finish() {
        if (!finishedFlag) {
          finishedFlag = true;
          finished.countDown();
        }
      }
    }

    /** Records a handoff once both its release response and its grant push have arrived. */
    void record(Handoff h) {
      if (!h.responded || !h.promoted || h.grantAt == 0 || !phase.measuring()) {
        return;
      }
      long d = h.grantAt - h.responseAt;
      if (d < 0) {
        pushFirst++;
      }
      respToGrant.add(Math.max(0, d));
      sentToGrant.add(h.grantAt - h.sentAt);
    }

    void error(String kind) {
      errors++;
      errorKinds.merge(kind, 1, Integer::sum);
    }
  }

  HandoffResult runHandoffs(NodeRef node, String via, int waiters, int warmup, int measure) throws Exception {
    GrpcClient grpc = grpcClient();
    RaftLockGrpcClient stub = RaftLockGrpcClient.create(grpc, node.address());
    Phase phase = new Phase();
    String run = "r" + (++runs) + "-" + Long.toString(System.nanoTime(), 36);
    HandoffRun h = new HandoffRun(stub, "handoff-" + run, phase, waiters);
    List<HandoffRun.Waiter> ws = new ArrayList<>();
    Context ctx = contexts.get(0);
    for (int i = 0; i < waiters; i++) {
      ws.add(h.new Waiter(run + "-w" + i));
    }
    ctx.runOnContext(v -> ws.forEach(HandoffRun.Waiter::open));
    if (!h.started.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("watch streams did not start within 30 s");
    }
    ctx.runOnContext(v -> ws.forEach(HandoffRun.Waiter::queue));
    double seconds = measureWindow(phase, warmup, measure);
    // Stopping: each waiter releases its next grant and does not queue again.
    if (!h.finished.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + h.finished.getCount() + " waiters did not drain within 30 s");
    }
    grpc.close().await();
    CountDownLatch read = new CountDownLatch(1);
    HandoffResult[] result = new HandoffResult[1];
    ctx.runOnContext(v -> {
      result[0] = new HandoffResult(via, waiters, seconds, h.grants, h.respToGrant, h.sentToGrant, h.pushFirst,
          h.errors, h.errorKinds, h.safety);
      read.countDown();
    });
    read.await();
    return result[0];
  }

  // ---------------------------------------------------------------- profile

  /**
   * Repeats the 64-client pairs run (and the handoff run) with a JFR recording (settings=profile)
   * of the leader and of this driver, then summarizes the CPU samples. The leader's recording is
   * started with jcmd while the cluster is idle and stopped (written) after the run: attaching to
   * a node under full load on 2 cores stalled it long enough to lose leadership.
   */
  private void profile(NodeRef leader, Path dir, int seconds, int waiters) throws Exception {
    Files.createDirectories(dir);
    if (leader.pid() < 0) {
      System.out.println("profile skipped: the leader's pid is unknown");
      return;
    }
    for (String what : waiters > 0 ? List.of("pairs64", "handoff") : List.of("pairs64")) {
      Path leaderJfr = dir.resolve("leader-" + what + ".jfr").toAbsolutePath();
      Path driverJfr = dir.resolve("driver-" + what + ".jfr").toAbsolutePath();
      Files.deleteIfExists(leaderJfr);
      String name = "bench-" + what;
      System.out.printf("%nprofiling %s: JFR of the leader (pid %d) and of the driver over a %d s run%n",
          what, leader.pid(), seconds);
      jcmd(leader.pid(), "Started recording", "JFR.start", "name=" + name, "settings=profile");
      waitMs(1000);
      try (Recording driver = new Recording(Configuration.getConfiguration("profile"))) {
        driver.start();
        Object r = what.equals("pairs64") ? runPairs(leader, "leader (profiled)", 64, 1, seconds)
            : runHandoffs(leader, "leader (profiled)", waiters, 1, seconds);
        driver.stop();
        driver.dump(driverJfr);
        jcmd(leader.pid(), "", "JFR.stop", "name=" + name, "filename=" + leaderJfr);
        System.out.println("  (profiled run: " + summaryLine(r) + ")");
      }
      for (Path f : List.of(leaderJfr, driverJfr)) {
        if (Files.exists(f) && Files.size(f) > 0) {
          String s = ApiJfrSummary.summarize(f, 15);
          Files.writeString(dir.resolve(f.getFileName().toString().replace(".jfr", ".txt")), s);
          System.out.println();
          System.out.print(s);
        } else {
          System.out.println("no recording at " + f);
        }
      }
    }
  }

  private static String summaryLine(Object r) {
    if (r instanceof PairsResult p) {
      return String.format("%.0f pairs/s, acquire p99 %.2f ms", p.rate(), p.acquire().percentileMs(99));
    }
    HandoffResult h = (HandoffResult) r;
    return String.format("%.0f handoffs/s, grant p99 %.2f ms", h.rate(), h.respToGrant().percentileMs(99));
  }

  static void jcmd(long pid, String expect, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    cmd.add(Long.toString(pid));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0 || !out.contains(expect)) {
      throw new IOException("jcmd " + String.join(" ", args) + ": " + out.trim());
    }
  }

  // ---------------------------------------------------------------- output

  private static PairsResult print(PairsResult r) {
    System.out.printf("pairs via %-8s %3d clients: %8.0f pairs/s  acquire p50 %.2f p99 %.2f p999 %.2f ms  "
        + "release p50 %.2f p99 %.2f ms  errors %d%s  safety violations %d  CPU µs/pair: %s  [load %s]%n", r.via(),
        r.clients(), r.rate(),
        r.acquire().percentileMs(50), r.acquire().percentileMs(99), r.acquire().percentileMs(99.9),
        r.release().percentileMs(50), r.release().percentileMs(99), r.errors(),
        r.errorKinds().isEmpty() ? "" : " " + r.errorKinds(),
        r.safety().occupancyViolations() + r.safety().tokenViolations(), r.cpuPerPair(), loadAverage());
    return r;
  }

  private static HandoffResult print(HandoffResult r) {
    System.out.printf("handoff via %-8s %2d waiters: %7.0f handoffs/s  grant (release response → push) p50 %.2f "
        + "p99 %.2f ms  (release sent → push) p50 %.2f p99 %.2f ms  push before response %d/%d  errors %d%s  safety violations %d  [load %s]%n",
        r.via(), r.waiters(), r.rate(), r.respToGrant().percentileMs(50), r.respToGrant().percentileMs(99),
        r.sentToGrant().percentileMs(50), r.sentToGrant().percentileMs(99), r.pushFirst(),
        r.respToGrant().count(), r.errors(), r.errorKinds().isEmpty() ? "" : " " + r.errorKinds(),
        r.safety().occupancyViolations() + r.safety().tokenViolations(), loadAverage());
    return r;
  }

  private static void printTables(List<PingResult> floors, List<PairsResult> pairs, List<HandoffResult> handoffs) {
    System.out.println();
    System.out.println("| single-client call (no write) | p50 ms | p99 ms | calls |");
    System.out.println("|---|---:|---:|---:|");
    for (PingResult r : floors) {
      System.out.printf("| %s | %.3f | %.3f | %d |%n", r.call(), r.latency().percentileMs(50), r.latency().percentileMs(99), r.calls());
    }
    System.out.println();
    System.out.println("| scenario | via | clients | pairs/s | acquire p50 ms | acquire p99 ms | acquire p999 ms | release p50 ms | release p99 ms | errors |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (PairsResult r : pairs) {
      System.out.printf("| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |%n",
          r.via().equals("no-commit") ? "floor: 2 stale reads" : "acquire+release", r.via(), r.clients(),
          r.rate(), r.acquire().percentileMs(50), r.acquire().percentileMs(99), r.acquire().percentileMs(99.9),
          r.release().percentileMs(50), r.release().percentileMs(99), r.errors());
    }
    if (!handoffs.isEmpty()) {
      System.out.println();
      System.out.println("| scenario | via | waiters | handoffs/s | grant p50 ms | grant p99 ms | release sent → grant p50 ms | p99 ms | push before response | errors |");
      System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (HandoffResult r : handoffs) {
        System.out.printf("| handoff | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %d of %d | %d |%n", r.via(), r.waiters(),
            r.rate(), r.respToGrant().percentileMs(50), r.respToGrant().percentileMs(99), r.sentToGrant().percentileMs(50),
            r.sentToGrant().percentileMs(99), r.pushFirst(), r.respToGrant().count(), r.errors());
      }
    }
  }

  private static void printTargets(List<PairsResult> pairs, List<HandoffResult> handoffs) {
    System.out.println();
    Optional<PairsResult> p64 = pairs.stream().filter(p -> p.via().equals("leader") && p.clients() == 64).findFirst();
    Optional<PairsResult> p1 = pairs.stream().filter(p -> p.via().equals("leader") && p.clients() == 1).findFirst();
    Optional<HandoffResult> h = handoffs.stream().filter(r -> r.via().equals("leader")).findFirst();
    p64.ifPresent(r -> target("≥ 30,000 pairs/s at 64 clients", r.rate() >= 30_000, String.format("%.0f", r.rate())));
    p64.ifPresent(r -> target("acquire p99 ≤ 10 ms at 64 clients", r.acquire().percentileMs(99) <= 10,
        String.format("%.2f ms", r.acquire().percentileMs(99))));
    p1.ifPresent(r -> target("acquire p50 ≤ 0.5 ms, single client", r.acquire().percentileMs(50) <= 0.5,
        String.format("%.2f ms", r.acquire().percentileMs(50))));
    h.ifPresent(r -> target("≥ 5,000 handoffs/s", r.rate() >= 5_000, String.format("%.0f", r.rate())));
    h.ifPresent(r -> {
      target("grant latency p99 ≤ 2 ms (release response → push)", r.respToGrant().percentileMs(99) <= 2,
          String.format("%.2f ms; the push came first in %d of %d handoffs", r.respToGrant().percentileMs(99),
              r.pushFirst(), r.respToGrant().count()));
      target("  same, release sent → push (full handoff)", r.sentToGrant().percentileMs(99) <= 2,
          String.format("%.2f ms", r.sentToGrant().percentileMs(99)));
    });
  }

  private static void target(String what, boolean met, String measured) {
    System.out.printf("target %-52s %-8s measured %s%n", what, met ? "MET" : "NOT MET", measured);
  }

  // ---------------------------------------------------------------- plumbing

  private GrpcClient grpcClient() {
    return GrpcClient.client(vertx, new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true));
  }

  /** The 1, 5 and 15 minute load averages (Linux), or "?" elsewhere. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /**
   * The member that leads, confirmed: it reports itself a ready leader and a majority of the
   * members (itself included) name it leader at the same term. A leader deposed a moment ago
   * still claims the role until it hears of the new term; killing it would measure no failover.
   */
  static NodeRef awaitLeader(List<NodeRef> nodes) {
    return awaitLeader(nodes, BenchAccess.PLAIN);
  }

  /** As above, reading the nodes' {@code /status} through {@code access} (plaintext or TLS). */
  static NodeRef awaitLeader(List<NodeRef> nodes, BenchAccess access) {
    java.util.concurrent.atomic.AtomicReference<NodeRef> leader = new java.util.concurrent.atomic.AtomicReference<>();
    org.awaitility.Awaitility.await("a ready leader").atMost(java.time.Duration.ofSeconds(60))
        .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
          Map<NodeRef, JsonNode> statuses = new java.util.LinkedHashMap<>();
          for (NodeRef n : nodes) {
            access.json(n, "/status", java.time.Duration.ofMillis(500)).ifPresent(s -> statuses.put(n, s));
          }
          leader.set(confirmedLeader(statuses, nodes.size()));
          return leader.get() != null;
        });
    return leader.get();
  }

  /** The ready leader a majority of {@code members} names at its term, or null. */
  static NodeRef confirmedLeader(Map<NodeRef, JsonNode> statuses, int members) {
    for (Map.Entry<NodeRef, JsonNode> e : statuses.entrySet()) {
      JsonNode s = e.getValue();
      if (!s.path("leaderReady").asBoolean()) {
        continue;
      }
      long term = s.path("term").asLong();
      long votes = statuses.values().stream().filter(o -> o.path("term").asLong() == term
          && e.getKey().id().equals(o.path("leaderId").asText())).count();
      if (votes > members / 2) {
        return e.getKey();
      }
    }
    return null;
  }


}
