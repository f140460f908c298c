package io.raftlock.bench;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * W1 and W2 of scripts/bench.sh through the public API of {@link RaftLockClient}, the way an
 * application uses it: every simulated user is a thread making blocking calls ({@code tryLock},
 * {@code unlock}), with its own client (its own session, connections and client id; the clients
 * of one process share its Vert.x event loops, as jetcd's clients share grpc-java's) or with one
 * client shared by all users (a service with many threads). Only the public API is used, so the figures follow whatever the client does inside.
 *
 * <p>The clients are given every node, in the order of {@code --nodes}, as an application's
 * configuration lists them; where the calls go is the client's choice.
 */
final class ClientLoadBench {
  static final Duration TTL = Duration.ofSeconds(60);
  /** Bound on one tryLock; a user that gets nothing in this time counts an error. */
  static final Duration WAIT = Duration.ofSeconds(30);
  private static final long ERROR_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final List<ApiLoadBench.NodeRef> nodes;
  private final String endpoints;
  private final int warmupS;
  private final int measureS;
  /** Plaintext, or TLS and an API key (a secure cluster): how every client of a run connects. */
  private final BenchAccess access;
  private int runs;
  /** CPU milliseconds each process (node id, "driver") used in the last measured window. */
  private Map<String, Double> cpuInWindow = Map.of();

  ClientLoadBench(List<ApiLoadBench.NodeRef> nodes, int warmupS, int measureS, BenchAccess access) {
    this.nodes = nodes;
    this.access = access;
    this.endpoints = nodes.stream().map(n -> n.host() + ":" + n.port()).collect(Collectors.joining(","));
    this.warmupS = warmupS;
    this.measureS = measureS;
  }

  /** CPU milliseconds of each node process and of this driver in the last measured window. */
  Map<String, Double> lastCpuMs() {
    return cpuInWindow;
  }

  // ---------------------------------------------------------------- W1: pairs

  /** One simulated user of W1: its latencies and counters are touched by its thread only. */
  private static final class PairUser {
    final ApiLatencies acquire = new ApiLatencies();
    final ApiLatencies release = new ApiLatencies();
    long pairs;
    long errors;
  }

