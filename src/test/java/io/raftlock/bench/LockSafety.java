package io.raftlock.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Safety checks that run inside every benchmark run, for every system: per lock, the number of
 * clients that believe they hold it (incremented after an acquire returns, decremented before the
 * release is sent) never exceeds 1, and the tokens granted (RaftLock's fencing token, etcd's lock
 * revision) strictly increase. Where holders queue for one lock (W2), also fairness: a grant to
 * the client that held the lock just before it is counted as a same-client re-grant (it went
 * ahead of the clients waiting). Thread-safe: the drivers call it from several threads.
 */
final class LockSafety {
  private final Map<String, AtomicInteger> holders = new ConcurrentHashMap<>();
  private final Map<String, Long> lastToken = new ConcurrentHashMap<>();
  private final AtomicLong grants = new AtomicLong();
  private final AtomicLong occupancyViolations = new AtomicLong();
  private final AtomicLong tokenViolations = new AtomicLong();
  private final Map<String, String> lastHolder = new ConcurrentHashMap<>();
  private final AtomicLong sameClientRegrants = new AtomicLong();

  /** A client learned that it holds {@code lock} with {@code token}. */
  void acquired(String lock, long token) {
    grants.incrementAndGet();
    if (holders.computeIfAbsent(lock, k -> new AtomicInteger()).incrementAndGet() > 1) {
      occupancyViolations.incrementAndGet();
    }
    lastToken.compute(lock, (k, previous) -> {
      if (previous != null && token <= previous) {
        tokenViolations.incrementAndGet();
        return previous;
      }
      return token;
    });
  }

  /** As {@link #acquired(String, long)}, knowing who holds it: counts same-client re-grants. */
  void acquired(String lock, long token, String holder) {
    acquired(lock, token);
    if (holder.equals(lastHolder.put(lock, holder))) {
      sameClientRegrants.incrementAndGet();
    }
  }

  /** The holder is about to send its release: from here on it no longer uses the lock. */
  void releasing(String lock) {
    holders.get(lock).decrementAndGet();
  }

  long grants() {
    return grants.get();
  }

  long occupancyViolations() {
    return occupancyViolations.get();
  }

  long tokenViolations() {
    return tokenViolations.get();
  }

  long sameClientRegrants() {
    return sameClientRegrants.get();
  }

  Map<String, Object> toMap() {
    return Map.of("grantsChecked", grants(), "occupancyViolations", occupancyViolations(),
        "tokenViolations", tokenViolations(), "sameClientRegrants", sameClientRegrants());
  }
}
