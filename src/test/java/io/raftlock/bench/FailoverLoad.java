package io.raftlock.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * W3 for any lock service: W1-style acquire+release pairs from C clients while the leader is
 * killed with {@code kill -9}. Each client is an application with a retrying client: a failed
 * call (error, timeout, retryable refusal) is retried on the next endpoint after a short backoff
 * with the same idempotency key, and only a call still failing after {@link #GIVE_UP_NS} is an
 * error surfaced to the application. Measures the time from the kill signal to the first
 * successful acquire sent after the killed process was dead (so the dying leader answered none), counts errors (retried and surfaced), and checks that no acknowledged
 * acquire was lost: every holding acknowledged before the kill and released after it must still
 * be held (the release finds it) — the clients' own and {@link #SENTINEL_LOCKS} taken just before
 * the kill and released after the failover — plus the {@link LockSafety} checks (a lost acquire
 * would also show as a token handed out again).
 */
final class FailoverLoad {
  static final long GIVE_UP_NS = TimeUnit.SECONDS.toNanos(10);
  static final long CALL_TIMEOUT_MS = 1_000;
  static final long BACKOFF_MS = 20;

  /** A holding: the lock, its token, and whatever the system needs to release it. */
  record Grant(String lock, long token, Object handle) { }

  /** One system's calls. A retryable failure completes exceptionally. */
  interface Ops {
    int endpoints();

    /**
     * Whether a release (retried with its idempotency key) answers for the holding even when an
     * earlier attempt was sent before the kill; if not, only holdings whose first release attempt
     * is sent after the kill (and verified first) are counted as checked.
     */
    boolean releaseTellsLoss();

    CompletableFuture<Grant> acquire(int endpoint, String clientId, String lock, String requestId);

    /**
     * Releases {@code g}; true when released, false when the service says the holding is gone
     * (an acknowledged acquire lost). {@code verify}: the first release attempt of a holding
     * acknowledged before the kill, for systems whose release cannot tell (etcd's unlock is a
     * delete that succeeds on a missing key) to check the holding first.
     */
    CompletableFuture<Boolean> release(int endpoint, String clientId, Grant g, String requestId, boolean verify);
  }

  record Result(int clients, double unavailableMs, long pairs, long errorsRetried, long errorsSurfaced,
      Map<String, Integer> errorKinds, long heldAcrossKill, long lost, LockSafety safety) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clients", clients);
      m.put("unavailableMs", unavailableMs);
      m.put("pairs", pairs);
      m.put("errorsRetried", errorsRetried);
      m.put("errorsSurfaced", errorsSurfaced);
      m.put("errorKinds", errorKinds);
      m.put("heldAcrossKill", heldAcrossKill);
      m.put("lostAcquires", lost);
      m.put("safety", safety.toMap());
      return m;
    }
  }

  private final Ops ops;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "failover-retry");
    t.setDaemon(true);
    return t;
  });
  private final LockSafety safety = new LockSafety();
  private final Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
  private final AtomicLong pairs = new AtomicLong();
  private final AtomicLong errorsRetried = new AtomicLong();
  private final AtomicLong errorsSurfaced = new AtomicLong();
  private final AtomicLong heldAcrossKill = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  /** nanoTime once the killed process is gone (0 before) and of the first successful acquire sent after it. */
  private volatile long killAt;
  private final AtomicLong firstAcquireAfterKill = new AtomicLong();
  private volatile boolean stopping;
  private final CountDownLatch recovered = new CountDownLatch(1);
  static final int SENTINEL_LOCKS = 8;

  /** A call from the main thread, retried like the clients' calls (next endpoint, backoff). */
  private <T> T call(int start, String what, java.util.function.IntFunction<CompletableFuture<T>> attempt)
      throws InterruptedException {
    long first = System.nanoTime();
    int ep = start;
    while (true) {
      try {
        return attempt.apply(ep).orTimeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).get();
      } catch (java.util.concurrent.ExecutionException e) {
        errorKinds.merge(what + ": " + e.getCause().getClass().getSimpleName(), 1, Integer::sum);
        if (System.nanoTime() - first > GIVE_UP_NS) {
          throw new IllegalStateException(what + " failed for 10 s", e.getCause());
        }
        ep = (ep + 1) % ops.endpoints();
        awaitTimer(BACKOFF_MS);
      }
    }
  }

  /** Waits (on the calling main thread, never an event loop) for a timer of {@code ms}. */
  private void awaitTimer(long ms) throws InterruptedException {
    CountDownLatch fired = new CountDownLatch(1);
    timers.schedule(fired::countDown, ms, TimeUnit.MILLISECONDS);
    fired.await();
  }

  FailoverLoad(Ops ops) {
    this.ops = ops;
  }

  /**
   * Runs {@code clients} clients starting on endpoint {@code start}; after {@code warmupMs} asks
   * {@code findKill} for the kill (it finds the leader of that moment) and runs it, then runs until
   * an acquire succeeds and {@code afterMs} more. The clock starts after the leader lookup.
   */
  Result run(String runId, int clients, int start, long warmupMs, java.util.function.Supplier<Runnable> findKill,
      long afterMs) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(clients);
    for (int i = 0; i < clients; i++) {
      new Client(runId + "-c" + i, start % ops.endpoints(), done).next();
    }
    awaitTimer(warmupMs);
    // Holdings acknowledged just before the kill (the last entries the leader committed) and
    // released after the failover: each must still be held then.
    String sentinel = runId + "-s";
    List<Grant> held = new ArrayList<>();
    for (int i = 0; i < SENTINEL_LOCKS; i++) {
      String lock = "sentinel-" + runId + "-" + i;
      String requestId = sentinel + "-a" + i;
      held.add(call(start, "sentinel acquire", ep -> ops.acquire(ep, sentinel, lock, requestId)));
    }
    Runnable kill = findKill.get();
    long signalledAt = System.nanoTime();
    kill.run(); // returns once the process is dead
    // Acquires sent from here on cannot be answered by the killed leader; the unavailability still
    // counts from the signal.
    killAt = System.nanoTime();
    if (!recovered.await(60, TimeUnit.SECONDS)) {
      System.out.println("warning: no acquire succeeded within 60 s of the kill");
    }
    awaitTimer(afterMs);
    for (int i = 0; i < held.size(); i++) {
      Grant g = held.get(i);
      String requestId = sentinel + "-r" + i;
      boolean[] verified = {false};
      // From a surviving member (start is the killed leader), after the failover has completed.
      boolean ok = call((start + 1) % ops.endpoints(), "sentinel release", ep -> {
        // Verify only on the first attempt: a retry may follow an unlock that did go through.
        boolean verify = !verified[0];
        verified[0] = true;
        return ops.release(ep, sentinel, g, requestId, verify).thenApply(r -> {
          if (verify || ops.releaseTellsLoss()) {
            heldAcrossKill.incrementAndGet();
          }
          return r;
        });
      });
      if (!ok) {
        lost.incrementAndGet();
        errorKinds.merge("holding lost", 1, Integer::sum);
      }
    }
    stopping = true;
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + done.getCount() + " failover clients did not finish within 30 s");
    }
    timers.shutdownNow();
    long first = firstAcquireAfterKill.get();
    return new Result(clients, first == 0 ? Double.NaN : (first - signalledAt) / 1e6, pairs.get(), errorsRetried.get(),
        errorsSurfaced.get(), Map.copyOf(errorKinds), heldAcrossKill.get(), lost.get(), safety);
  }

  private final class Client {
    final String id;
    final CountDownLatch done;
    int endpoint;
    int n;
    long seq;

    Client(String id, int endpoint, CountDownLatch done) {
      this.id = id;
      this.endpoint = endpoint;
      this.done = done;
    }

    void next() {
      if (stopping) {
        done.countDown();
        return;
      }
      String lock = "lock-" + id + "-" + (n++ % ApiLoadBench.LOCKS_PER_CLIENT);
      acquire(lock, id + "-" + (seq++), System.nanoTime());
    }

    void acquire(String lock, String requestId, long firstTry) {
      long sentAt = System.nanoTime();
      ops.acquire(endpoint, id, lock, requestId).orTimeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((g, err) -> {
        if (err != null) {
          if (retry("acquire", err, firstTry)) {
            timers.schedule(() -> acquire(lock, requestId, firstTry), BACKOFF_MS, TimeUnit.MILLISECONDS);
          } else {
            next(); // surfaced: the application gives up on this lock
          }
          return;
        }
        long grantedAt = System.nanoTime();
        long k = killAt;
        if (k != 0 && sentAt > k) {
          if (firstAcquireAfterKill.compareAndSet(0, grantedAt)) {
            recovered.countDown();
          }
        }
        safety.acquired(lock, g.token());
        safety.releasing(lock);
        release(g, id + "-" + (seq++), System.nanoTime(), k == 0, true);
      });
    }

    /** {@code beforeKill}: acknowledged before the kill; checked once the kill has happened. */
    void release(Grant g, String requestId, long firstTry, boolean beforeKill, boolean verifyFirst) {
      boolean verify = verifyFirst && beforeKill && killAt != 0;
      ops.release(endpoint, id, g, requestId, verify).orTimeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .whenComplete((ok, err) -> {
            if (err != null) {
              if (retry("release", err, firstTry)) {
                // A retry cannot verify first: the earlier attempt may already have released it.
                timers.schedule(() -> release(g, requestId, firstTry, beforeKill, false), BACKOFF_MS, TimeUnit.MILLISECONDS);
              } else {
                next();
              }
              return;
            }
            // Acknowledged before the kill, answered for after it: a holding that had to survive.
            if (beforeKill && killAt != 0 && (verify || ops.releaseTellsLoss())) {
              heldAcrossKill.incrementAndGet();
            }
            if (!ok) {
              lost.incrementAndGet();
              errorKinds.merge("holding lost", 1, Integer::sum);
            }
            pairs.incrementAndGet();
            next();
          });
    }

    /** Counts a failed call; true to retry it on the next endpoint, false when given up. */
    boolean retry(String call, Throwable err, long firstTry) {
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      String kind = cause instanceof java.util.concurrent.TimeoutException ? "timeout " + CALL_TIMEOUT_MS + " ms"
          : cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage()).split("\n")[0];
      kind = kind.replaceAll("127\\.0\\.0\\.1:\\d+", "127.0.0.1:<port>");
      kind = call + ": " + (kind.length() > 80 ? kind.substring(0, 80) : kind);
      errorKinds.merge(kind, 1, Integer::sum);
      endpoint = (endpoint + 1) % ops.endpoints();
      if (stopping) {
        return false; // the run is over: abandoned, not an error the application saw
      }
      if (System.nanoTime() - firstTry > GIVE_UP_NS) {
        errorsSurfaced.incrementAndGet();
        return false;
      }
      errorsRetried.incrementAndGet();
      return true;
    }
  }
}