  /**
   * {@code users} threads acquiring and releasing their own locks ({@code lock-<user>-<n % 16>})
   * in a loop, each through its own client, or all through one ({@code shared}).
   */
  ApiLoadBench.PairsResult runPairs(int users, boolean shared) throws Exception {
    String run = runName();
    List<RaftLockClient> clients = open(shared ? 1 : users, run);
    ApiLoadBench.Phase phase = new ApiLoadBench.Phase();
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    LockSafety safety = new LockSafety();
    List<PairUser> all = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      PairUser u = new PairUser();
      all.add(u);
      RaftLockClient client = clients.get(shared ? 0 : i);
      String prefix = "lock-" + run + "-u" + i + "-";
      threads.add(start("w1-user-" + i, () -> pairLoop(client, prefix, u, phase, safety, errorKinds)));
    }
    double seconds = measureWindow(phase);
    join(threads);
    close(clients);
    return new ApiLoadBench.PairsResult(shared ? "shared RaftLockClient" : "RaftLockClient per user", users, seconds,
        all.stream().mapToLong(u -> u.pairs).sum(), ApiLatencies.merge(all.stream().map(u -> u.acquire).toList()),
        ApiLatencies.merge(all.stream().map(u -> u.release).toList()), all.stream().mapToLong(u -> u.errors).sum(),
        errorKinds, safety, cpuInWindow);
  }

  private static void pairLoop(RaftLockClient client, String prefix, PairUser u, ApiLoadBench.Phase phase,
      LockSafety safety, Map<String, Integer> errorKinds) {
    for (long n = 0; !phase.stopping(); n++) {
      String lock = prefix + (n % ApiLoadBench.LOCKS_PER_CLIENT);
      boolean measured = phase.measuring();
      long t0 = System.nanoTime();
      Optional<LockHandle> h = tryLock(client, lock, errorKinds);
      long t1 = System.nanoTime();
      if (h.isEmpty()) {
        u.errors++;
        LockSupport.parkNanos(ERROR_PAUSE_NANOS);
        continue;
      }
      safety.acquired(lock, h.get().token());
      safety.releasing(lock);
      boolean released = unlock(client, h.get(), errorKinds);
      long t2 = System.nanoTime();
      if (!released) {
        u.errors++;
        LockSupport.parkNanos(ERROR_PAUSE_NANOS);
      } else if (measured && phase.measuring()) {
        u.acquire.add(t1 - t0);
        u.release.add(t2 - t1);
        u.pairs++;
      }
    }
  }

  // ---------------------------------------------------------------- W2: handoff

  /** One release and the grant that follows it (guarded by the run's monitor). */
  private static final class Handoff {
    final long sentAt;
    long responseAt;
    long grantAt;

    Handoff(long sentAt) {
      this.sentAt = sentAt;
    }
  }

  /** The shared state of a handoff run; every field is guarded by {@code this}. */
  private static final class HandoffState {
    final ApiLatencies respToGrant = new ApiLatencies();
    final ApiLatencies sentToGrant = new ApiLatencies();
    final ApiLoadBench.Phase phase;
    /** The last release called: the next grant is the one it made possible. */
    Handoff current;
    long grants;
    long grantFirst;
    long errors;

    HandoffState(ApiLoadBench.Phase phase) {
      this.phase = phase;
    }

    synchronized Handoff granted(long at) {
      if (current != null && current.grantAt == 0) {
        current.grantAt = at;
        record(current);
      }
      if (phase.measuring()) {
        grants++;
      }
      current = new Handoff(System.nanoTime());
      return current;
    }

    synchronized void released(Handoff h, long at) {
      h.responseAt = at;
      record(h);
    }

    synchronized void error() {
      errors++;
    }

    /** Records a handoff once its release has returned and the next grant has arrived. */
    private void record(Handoff h) {
      if (h.responseAt == 0 || h.grantAt == 0 || !phase.measuring()) {
        return;
      }
      long d = h.grantAt - h.responseAt;
      if (d < 0) {
        grantFirst++;
      }
      respToGrant.add(Math.max(0, d));
      sentToGrant.add(h.grantAt - h.sentAt);
    }
  }

  /**
   * {@code contenders} users, each with its own client, on one lock: the holder releases at once
   * and asks again. Per handoff: the next grant after the release call (the release called →
   * the next holder's {@code tryLock} returns) and after the release returned.
   */
  ApiLoadBench.HandoffResult runHandoffs(int contenders) throws Exception {
    String run = runName();
    String lock = "handoff-" + run;
    List<RaftLockClient> clients = open(contenders, run);
    ApiLoadBench.Phase phase = new ApiLoadBench.Phase();
    HandoffState state = new HandoffState(phase);
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    LockSafety safety = new LockSafety();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      RaftLockClient client = clients.get(i);
      threads.add(start("w2-user-" + i, () -> handoffLoop(client, lock, state, safety, errorKinds)));
    }
    double seconds = measureWindow(phase);
    // Stopping: each user releases its next grant and does not ask again, so the queue drains.
    join(threads);
    close(clients);
    synchronized (state) {
      return new ApiLoadBench.HandoffResult("RaftLockClient per user", contenders, seconds, state.grants,
          state.respToGrant, state.sentToGrant, state.grantFirst, state.errors, errorKinds, safety);
    }
  }

  private static void handoffLoop(RaftLockClient client, String lock, HandoffState state, LockSafety safety,
      Map<String, Integer> errorKinds) {
    while (!state.phase.stopping()) {
      Optional<LockHandle> h = tryLock(client, lock, errorKinds);
      long grantedAt = System.nanoTime();
      if (h.isEmpty()) {
        state.error();
        LockSupport.parkNanos(ERROR_PAUSE_NANOS);
        continue;
      }
      safety.acquired(lock, h.get().token(), client.clientId());
      Handoff mine = state.granted(grantedAt);
      safety.releasing(lock);
      if (unlock(client, h.get(), errorKinds)) {
        state.released(mine, System.nanoTime());
      } else {
        state.error();
      }
    }
  }

  // ---------------------------------------------------------------- calls

  /** The lock, or empty after an error (counted by kind) or when it was not granted in time. */
  private static Optional<LockHandle> tryLock(RaftLockClient client, String lock, Map<String, Integer> errorKinds) {
    try {
      Optional<LockHandle> h = client.tryLock(lock, TTL, WAIT);
      if (h.isEmpty()) {
        errorKinds.merge("acquire: not granted within " + WAIT.toSeconds() + " s", 1, Integer::sum);
      }
      return h;
    } catch (RuntimeException e) {
      errorKinds.merge("acquire: " + kind(e), 1, Integer::sum);
      return Optional.empty();
    }
  }

  /** True when released; false after an error or when the lock was no longer held. */
  private static boolean unlock(RaftLockClient client, LockHandle h, Map<String, Integer> errorKinds) {
    try {
      if (client.unlock(h)) {
        return true;
      }
      errorKinds.merge("release: no longer held", 1, Integer::sum);
    } catch (RuntimeException e) {
      errorKinds.merge("release: " + kind(e), 1, Integer::sum);
    }
    return false;
  }

  private static String kind(RuntimeException e) {
    Throwable c = e.getCause() != null && !(e instanceof RaftLockException) ? e.getCause() : e;
    if (c instanceof RaftLockException r) {
      return r.code().name();
    }
    return c.getClass().getSimpleName() + ": " + String.valueOf(c.getMessage()).split("\n")[0];
  }

  // ---------------------------------------------------------------- plumbing

  private String runName() {
    return "c" + (++runs) + "-" + Long.toString(System.nanoTime(), 36);
  }

  /**
   * {@code n} clients with the default settings (each its own Vert.x) and client ids of this run,
   * over TLS and with the API key when the cluster is a secure one.
   */
  private List<RaftLockClient> open(int n, String run) {
    List<RaftLockClient> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(access.apply(RaftLockClient.builder().endpoints(endpoints).clientId(run + "-client" + i)).build());
    }
    return out;
  }

  /** Closes the clients together; a close that hangs is reported, not waited for: the run goes on. */
  private static void close(List<RaftLockClient> clients) throws Exception {
    List<CompletableFuture<Void>> closing = clients.stream().map(c -> c.closeAsync().toCompletableFuture()).toList();
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      System.out.println("warning: " + closing.stream().filter(f -> !f.isDone()).count() + " of " + clients.size()
          + " clients did not close within 60 s");
    }
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void join(List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        System.out.println("warning: " + t.getName() + " did not finish its last call within 60 s");
      }
    }
  }

  /** Warm-up, then the measured window with the CPU time of every process; its length in seconds. */
  private double measureWindow(ApiLoadBench.Phase phase) throws InterruptedException {
    pause(warmupS * 1000L);
    phase.state = 1;
    long t0 = System.nanoTime();
    Map<String, ProcCpu.Sample> cpuAtStart = ProcCpu.sample(cpuPids(nodes));
    pause(measureS * 1000L);
    phase.state = 2;
    cpuInWindow = ProcCpu.since(cpuAtStart);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The node processes by id, and this driver (the client JVM) as "driver". */
  static Map<String, Long> cpuPids(List<ApiLoadBench.NodeRef> nodes) {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (ApiLoadBench.NodeRef n : nodes) {
      if (n.pid() > 0) {
        pids.put(n.id(), n.pid());
      }
    }
    pids.put("driver", ProcessHandle.current().pid());
    return pids;
  }

  /** Blocks the calling (main) thread for {@code ms}; never called on an event loop. */
  private static void pause(long ms) throws InterruptedException {
    new CountDownLatch(1).await(ms, TimeUnit.MILLISECONDS);
  }
}
