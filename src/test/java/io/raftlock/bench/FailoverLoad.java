package io.raftlock.bench;

import java.util.LinkedHashMap;
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
 * error surfaced to the application. Measures the time from the kill to the first acquire sent
 * after it that succeeds, counts errors (retried and surfaced), and checks that no acknowledged
 * acquire was lost: every holding acknowledged before the kill and released after it must still
 * be held (the release finds it), plus the {@link LockSafety} checks.
 */
final class FailoverLoad {
  static final long GIVE_UP_NS = TimeUnit.SECONDS.toNanos(10);
  static final long CALL_TIMEOUT_MS = 3_000;
  static final long BACKOFF_MS = 20;

  /** A holding: the lock, its token, and whatever the system needs to release it. */
  record Grant(String lock, long token, Object handle) { }

  /** One system's calls. A retryable failure completes exceptionally. */
  interface Ops {
    int endpoints();

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
  /** nanoTime of the kill (0 before it) and of the first successful acquire sent after it. */
  private volatile long killAt;
  private final AtomicLong firstAcquireAfterKill = new AtomicLong();
  private volatile boolean stopping;
  private final CountDownLatch recovered = new CountDownLatch(1);

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
   * Runs {@code clients} clients starting on endpoint {@code start}; after {@code warmupMs} calls
   * {@code kill}, then runs until an acquire succeeds and {@code afterMs} more.
   */
  Result run(String runId, int clients, int start, long warmupMs, Runnable kill, long afterMs) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(clients);
    for (int i = 0; i < clients; i++) {
      new Client(runId + "-c" + i, start % ops.endpoints(), done).next();
    }
    awaitTimer(warmupMs);
    killAt = System.nanoTime();
    kill.run();
    if (!recovered.await(60, TimeUnit.SECONDS)) {
      System.out.println("warning: no acquire succeeded within 60 s of the kill");
    }
    awaitTimer(afterMs);
    stopping = true;
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + done.getCount() + " failover clients did not finish within 30 s");
    }
    timers.shutdownNow();
    long first = firstAcquireAfterKill.get();
    return new Result(clients, first == 0 ? Double.NaN : (first - killAt) / 1e6, pairs.get(), errorsRetried.get(),
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
          if (retry(err, firstTry)) {
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
    void release(Grant g, String requestId, long firstTry, boolean beforeKill, boolean firstAttempt) {
      boolean across = beforeKill && killAt != 0;
      ops.release(endpoint, id, g, requestId, across && firstAttempt).orTimeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .whenComplete((ok, err) -> {
            if (err != null) {
              if (retry(err, firstTry)) {
                timers.schedule(() -> release(g, requestId, firstTry, beforeKill, false), BACKOFF_MS, TimeUnit.MILLISECONDS);
              } else {
                next();
              }
              return;
            }
            if (across && firstAttempt) {
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
    boolean retry(Throwable err, long firstTry) {
      Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
      String kind = cause instanceof java.util.concurrent.TimeoutException ? "timeout " + CALL_TIMEOUT_MS + " ms"
          : cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage()).split("\n")[0];
      if (kind.length() > 80) {
        kind = kind.substring(0, 80);
      }
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
