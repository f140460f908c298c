package io.raftlock.lock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A deliberately simple, independent model of the lock semantics, the oracle of the model-based
 * test. No heaps, no sorted queues, no flattening: waiters are kept in arrival order and every
 * question is answered by a linear scan. It only validates what the test generator can get wrong.
 */
final class ReferenceModel {
  static final class MWaiter {
    String client;
    int priority;
    long ttl;
    long enqueuedAt;
    long deadline;
    long seq;
    SortedMap<String, String> md;
  }

  static final class MLock {
    String holder;
    long token;
    long acquiredAt;
    long expiresAt;
    /** TTL of the last grant or renew. */
    long ttl;
    SortedMap<String, String> md;
    final List<MWaiter> waiters = new ArrayList<>(); // arrival order
  }

  record Remembered(String client, String request, LockReply reply, long at) {}

  final TreeMap<String, MLock> locks = new TreeMap<>();
  final List<Remembered> dedupe = new ArrayList<>();
  final LockStateMachine.Config config;
  long time;
  long grants;
  long releases;
  long expirations;
  long waitTimeouts;
  long waitCancels;
  long holdsEnded;
  long totalHold;

  private long index;
  private List<LockEvent> events;

  ReferenceModel(LockStateMachine.Config config) {
    this.config = config;
  }

  ApplyResult apply(long idx, LockCommand cmd) {
    LockReply invalid = validate(cmd);
    if (invalid != null) {
      return new ApplyResult(invalid, List.of());
    }
    String client = field(cmd, true);
    String request = field(cmd, false);
    for (Remembered r : dedupe) {
      if (!request.isEmpty() && r.client.equals(client) && r.request.equals(request)) {
        return new ApplyResult(r.reply, List.of());
      }
    }
    time = Math.max(time, cmd.timeMs());
    dedupe.removeIf(r -> r.at + config.dedupeRetentionMs() <= time);
    index = idx;
    events = new ArrayList<>();
    LockReply reply = execute(cmd);
    if (!request.isEmpty()) {
      dedupe.add(new Remembered(client, request, reply, time));
      if (dedupe.size() > config.dedupeMaxEntries()) {
        dedupe.remove(0);
      }
    }
    return new ApplyResult(reply, events);
  }

  private static LockReply validate(LockCommand cmd) {
    long ttl = 1000;
    boolean badArg = cmd.timeMs() < 0;
    if (cmd instanceof LockCommand.Acquire c) {
      ttl = c.ttlMs();
      badArg |= c.waitForLock() && (c.waitTimeoutMs() < 1000 || c.waitTimeoutMs() > 600_000);
    } else if (cmd instanceof LockCommand.Renew c) {
      ttl = c.ttlMs();
      badArg |= c.token() < 1;
    } else if (cmd instanceof LockCommand.Release c) {
      badArg |= c.token() < 1;
    }
    if (badArg) {
      return new LockReply.Error(ErrorCode.INVALID_ARGUMENT, "", null);
    }
    if (ttl < 1000 || ttl > 86_400_000) {
      return new LockReply.Error(ErrorCode.INVALID_TTL, "", null);
    }
    return null;
  }

  private static String field(LockCommand cmd, boolean client) {
    if (cmd instanceof LockCommand.Acquire c) {
      return client ? c.clientId() : c.requestId();
    } else if (cmd instanceof LockCommand.Release c) {
      return client ? c.clientId() : c.requestId();
    } else if (cmd instanceof LockCommand.Renew c) {
      return client ? c.clientId() : c.requestId();
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return client ? c.clientId() : c.requestId();
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return client ? c.clientId() : c.requestId();
    }
    return "";
  }

