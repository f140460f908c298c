package io.raftlock.nemesis.check;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockLimits;
import io.raftlock.lock.LockStateMachine;
import java.util.ArrayList;
import java.util.Comparator;
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
 * <p>Semantics modelled: validation ({@link ModelRules}; invalid commands change nothing, not
 * even time); a command naming a session that is not live changes nothing; idempotency by
 * (client, request id) with retention and a size bound, or by (session, request id) bounded per
 * session; time = max(time, command time); acquire / wait queue (priority, then arrival) /
 * release / renew; {@code Expire(t)} (wait timeouts, then sessions due at t, then leases due at
 * t, each freed lock promoting its best live waiter); {@code Promote} (every lease and every
 * session ends no earlier than now + its TTL); {@code EnqueueWaiter}, {@code CancelWait},
 * {@code CancelClientWaits}. Token = index of the entry that granted.
 *
 * <p><b>Sessions.</b> The owner of a hold or wait is its session (id = index of the
 * {@code OpenSession} entry) or, without one, its client id; the client id of a session's
 * command is only a label (empty: the session's name), so the holding's {@code client} is that
 * label and {@code session} says who owns it. A session-owned hold has no lease of its own: it
 * ends by release or when its session ends. {@code KeepAlive}, and a renew of a lock it holds,
 * move the session's expiry to now + TTL. A session ends by {@code CloseSession} or by an
 * {@code Expire(t)} at or after its expiry, in that one entry: first all waits of every ending
 * session are cancelled, then each session's holds are released in lock-id order (ended by
 * {@code session-close} / {@code session-expire}), each promoting the next waiter.
 *
 * <p>Invariant, by construction and re-checked on every entry: at most one open holding per
 * lock, and no open holding of a session that has ended. {@link #invariantViolations()} lists
 * any breach.
 */
final class ReferenceModel {

  /**
   * A holding of {@code lock} by {@code client} (the label; for a session-owned hold the session
   * is {@code session}, else 0), from {@code startIndex} (= token) to the entry that ended it
   * ({@code endIndex}, {@link Long#MAX_VALUE} while still held).
   */
  record Holding(String lock, String client, long token, long endIndex, String endedBy,
      long session) {
    Holding(String lock, String client, long token, long endIndex, String endedBy) {
      this(lock, client, token, endIndex, endedBy, 0);
    }

    long startIndex() {
      return token;
    }
  }

  /** A successful release or renew of a holding, at {@code index}. */
  record HolderCommand(String lock, String client, long token, long index) {}

  /** Key of a holding: who held which lock with which token. */
  record Key(String lock, String client, long token) {}

  /**
   * A session as the log shows it: opened at {@code id} under {@code name}, its successful
   * keep-alives (explicit or by renew) and how it ended ({@code endIndex} {@link Long#MAX_VALUE}
   * while live).
   */
  record SessionRecord(long id, String name, long ttlMs, List<Long> keepAlives, long endIndex,
      String endedBy) {}

  /** Who owns a hold or wait: a session (clientId blank), or a client id (session 0). */
  private record Owner(long session, String clientId) {}

  private record Waiter(Owner owner, String label, int priority, long ttlMs, long deadlineMs,
      long seq) {}

  private static final class Lock {
    final String id;
    Owner holder;
    long token;
    /** Lease end; {@link Long#MAX_VALUE} for a session-owned hold (it has no lease). */
    long expiresAtMs;
    long leaseTtlMs;
    final List<Waiter> waiters = new ArrayList<>();

    Lock(String id) {
      this.id = id;
    }
  }

  private static final class Session {
    final long id;
    final String name;
    /** The principal that opened it ("" with auth off): only it may use the session. */
    final String principal;
    final long ttlMs;
    long expiresAtMs;
    final LinkedHashMap<String, Boolean> requestIds = new LinkedHashMap<>();

    Session(long id, String name, long ttlMs, long expiresAtMs, String principal) {
      this.id = id;
      this.name = name;
      this.principal = principal;
      this.ttlMs = ttlMs;
      this.expiresAtMs = expiresAtMs;
    }
  }

  private record Remembered(long recordedAtMs) {}

  // The committed settings: GENESIS's values until a Configure entry changes them.
  private long dedupeRetentionMs;
  private int dedupeMaxEntries;
  private int maxWaitersPerLock;
  private int sessionDedupeMaxEntries;
  private final Map<String, Lock> locks = new HashMap<>();
  private final LinkedHashMap<List<String>, Remembered> dedupe = new LinkedHashMap<>();
  private final Map<Long, Session> sessions = new TreeMap<>();
  private final ModelAcl acl = new ModelAcl();
  private long nowMs;
  private long lastIndex;

  private final Map<String, List<Holding>> holdingsByLock = new TreeMap<>();
  private final Map<String, Holding> open = new HashMap<>();
  private final Map<Key, Holding> holdingByKey = new HashMap<>();
  private final Map<Key, HolderCommand> releases = new HashMap<>();
  private final Map<Key, List<HolderCommand>> renews = new HashMap<>();
  private final Map<Long, SessionRecord> sessionRecords = new TreeMap<>();
  /** TTL set by each entry that granted or renewed a client-owned lease, by index. */
  private final Map<Long, Long> leaseTtlByIndex = new HashMap<>();
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
    this.sessionDedupeMaxEntries = LockLimits.DEFAULT_SESSION_DEDUPE_MAX_ENTRIES;
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

  /**
   * The lease TTL that the entry at {@code index} set (a grant or renew of a client-owned
   * holding), or 0 if it set none.
   */
  long leaseTtlAt(long index) {
    return leaseTtlByIndex.getOrDefault(index, 0L);
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

  /** The session opened at {@code id} as the log shows it, or {@code null}. */
  SessionRecord session(long id) {
    return sessionRecords.get(id);
  }

  /** Sessions ended by {@code endedBy} ("session-expire" or "session-close"). */
  long sessionsEndedBy(String endedBy) {
    return sessionRecords.values().stream().filter(r -> endedBy.equals(r.endedBy())).count();
  }

  /** Holdings ended by {@code endedBy}. */
  long holdingsEndedBy(String endedBy) {
    return holdingByKey.values().stream().filter(h -> endedBy.equals(h.endedBy())).count();
  }

  // ---- replay ----

  /** An entry that is not a lock command (NOOP, CONFIG) or does not decode: nothing changes. */
  void skip(long index, String what) {
    lastIndex = index;
    commandCounts.merge(what, 1L, Long::sum);
  }

  void apply(long index, LockCommand entry) {
    lastIndex = index;
    String keyId = entry instanceof LockCommand.Authenticated a ? a.keyId() : null;
    LockCommand cmd = entry instanceof LockCommand.Authenticated a ? a.command() : entry;
    if (keyId != null) {
      commandCounts.merge("authenticated", 1L, Long::sum);
    }
    commandCounts.merge(cmd.getClass().getSimpleName(), 1L, Long::sum);
    if (!ModelRules.valid(cmd)) {
      commandCounts.merge("invalid", 1L, Long::sum);
      return;
    }
    String principal = ModelAcl.internal(cmd) ? "" : acl.caller(keyId);
    if (principal == null) {
      commandCounts.merge("denied (no live API key)", 1L, Long::sum);
      return;
    }
    long sessionId = ModelRules.sessionOf(cmd);
    Session session = sessionId == 0 ? null : sessions.get(sessionId);
    if (sessionId != 0 && session == null) {
      commandCounts.merge("session not found", 1L, Long::sum);
      return;
    }
    if (session != null && !session.principal.equals(principal)) {
      commandCounts.merge("denied (another principal's session)", 1L, Long::sum);
      return;
    }
    String requestId = ModelRules.requestId(cmd);
    List<String> clientKey = requestId == null || session != null ? null
        : List.of(principal, ((LockCommand.SessionOwned) cmd).clientId(), requestId);
    if (clientKey != null && dedupe.containsKey(clientKey)
        || session != null && requestId != null && session.requestIds.containsKey(requestId)) {
      commandCounts.merge("duplicate", 1L, Long::sum);
      return;
    }
    nowMs = Math.max(nowMs, cmd.timeMs());
    // Remembered in time order (time never goes backwards), so the expired ones are a prefix.
    Iterator<Remembered> it = dedupe.values().iterator();
    while (it.hasNext() && it.next().recordedAtMs() + dedupeRetentionMs <= nowMs) {
      it.remove();
    }
    if (cmd instanceof LockCommand.Acl c) {
      acl.apply(c.op());
    } else {
      execute(index, cmd, session, principal);
    }
    if (clientKey != null) {
      remember(dedupe, clientKey, new Remembered(nowMs), dedupeMaxEntries);
    } else if (session != null && requestId != null && sessions.containsKey(session.id)) {
      remember(session.requestIds, requestId, Boolean.TRUE, sessionDedupeMaxEntries);
    }
    checkSessionsHoldNothingAfterTheyEnd(index);
  }

  /** Remembers {@code key}, evicting the oldest beyond {@code max}. */
  private static <K, V> void remember(LinkedHashMap<K, V> memory, K key, V value, int max) {
    memory.put(key, value);
    if (memory.size() > max) {
      Iterator<K> oldest = memory.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  private void execute(long index, LockCommand cmd, Session session, String principal) {
    if (cmd instanceof LockCommand.Acquire c) {
      acquire(index, c.lockId(), owner(c), label(c, session), c.ttlMs(), c.waitForLock(),
          c.waitTimeoutMs(), c.priority(), false, session);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      acquire(index, c.lockId(), owner(c), label(c, session), LockLimits.DEFAULT_TTL_MS, true,
          c.waitTimeoutMs(), c.priority(), true, session);
    } else if (cmd instanceof LockCommand.Release c) {
      release(index, c);
    } else if (cmd instanceof LockCommand.Renew c) {
      renew(index, c);
    } else if (cmd instanceof LockCommand.CancelWait c) {
      Lock l = locks.get(c.lockId());
      if (l != null) {
        l.waiters.removeIf(w -> w.owner().equals(owner(c)));
      }
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      Owner owner = new Owner(0, c.clientId());
      locks.values().forEach(l -> l.waiters.removeIf(w -> w.owner().equals(owner)));
    } else if (cmd instanceof LockCommand.Expire c) {
      expire(index, c.timeMs());
    } else if (cmd instanceof LockCommand.Promote) {
      for (Lock l : locks.values()) {
        if (l.holder.session() == 0) {
          l.expiresAtMs = Math.max(l.expiresAtMs, nowMs + l.leaseTtlMs);
        }
      }
      sessions.values().forEach(s -> s.expiresAtMs = Math.max(s.expiresAtMs, nowMs + s.ttlMs));
    } else if (cmd instanceof LockCommand.OpenSession c) {
      sessions.put(index, new Session(index, c.name(), c.ttlMs(), nowMs + c.ttlMs(), principal));
      sessionRecords.put(index, new SessionRecord(index, c.name(), c.ttlMs(), new ArrayList<>(),
          Long.MAX_VALUE, null));
    } else if (cmd instanceof LockCommand.KeepAlive) {
      keepAlive(session, index);
    } else if (cmd instanceof LockCommand.CloseSession) {
      endSessions(index, List.of(session), "session-close");
    } else if (cmd instanceof LockCommand.Configure c) {
      configure(c.config());
    } else {
      throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  /**
   * New settings from their log position on: queued waiters stay (only new ones meet a lower
   * cap); remembered request ids beyond a lower bound or older than a shorter retention are
   * forgotten at once, oldest first, as the state machine does.
   */
  private void configure(LockStateMachine.Config config) {
    maxWaitersPerLock = config.maxWaitersPerLock();
    dedupeRetentionMs = config.dedupeRetentionMs();
    dedupeMaxEntries = config.dedupeMaxEntries();
    sessionDedupeMaxEntries = config.sessionDedupeMaxEntries();
    Iterator<Remembered> it = dedupe.values().iterator();
    while (it.hasNext() && it.next().recordedAtMs() + dedupeRetentionMs <= nowMs) {
      it.remove();
    }
    trimOldest(dedupe, dedupeMaxEntries);
    sessions.values().forEach(s -> trimOldest(s.requestIds, sessionDedupeMaxEntries));
  }

  private static void trimOldest(LinkedHashMap<?, ?> memory, int max) {
    Iterator<?> oldest = memory.keySet().iterator();
    while (memory.size() > max && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  private static Owner owner(LockCommand.SessionOwned c) {
    return c.sessionId() > 0 ? new Owner(c.sessionId(), "") : new Owner(0, c.clientId());
  }

  private static String label(LockCommand.SessionOwned c, Session session) {
    return session != null && c.clientId().isEmpty() ? session.name : c.clientId();
  }

  private void keepAlive(Session s, long index) {
    s.expiresAtMs = Math.max(s.expiresAtMs, nowMs + s.ttlMs);
    sessionRecords.get(s.id).keepAlives().add(index);
  }

  /** Acquire (or EnqueueWaiter, which refuses a free lock instead of taking it). */
  private void acquire(long index, String lockId, Owner owner, String label, long ttlMs,
      boolean wait, long waitTimeoutMs, int priority, boolean enqueueOnly, Session session) {
    Lock l = locks.get(lockId);
    if (l == null) {
      if (!enqueueOnly) {
        l = new Lock(lockId);
        locks.put(lockId, l);
        grant(l, owner, label, index, ttlMs);
      }
      return;
    }
    if (l.holder.equals(owner) || !wait) {
      return; // already held by the caller (same holding), or LOCK_HELD
    }
    for (Waiter w : l.waiters) {
      if (w.owner().equals(owner)) {
        return; // already waiting
      }
    }
    if (l.waiters.size() < maxWaitersPerLock) {
      long waiterTtlMs = session == null ? ttlMs : session.ttlMs;
      l.waiters.add(new Waiter(owner, label, priority, waiterTtlMs, nowMs + waitTimeoutMs, index));
    }
  }

  private void release(long index, LockCommand.Release c) {
    Lock l = locks.get(c.lockId());
    if (isHolder(l, owner(c), c.token())) {
      Holding h = open.get(c.lockId());
      Key key = new Key(c.lockId(), h.client(), c.token());
      releases.put(key, new HolderCommand(c.lockId(), h.client(), c.token(), index));
      endHolding(l, index, "release");
    }
  }

  private void renew(long index, LockCommand.Renew c) {
    Lock l = locks.get(c.lockId());
    if (!isHolder(l, owner(c), c.token())) {
      return;
    }
    if (l.holder.session() > 0) {
      keepAlive(sessions.get(l.holder.session()), index); // the session's lease covers its locks
    } else {
      l.expiresAtMs = nowMs + c.ttlMs();
      l.leaseTtlMs = c.ttlMs();
      leaseTtlByIndex.put(index, c.ttlMs());
    }
    Holding h = open.get(c.lockId());
    renews.computeIfAbsent(new Key(c.lockId(), h.client(), c.token()), k -> new ArrayList<>())
        .add(new HolderCommand(c.lockId(), h.client(), c.token(), index));
  }

  private static boolean isHolder(Lock l, Owner owner, long token) {
    return l != null && l.holder.equals(owner) && l.token == token;
  }

  /** Wait timeouts due at t, then sessions due at t, then each lease due at t. */
  private void expire(long index, long t) {
    for (Lock l : locks.values()) {
      l.waiters.removeIf(w -> w.deadlineMs() <= t);
    }
    List<Session> due = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.expiresAtMs <= t) {
        due.add(s);
      }
    }
    due.sort(Comparator.comparingLong((Session s) -> s.expiresAtMs).thenComparingLong(s -> s.id));
    endSessions(index, due, "session-expire");
    while (true) {
      Lock next = null;
      for (Lock l : locks.values()) {
        if (l.expiresAtMs <= t && (next == null || l.expiresAtMs < next.expiresAtMs
            || (l.expiresAtMs == next.expiresAtMs && l.id.compareTo(next.id) < 0))) {
          next = l;
        }
      }
      if (next == null) {
        return;
      }
      endHolding(next, index, "expire");
    }
  }

  /**
   * Ends {@code ending} in this one entry: all their waits go first (nothing freed here is
   * granted to a session that ends too), then session by session its holds in lock-id order.
   */
  private void endSessions(long index, List<Session> ending, String endedBy) {
    for (Session s : ending) {
      Owner owner = new Owner(s.id, "");
      locks.values().forEach(l -> l.waiters.removeIf(w -> w.owner().equals(owner)));
    }
    for (Session s : ending) {
      Owner owner = new Owner(s.id, "");
      List<Lock> held = new ArrayList<>();
      for (Lock l : locks.values()) {
        if (l.holder.equals(owner)) {
          held.add(l);
        }
      }
      held.sort(Comparator.comparing(l -> l.id));
      held.forEach(l -> endHolding(l, index, endedBy));
      sessions.remove(s.id);
      SessionRecord r = sessionRecords.get(s.id);
      sessionRecords.put(s.id, new SessionRecord(r.id(), r.name(), r.ttlMs(), r.keepAlives(),
          index, endedBy));
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
        if (w.priority() > best.priority() || (w.priority() == best.priority() && w.seq() < best.seq())) {
          best = w;
        }
      }
      l.waiters.remove(best);
      if (best.deadlineMs() > nowMs) {
        grant(l, best.owner(), best.label(), index, best.ttlMs());
        return;
      }
    }
    locks.remove(l.id);
  }

  private void grant(Lock l, Owner owner, String label, long index, long ttlMs) {
    l.holder = owner;
    l.token = index;
    l.expiresAtMs = owner.session() > 0 ? Long.MAX_VALUE : nowMs + ttlMs;
    l.leaseTtlMs = ttlMs;
    if (owner.session() == 0) {
      leaseTtlByIndex.put(index, ttlMs);
    }
    Holding previous = open.get(l.id);
    if (previous != null) {
      invariantViolations.add("index " + index + ": " + l.id + " granted to " + label
          + " while still held by " + previous.client() + " (token " + previous.token() + ")");
    }
    Holding h = new Holding(l.id, label, index, Long.MAX_VALUE, null, owner.session());
    open.put(l.id, h);
    holdingByKey.put(new Key(l.id, label, index), h);
    holdingsByLock.computeIfAbsent(l.id, k -> new ArrayList<>()).add(h);
  }

  private void close(String lockId, long index, String endedBy) {
    Holding h = open.remove(lockId);
    if (h == null) {
      invariantViolations.add("index " + index + ": " + lockId + " ended while not held");
      return;
    }
    Holding ended = new Holding(h.lock(), h.client(), h.token(), index, endedBy, h.session());
    holdingByKey.put(new Key(h.lock(), h.client(), h.token()), ended);
    List<Holding> list = holdingsByLock.get(lockId);
    list.set(list.size() - 1, ended);
  }

  /** A session that has ended owns nothing: its holds ended in the entry that ended it. */
  private void checkSessionsHoldNothingAfterTheyEnd(long index) {
    for (Holding h : open.values()) {
      if (h.session() > 0 && !sessions.containsKey(h.session())) {
        invariantViolations.add("index " + index + ": " + h.lock() + " still held by session "
            + h.session() + " (token " + h.token() + ") after the session ended at index "
            + sessionRecords.get(h.session()).endIndex());
      }
    }
  }
}
