package io.raftlock.nemesis.check;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockLimits;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An independent model of the lock semantics (docs/lock-state-machine.md), written from the
 * documentation and deliberately naive: plain lists and linear scans, no heaps, no shared code
 * with the product's state machine. The committed log is replayed through it to learn which
 * holdings the cluster really granted.
 *
 * <p>Semantics modelled: validation (invalid commands change nothing, not even time);
 * idempotency by (client, request id) with retention and a size bound; time =
 * max(time, command time); acquire / wait queue (priority, then arrival) / release / renew;
 * {@code Expire(t)} (wait timeouts, then leases due at t, each promoting its best live waiter);
 * {@code Promote} (every lease ends no earlier than now + its TTL); {@code EnqueueWaiter},
 * {@code CancelWait}, {@code CancelClientWaits}. Token = index of the entry that granted.
 *
 * <p>Invariant, by construction and re-checked on every grant: at most one open holding per
 * lock. {@link #invariantViolations()} lists any breach.
 */
final class ReferenceModel {

  /** A holding of {@code lock} by {@code client}, from {@code startIndex} (= token) to the entry
   * that ended it ({@code endIndex}, {@link Long#MAX_VALUE} while still held). */
  record Holding(String lock, String client, long token, long endIndex, String endedBy) {
    long startIndex() {
      return token;
    }
  }

  /** A successful release or renew of a holding, at {@code index}. */
  record HolderCommand(String lock, String client, long token, long index) {}

  /** Key of a holding: who held which lock with which token. */
  record Key(String lock, String client, long token) {}

  private static final class Waiter {
    final String client;
    final int priority;
    final long ttlMs;
    final long deadlineMs;
    final long seq;

    Waiter(String client, int priority, long ttlMs, long deadlineMs, long seq) {
      this.client = client;
      this.priority = priority;
      this.ttlMs = ttlMs;
      this.deadlineMs = deadlineMs;
      this.seq = seq;
    }
  }

  private static final class Lock {
    final String id;
    String holder;
    long token;
    long expiresAtMs;
    long leaseTtlMs;
    final List<Waiter> waiters = new ArrayList<>();

    Lock(String id) {
      this.id = id;
    }
  }

  /** What a command answered; kept so that a duplicate request gets the same answer. */
  private record Reply(String kind, long token) {}

  private record Remembered(Reply reply, long recordedAtMs) {}

  private final long dedupeRetentionMs;
  private final int dedupeMaxEntries;
  private final int maxWaitersPerLock;
  private final Map<String, Lock> locks = new HashMap<>();
  private final LinkedHashMap<List<String>, Remembered> dedupe = new LinkedHashMap<>();
  private long nowMs;
  private long lastIndex;

  private final Map<String, List<Holding>> holdingsByLock = new TreeMap<>();
  private final Map<String, Holding> open = new HashMap<>();
  private final Map<Key, Holding> holdingByKey = new HashMap<>();
  private final Map<Key, HolderCommand> releases = new HashMap<>();
  private final Map<Key, List<HolderCommand>> renews = new HashMap<>();
  private final List<String> invariantViolations = new ArrayList<>();
  private final Map<String, Long> commandCounts = new TreeMap<>();

  ReferenceModel() {
    this(LockLimits.DEFAULT_DEDUPE_RETENTION_MS, LockLimits.DEFAULT_DEDUPE_MAX_ENTRIES,
        LockLimits.DEFAULT_MAX_WAITERS_PER_LOCK);
  }

  ReferenceModel(long dedupeRetentionMs, int dedupeMaxEntries, int maxWaitersPerLock) {
    this.dedupeRetentionMs = dedupeRetentionMs;
    this.dedupeMaxEntries = dedupeMaxEntries;
    this.maxWaitersPerLock = maxWaitersPerLock;
  }

  // ---- results ----

  /** Holdings per lock, in grant (= token) order. */
  Map<String, List<Holding>> holdingsByLock() {
    return holdingsByLock;
  }

  Holding holding(String lock, String client, long token) {
    return holdingByKey.get(new Key(lock, client, token));
  }

  /** The holding of {@code lock} granted with {@code token}, whoever got it, or {@code null}. */
  Holding holdingWithToken(String lock, long token) {
    for (Holding h : holdingsByLock.getOrDefault(lock, List.of())) {
      if (h.token() == token) {
        return h;
      }
    }
    return null;
  }

  /** The holding of {@code lock} in force after applying {@code index}, or {@code null}. */
  Holding holderAt(String lock, long index) {
    for (Holding h : holdingsByLock.getOrDefault(lock, List.of())) {
      if (h.startIndex() <= index && index < h.endIndex()) {
        return h;
      }
    }
    return null;
  }

  HolderCommand release(String lock, String client, long token) {
    return releases.get(new Key(lock, client, token));
  }

  List<HolderCommand> renews(String lock, String client, long token) {
    return renews.getOrDefault(new Key(lock, client, token), List.of());
  }

  int grantCount() {
    return holdingByKey.size();
  }

  int releaseCount() {
    return releases.size();
  }

  long expiredCount() {
    return holdingByKey.values().stream().filter(h -> "expire".equals(h.endedBy())).count();
  }

  Map<String, Long> commandCounts() {
    return commandCounts;
  }

  long lastIndex() {
    return lastIndex;
  }

  List<String> invariantViolations() {
    return invariantViolations;
  }

  // ---- replay ----

  /** An entry that is not a lock command (NOOP, CONFIG) or does not decode: nothing changes. */
  void skip(long index, String what) {
    lastIndex = index;
    commandCounts.merge(what, 1L, Long::sum);
  }

  void apply(long index, LockCommand cmd) {
    lastIndex = index;
    commandCounts.merge(cmd.getClass().getSimpleName(), 1L, Long::sum);
    if (!valid(cmd)) {
      commandCounts.merge("invalid", 1L, Long::sum);
      return;
    }
    List<String> key = dedupeKey(cmd);
    if (key != null && dedupe.containsKey(key)) {
      commandCounts.merge("duplicate", 1L, Long::sum);
      return;
    }
    nowMs = Math.max(nowMs, cmd.timeMs());
    // Remembered in time order (time never goes backwards), so the expired ones are a prefix.
    Iterator<Remembered> it = dedupe.values().iterator();
    while (it.hasNext() && it.next().recordedAtMs() + dedupeRetentionMs <= nowMs) {
      it.remove();
    }
    Reply reply = execute(index, cmd);
    if (key != null) {
      dedupe.put(key, new Remembered(reply, nowMs));
      if (dedupe.size() > dedupeMaxEntries) {
        Iterator<List<String>> oldest = dedupe.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
    }
  }

  private Reply execute(long index, LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return acquire(index, c.lockId(), c.clientId(), c.ttlMs(), c.waitForLock(),
          c.waitTimeoutMs(), c.priority(), false);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return acquire(index, c.lockId(), c.clientId(), LockLimits.DEFAULT_TTL_MS, true,
          c.waitTimeoutMs(), c.priority(), true);
    } else if (cmd instanceof LockCommand.Release c) {
      return release(index, c);
    } else if (cmd instanceof LockCommand.Renew c) {
      return renew(index, c);
    } else if (cmd instanceof LockCommand.CancelWait c) {
      Lock l = locks.get(c.lockId());
      if (l == null) {
        return new Reply("LOCK_NOT_FOUND", 0);
      }
      return l.waiters.removeIf(w -> w.client.equals(c.clientId()))
          ? new Reply("cancelled", 0) : new Reply("NOT_WAITING", 0);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      for (Lock l : locks.values()) {
        l.waiters.removeIf(w -> w.client.equals(c.clientId()));
      }
      return new Reply("cancelled", 0);
    } else if (cmd instanceof LockCommand.Expire c) {
      expire(index, c.timeMs());
      return new Reply("expired", 0);
    } else if (cmd instanceof LockCommand.Promote) {
      for (Lock l : locks.values()) {
        l.expiresAtMs = Math.max(l.expiresAtMs, nowMs + l.leaseTtlMs);
      }
      return new Reply("promoted", 0);
    }
    throw new IllegalArgumentException("unknown command " + cmd);
  }

  /** Acquire (or EnqueueWaiter, which refuses a free lock instead of taking it). */
  private Reply acquire(long index, String lockId, String client, long ttlMs, boolean wait,
      long waitTimeoutMs, int priority, boolean enqueueOnly) {
    Lock l = locks.get(lockId);
    if (l == null) {
      if (enqueueOnly) {
        return new Reply("LOCK_NOT_HELD", 0);
      }
      l = new Lock(lockId);
      locks.put(lockId, l);
      grant(l, client, index, ttlMs);
      return new Reply("granted", index);
    }
    if (l.holder.equals(client)) {
      return new Reply("granted", l.token);
    }
    if (!wait) {
      return new Reply("LOCK_HELD", 0);
    }
    for (Waiter w : l.waiters) {
      if (w.client.equals(client)) {
        return new Reply("queued", 0);
      }
    }
    if (l.waiters.size() >= maxWaitersPerLock) {
      return new Reply("WAIT_QUEUE_FULL", 0);
    }
    l.waiters.add(new Waiter(client, priority, ttlMs, nowMs + waitTimeoutMs, index));
    return new Reply("queued", 0);
  }

  private Reply release(long index, LockCommand.Release c) {
    Lock l = locks.get(c.lockId());
    String denied = holderCheck(l, c.clientId(), c.token());
    if (denied != null) {
      return new Reply(denied, 0);
    }
    Key key = new Key(c.lockId(), c.clientId(), c.token());
    releases.put(key, new HolderCommand(c.lockId(), c.clientId(), c.token(), index));
    endHolding(l, index, "release");
    return new Reply("released", 0);
  }

  private Reply renew(long index, LockCommand.Renew c) {
    Lock l = locks.get(c.lockId());
    String denied = holderCheck(l, c.clientId(), c.token());
    if (denied != null) {
      return new Reply(denied, 0);
    }
    l.expiresAtMs = nowMs + c.ttlMs();
    l.leaseTtlMs = c.ttlMs();
    renews.computeIfAbsent(new Key(c.lockId(), c.clientId(), c.token()), k -> new ArrayList<>())
        .add(new HolderCommand(c.lockId(), c.clientId(), c.token(), index));
    return new Reply("renewed", 0);
  }

  private static String holderCheck(Lock l, String client, long token) {
    if (l == null) {
      return "LOCK_NOT_HELD";
    } else if (!l.holder.equals(client)) {
      return "NOT_LOCK_OWNER";
    } else if (l.token != token) {
      return "VERSION_MISMATCH";
    }
    return null;
  }

  /** Wait timeouts due at t first, then each lease due at t (earliest, then lock id). */
  private void expire(long index, long t) {
    for (Lock l : locks.values()) {
      l.waiters.removeIf(w -> w.deadlineMs <= t);
    }
    while (true) {
      Lock due = null;
      for (Lock l : locks.values()) {
        if (l.expiresAtMs <= t && (due == null || l.expiresAtMs < due.expiresAtMs
            || (l.expiresAtMs == due.expiresAtMs && l.id.compareTo(due.id) < 0))) {
          due = l;
        }
      }
      if (due == null) {
        return;
      }
      endHolding(due, index, "expire");
    }
  }

  /**
   * Ends the current holding at {@code index} and grants the lock to the best waiter whose wait
   * has not timed out by now (timed-out ones met on the way are dropped); drops the lock if
   * nobody is left.
   */
  private void endHolding(Lock l, long index, String endedBy) {
    close(l.id, index, endedBy);
    while (!l.waiters.isEmpty()) {
      Waiter best = l.waiters.get(0);
      for (Waiter w : l.waiters) {
        if (w.priority > best.priority || (w.priority == best.priority && w.seq < best.seq)) {
          best = w;
        }
      }
      l.waiters.remove(best);
      if (best.deadlineMs > nowMs) {
        grant(l, best.client, index, best.ttlMs);
        return;
      }
    }
    locks.remove(l.id);
  }

  private void grant(Lock l, String client, long index, long ttlMs) {
    l.holder = client;
    l.token = index;
    l.expiresAtMs = nowMs + ttlMs;
    l.leaseTtlMs = ttlMs;
    Holding previous = open.get(l.id);
    if (previous != null) {
      invariantViolations.add("index " + index + ": " + l.id + " granted to " + client
          + " while still held by " + previous.client() + " (token " + previous.token() + ")");
    }
    Holding h = new Holding(l.id, client, index, Long.MAX_VALUE, null);
    open.put(l.id, h);
    holdingByKey.put(new Key(l.id, client, index), h);
    holdingsByLock.computeIfAbsent(l.id, k -> new ArrayList<>()).add(h);
  }

  private void close(String lockId, long index, String endedBy) {
    Holding h = open.remove(lockId);
    if (h == null) {
      invariantViolations.add("index " + index + ": " + lockId + " ended while not held");
      return;
    }
    Holding ended = new Holding(h.lock(), h.client(), h.token(), index, endedBy);
    holdingByKey.put(new Key(h.lock(), h.client(), h.token()), ended);
    List<Holding> list = holdingsByLock.get(lockId);
    list.set(list.size() - 1, ended);
  }

  // ---- validation and idempotency ----

  private static List<String> dedupeKey(LockCommand cmd) {
    String client;
    String requestId;
    if (cmd instanceof LockCommand.Acquire c) {
      client = c.clientId();
      requestId = c.requestId();
    } else if (cmd instanceof LockCommand.Release c) {
      client = c.clientId();
      requestId = c.requestId();
    } else if (cmd instanceof LockCommand.Renew c) {
      client = c.clientId();
      requestId = c.requestId();
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      client = c.clientId();
      requestId = c.requestId();
    } else if (cmd instanceof LockCommand.CancelWait c) {
      client = c.clientId();
      requestId = c.requestId();
    } else {
      return null;
    }
    return requestId.isEmpty() ? null : List.of(client, requestId);
  }

  /** The documented limits; an invalid command is refused and changes nothing. */
  private static boolean valid(LockCommand cmd) {
    if (cmd.timeMs() < 0 || cmd.timeMs() > LockLimits.MAX_TIME_MS) {
      return false;
    }
    if (cmd instanceof LockCommand.Acquire c) {
      return ids(c.lockId(), c.clientId(), c.requestId()) && ttl(c.ttlMs())
          && (!c.waitForLock() || waitTimeout(c.waitTimeoutMs())) && priority(c.priority())
          && metadata(c.metadata());
    } else if (cmd instanceof LockCommand.Release c) {
      return ids(c.lockId(), c.clientId(), c.requestId()) && c.token() >= 1;
    } else if (cmd instanceof LockCommand.Renew c) {
      return ids(c.lockId(), c.clientId(), c.requestId()) && c.token() >= 1 && ttl(c.ttlMs());
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return ids(c.lockId(), c.clientId(), c.requestId()) && waitTimeout(c.waitTimeoutMs())
          && priority(c.priority());
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return ids(c.lockId(), c.clientId(), c.requestId());
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      return id(c.clientId(), LockLimits.MAX_CLIENT_ID_LENGTH);
    }
    return true;
  }

  private static boolean ids(String lockId, String clientId, String requestId) {
    return id(lockId, LockLimits.MAX_LOCK_ID_LENGTH)
        && id(clientId, LockLimits.MAX_CLIENT_ID_LENGTH)
        && requestId.length() <= LockLimits.MAX_REQUEST_ID_LENGTH;
  }

  private static boolean id(String value, int max) {
    return !value.isEmpty() && value.length() <= max;
  }

  private static boolean ttl(long ms) {
    return ms >= LockLimits.MIN_TTL_MS && ms <= LockLimits.MAX_TTL_MS;
  }

  private static boolean waitTimeout(long ms) {
    return ms >= LockLimits.MIN_WAIT_TIMEOUT_MS && ms <= LockLimits.MAX_WAIT_TIMEOUT_MS;
  }

  private static boolean priority(int p) {
    return p >= LockLimits.MIN_PRIORITY && p <= LockLimits.MAX_PRIORITY;
  }

  private static boolean metadata(Map<String, String> md) {
    if (md.size() > LockLimits.MAX_METADATA_ENTRIES) {
      return false;
    }
    for (Map.Entry<String, String> e : md.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().length() > LockLimits.MAX_METADATA_KEY_LENGTH
          || e.getValue().length() > LockLimits.MAX_METADATA_VALUE_LENGTH) {
        return false;
      }
    }
    return true;
  }
}