  private LockReply execute(LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        l = new MLock();
        locks.put(c.lockId(), l);
        grant(c.lockId(), l, c.clientId(), c.ttlMs(), c.metadata());
        return new LockReply.Granted(l.token, l.acquiredAt, l.expiresAt);
      }
      if (l.holder.equals(c.clientId())) {
        return new LockReply.Granted(l.token, l.acquiredAt, l.expiresAt);
      }
      if (!c.waitForLock()) {
        return new LockReply.Error(ErrorCode.LOCK_HELD, "", backoff(l));
      }
      return enqueue(c.lockId(), l, c.clientId(), c.priority(), c.ttlMs(), c.waitTimeoutMs(),
          c.metadata());
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        return new LockReply.Error(ErrorCode.LOCK_NOT_HELD, "", null);
      }
      if (l.holder.equals(c.clientId())) {
        return new LockReply.Granted(l.token, l.acquiredAt, l.expiresAt);
      }
      return enqueue(c.lockId(), l, c.clientId(), c.priority(), 30_000, c.waitTimeoutMs(),
          new TreeMap<>());
    } else if (cmd instanceof LockCommand.Release c) {
      MLock l = locks.get(c.lockId());
      LockReply denied = checkHolder(l, c.clientId(), c.token());
      if (denied != null) {
        return denied;
      }
      releases++;
      events.add(new LockEvent.Released(c.lockId(), l.holder, l.token, index));
      return new LockReply.Released(endHolding(c.lockId(), l));
    } else if (cmd instanceof LockCommand.Renew c) {
      MLock l = locks.get(c.lockId());
      LockReply denied = checkHolder(l, c.clientId(), c.token());
      if (denied != null) {
        return denied;
      }
      l.expiresAt = time + c.ttlMs();
      l.ttl = c.ttlMs();
      return new LockReply.Renewed(l.expiresAt);
    }
    return executeWaitCommands(cmd);
  }

  private LockReply executeWaitCommands(LockCommand cmd) {
    if (cmd instanceof LockCommand.CancelWait c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        return new LockReply.Error(ErrorCode.LOCK_NOT_FOUND, "", null);
      }
      MWaiter w = find(l, c.clientId());
      if (w == null) {
        return new LockReply.Error(ErrorCode.NOT_WAITING, "", null);
      }
      l.waiters.remove(w);
      waitCancels++;
      events.add(new LockEvent.WaitCancelled(c.lockId(), c.clientId(), 0, index));
      return new LockReply.Cancelled(1);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      List<Object[]> found = new ArrayList<>();
      locks.forEach((id, l) -> l.waiters.stream().filter(w -> w.client.equals(c.clientId()))
          .forEach(w -> found.add(new Object[] {id, l, w})));
      found.sort(Comparator.comparingLong(o -> ((MWaiter) o[2]).seq));
      for (Object[] o : found) {
        ((MLock) o[1]).waiters.remove((MWaiter) o[2]);
        waitCancels++;
        events.add(new LockEvent.WaitCancelled((String) o[0], c.clientId(), 0, index));
      }
      return new LockReply.Cancelled(found.size());
    } else if (cmd instanceof LockCommand.Promote) {
      return promote();
    }
    return expire(cmd.timeMs());
  }

  /** Every held lease ends no earlier than (clamped) time + its ttl. */
  private LockReply promote() {
    int extended = 0;
    for (MLock l : locks.values()) {
      if (time + l.ttl > l.expiresAt) {
        l.expiresAt = time + l.ttl;
        extended++;
      }
    }
    return new LockReply.Promoted(extended);
  }

  private LockReply expire(long t) {
    List<Object[]> due = new ArrayList<>();
    locks.forEach((id, l) -> l.waiters.stream().filter(w -> w.deadline <= t)
        .forEach(w -> due.add(new Object[] {id, l, w})));
    due.sort(Comparator.comparingLong((Object[] o) -> ((MWaiter) o[2]).deadline)
        .thenComparingLong(o -> ((MWaiter) o[2]).seq));
    for (Object[] o : due) {
      ((MLock) o[1]).waiters.remove((MWaiter) o[2]);
      waitTimeouts++;
      events.add(new LockEvent.WaitTimedOut((String) o[0], ((MWaiter) o[2]).client, 0, index));
    }
    int timedOut = due.size();
    int expired = 0;
    while (true) {
      String first = null;
      for (var e : locks.entrySet()) {
        if (e.getValue().expiresAt <= t
            && (first == null || e.getValue().expiresAt < locks.get(first).expiresAt)) {
          first = e.getKey(); // TreeMap order: ties keep the smallest lock id
        }
      }
      if (first == null) {
        return new LockReply.Expired(expired, timedOut);
      }
      MLock l = locks.get(first);
      expirations++;
      expired++;
      events.add(new LockEvent.Expired(first, l.holder, l.token, index));
      long before = waitTimeouts;
      endHolding(first, l);
      timedOut += (int) (waitTimeouts - before);
    }
  }

  private LockReply checkHolder(MLock l, String client, long token) {
    if (l == null) {
      return new LockReply.Error(ErrorCode.LOCK_NOT_HELD, "", null);
    }
    if (!l.holder.equals(client)) {
      return new LockReply.Error(ErrorCode.NOT_LOCK_OWNER, "", null);
    }
    if (l.token != token) {
      return new LockReply.Error(ErrorCode.VERSION_MISMATCH, "", null);
    }
    return null;
  }

  private void grant(String id, MLock l, String client, long ttl, SortedMap<String, String> md) {
    l.holder = client;
    l.token = index;
    l.acquiredAt = time;
    l.expiresAt = time + ttl;
    l.ttl = ttl;
    l.md = md;
    grants++;
    events.add(new LockEvent.Granted(id, client, index, index));
  }

  /** Promotes the best live waiter; returns whether one was promoted (else drops the lock). */
  private boolean endHolding(String id, MLock l) {
    holdsEnded++;
    totalHold += time - l.acquiredAt;
    while (!l.waiters.isEmpty()) {
      MWaiter best = l.waiters.get(0);
      for (MWaiter w : l.waiters) {
        if (w.priority > best.priority || (w.priority == best.priority && w.seq < best.seq)) {
          best = w;
        }
      }
      l.waiters.remove(best);
      if (best.deadline <= time) {
        waitTimeouts++;
        events.add(new LockEvent.WaitTimedOut(id, best.client, 0, index));
        continue;
      }
      grant(id, l, best.client, best.ttl, best.md);
      return true;
    }
    locks.remove(id);
    return false;
  }

  private LockReply enqueue(String id, MLock l, String client, int priority, long ttl,
      long waitTimeout, SortedMap<String, String> md) {
    MWaiter existing = find(l, client);
    if (existing != null) {
      return new LockReply.Queued(position(l, existing), estimate(l, existing));
    }
    if (l.waiters.size() >= config.maxWaitersPerLock()) {
      return new LockReply.Error(ErrorCode.WAIT_QUEUE_FULL, "", backoff(l));
    }
    MWaiter w = new MWaiter();
    w.client = client;
    w.priority = priority;
    w.ttl = ttl;
    w.enqueuedAt = time;
    w.deadline = time + waitTimeout;
    w.seq = index;
    w.md = md;
    l.waiters.add(w);
    events.add(new LockEvent.Queued(id, client, 0, index, position(l, w)));
    return new LockReply.Queued(position(l, w), estimate(l, w));
  }

  private static MWaiter find(MLock l, String client) {
    return l.waiters.stream().filter(w -> w.client.equals(client)).findFirst().orElse(null);
  }

  private static boolean ahead(MWaiter x, MWaiter w) {
    return x.priority > w.priority || (x.priority == w.priority && x.seq < w.seq);
  }

  private static int position(MLock l, MWaiter w) {
    return (int) l.waiters.stream().filter(x -> ahead(x, w)).count();
  }

  private long estimate(MLock l, MWaiter w) {
    long est = Math.max(0, l.expiresAt - time);
    for (MWaiter x : l.waiters) {
      est += ahead(x, w) ? x.ttl : 0;
    }
    return est;
  }

  private BackoffAdvice backoff(MLock l) {
    long est = Math.max(0, l.expiresAt - time);
    for (MWaiter x : l.waiters) {
      est += x.ttl;
    }
    long max = Math.max(1000, Math.min(30_000, est));
    long initial = Math.min(max, Math.max(1000, Math.min(30_000, est / 4)));
    return new BackoffAdvice(initial, max, 1.5, 0.2, est);
  }

  // ---- views compared with the state machine's queries ----

  Optional<LockInfo> lockInfo(String id) {
    MLock l = locks.get(id);
    if (l == null) {
      return Optional.empty();
    }
    List<WaiterInfo> ws = new ArrayList<>();
    for (MWaiter w : l.waiters) {
      ws.add(new WaiterInfo(w.client, w.priority, w.enqueuedAt, w.deadline, position(l, w)));
    }
    ws.sort(Comparator.comparingInt(WaiterInfo::position));
    return Optional.of(new LockInfo(id, l.holder, l.token, l.acquiredAt, l.expiresAt,
        l.waiters.size(), ws, l.md));
  }

  LockStats stats() {
    int waiters = 0;
    int contested = 0;
    for (MLock l : locks.values()) {
      waiters += l.waiters.size();
      contested += l.waiters.isEmpty() ? 0 : 1;
    }
    return new LockStats(locks.size(), waiters, contested,
        holdsEnded == 0 ? 0 : totalHold / holdsEnded, grants, releases, expirations,
        waitTimeouts, waitCancels, dedupe.size(), time);
  }

  long nextDeadline() {
    long next = Long.MAX_VALUE;
    for (MLock l : locks.values()) {
      next = Math.min(next, l.expiresAt);
      for (MWaiter w : l.waiters) {
        next = Math.min(next, w.deadline);
      }
    }
    return next;
  }

  /** Holder of {@code lockId}, or null if free (used by the generator). */
  String holderOf(String lockId) {
    MLock l = locks.get(lockId);
    return l == null ? null : l.holder;
  }

  /** Current token of {@code lockId}, or 0 if free (used by the generator). */
  long tokenOf(String lockId) {
    MLock l = locks.get(lockId);
    return l == null ? 0 : l.token;
  }

  Iterator<String> lockIds() {
    return locks.keySet().iterator();
  }
}
