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
 * test. No heaps, no sorted queues, no flattening, no hashing: waiters are kept in arrival order,
 * every question is answered by a linear scan, and a request's "same command" check compares the
 * command's fields. It only validates what the test generator can get wrong.
 *
 * <p>An owner is a session (id > 0) or, without one, a client id; {@code holder}/{@code client}
 * are labels. A session-owned lock has no lease of its own: it lives as long as its session.
 */
final class ReferenceModel {
  static final class MWaiter {
    String client;
    long session;
    int priority;
    long ttl;
    long enqueuedAt;
    long deadline;
    long seq;
    SortedMap<String, String> md;
  }

  static final class MLock {
    String holder;
    long session;
    long token;
    long acquiredAt;
    long expiresAt;
    /** TTL of the last grant or renew. */
    long ttl;
    SortedMap<String, String> md;
    final List<MWaiter> waiters = new ArrayList<>(); // arrival order
  }

  static final class MSession {
    long id;
    String name;
    long ttl;
    long expiresAt;
    SortedMap<String, String> md;
    final List<Remembered> requests = new ArrayList<>(); // oldest first
  }

  /** What a request id remembers: the reply, and the fields that make the command "the same". */
  record Remembered(String client, String request, List<Object> command, LockReply reply,
      long at) {}

  final TreeMap<String, MLock> locks = new TreeMap<>();
  final TreeMap<Long, MSession> sessions = new TreeMap<>();
  final List<Remembered> dedupe = new ArrayList<>();
  /** The settings in force: the constructor's, then each Configure's. */
  LockStateMachine.Config config;
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
    long sid = ReferenceModelCommands.sessionOf(cmd);
    MSession session = sessions.get(sid);
    if (sid != 0 && session == null) {
      return new ApplyResult(new LockReply.Error(ErrorCode.SESSION_NOT_FOUND, "", null),
          List.of());
    }
    String client = ReferenceModelCommands.field(cmd, true);
    String request = ReferenceModelCommands.field(cmd, false);
    List<Object> command = ReferenceModelCommands.sameness(cmd);
    if (!request.isEmpty()) {
      for (Remembered r : session != null ? session.requests : dedupe) {
        if (r.request.equals(request) && (session != null || r.client.equals(client))) {
          return new ApplyResult(r.command.equals(command) ? r.reply
              : new LockReply.Error(ErrorCode.INVALID_ARGUMENT, "", null), List.of());
        }
      }
    }
    time = Math.max(time, cmd.timeMs());
    dedupe.removeIf(r -> r.at + config.dedupeRetentionMs() <= time);
    index = idx;
    events = new ArrayList<>();
    LockReply reply = execute(cmd, session);
    if (!request.isEmpty()) {
      List<Remembered> memory = session != null ? session.requests : dedupe;
      memory.add(new Remembered(client, request, command, reply, time));
      int cap = session != null ? config.sessionDedupeMaxEntries() : config.dedupeMaxEntries();
      if (memory.size() > cap) {
        memory.remove(0);
      }
    }
    return new ApplyResult(reply, events);
  }

  private static LockReply validate(LockCommand cmd) {
    long ttl = 1000;
    boolean badArg = cmd.timeMs() < 0;
    boolean ownTtl = true;
    if (cmd instanceof LockCommand.SessionOwned c) {
      badArg |= c.sessionId() < 0;
      badArg |= c.clientId().isEmpty() && c.sessionId() == 0;
    }
    if (cmd instanceof LockCommand.Acquire c) {
      ttl = c.ttlMs();
      ownTtl = c.sessionId() == 0 || ttl != 0;
      badArg |= c.waitForLock() && (c.waitTimeoutMs() < 1000 || c.waitTimeoutMs() > 600_000);
    } else if (cmd instanceof LockCommand.Renew c) {
      ttl = c.ttlMs();
      ownTtl = c.sessionId() == 0 || ttl != 0;
      badArg |= c.token() < 1;
    } else if (cmd instanceof LockCommand.Release c) {
      badArg |= c.token() < 1;
    } else if (cmd instanceof LockCommand.OpenSession c) {
      badArg |= c.name().isEmpty();
      if (!badArg && (c.ttlMs() < 1000 || c.ttlMs() > 600_000)) {
        return new LockReply.Error(ErrorCode.INVALID_TTL, "", null);
      }
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      badArg |= c.sessionId() < 1;
    } else if (cmd instanceof LockCommand.CloseSession c) {
      badArg |= c.sessionId() < 1;
    }
    if (badArg) {
      return new LockReply.Error(ErrorCode.INVALID_ARGUMENT, "", null);
    }
    if (ownTtl && (ttl < 1000 || ttl > 86_400_000)) {
      return new LockReply.Error(ErrorCode.INVALID_TTL, "", null);
    }
    return null;
  }

  private static boolean owns(long lockOrWaitSession, String label, long sid, String client) {
    return sid == 0 ? lockOrWaitSession == 0 && label.equals(client) : lockOrWaitSession == sid;
  }

  private static String label(MSession s, String client) {
    return s != null && client.isEmpty() ? s.name : client;
  }

  private LockReply execute(LockCommand cmd, MSession s) {
    if (cmd instanceof LockCommand.Configure c) {
      return configure(c.config());
    }
    long sid = s == null ? 0 : s.id;
    if (cmd instanceof LockCommand.Acquire c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        l = new MLock();
        locks.put(c.lockId(), l);
        grant(c.lockId(), l, label(s, c.clientId()), sid, c.ttlMs(), c.metadata());
        return new LockReply.Granted(l.token, l.acquiredAt, expiresAt(l), false);
      }
      if (owns(l.session, l.holder, sid, c.clientId())) {
        return new LockReply.Granted(l.token, l.acquiredAt, expiresAt(l), sid != 0);
      }
      if (!c.waitForLock()) {
        return new LockReply.Error(ErrorCode.LOCK_HELD, "", backoff(l));
      }
      return enqueue(c.lockId(), l, s, c.clientId(), c.priority(), c.ttlMs(), c.waitTimeoutMs(),
          c.metadata());
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        return new LockReply.Error(ErrorCode.LOCK_NOT_HELD, "", null);
      }
      if (owns(l.session, l.holder, sid, c.clientId())) {
        return new LockReply.Granted(l.token, l.acquiredAt, expiresAt(l), sid != 0);
      }
      return enqueue(c.lockId(), l, s, c.clientId(), c.priority(), 30_000, c.waitTimeoutMs(),
          new TreeMap<>());
    } else if (cmd instanceof LockCommand.Release c) {
      MLock l = locks.get(c.lockId());
      LockReply denied = checkHolder(l, sid, c.clientId(), c.token());
      if (denied != null) {
        return denied;
      }
      releases++;
      events.add(new LockEvent.Released(c.lockId(), l.holder, l.token, index, l.session));
      return new LockReply.Released(endHolding(c.lockId(), l));
    } else if (cmd instanceof LockCommand.Renew c) {
      MLock l = locks.get(c.lockId());
      LockReply denied = checkHolder(l, sid, c.clientId(), c.token());
      if (denied != null) {
        return denied;
      }
      if (s != null) {
        s.expiresAt = Math.max(s.expiresAt, time + s.ttl);
      } else {
        l.expiresAt = time + c.ttlMs();
        l.ttl = c.ttlMs();
      }
      return new LockReply.Renewed(expiresAt(l));
    }
    return executeWaitCommands(cmd, s);
  }

  private LockReply executeWaitCommands(LockCommand cmd, MSession s) {
    if (cmd instanceof LockCommand.CancelWait c) {
      MLock l = locks.get(c.lockId());
      if (l == null) {
        return new LockReply.Error(ErrorCode.LOCK_NOT_FOUND, "", null);
      }
      MWaiter w = find(l, s == null ? 0 : s.id, c.clientId());
      if (w == null) {
        return new LockReply.Error(ErrorCode.NOT_WAITING, "", null);
      }
      l.waiters.remove(w);
      waitCancels++;
      events.add(new LockEvent.WaitCancelled(c.lockId(), w.client, 0, index, w.session));
      return new LockReply.Cancelled(1);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      List<Object[]> found = new ArrayList<>();
      locks.forEach((id, l) -> l.waiters.stream()
          .filter(w -> w.session == 0 && w.client.equals(c.clientId()))
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
    } else if (cmd instanceof LockCommand.Expire) {
      return expire(cmd.timeMs());
    }
    return executeSessionCommands(cmd, s);
  }

  private LockReply executeSessionCommands(LockCommand cmd, MSession s) {
    if (cmd instanceof LockCommand.OpenSession c) {
      MSession n = new MSession();
      n.id = index;
      n.name = c.name();
      n.ttl = c.ttlMs();
      n.expiresAt = time + c.ttlMs();
      n.md = c.metadata();
      sessions.put(n.id, n);
      return new LockReply.SessionOpened(n.id, n.ttl, n.expiresAt);
    } else if (cmd instanceof LockCommand.KeepAlive) {
      s.expiresAt = Math.max(s.expiresAt, time + s.ttl);
      return new LockReply.KeptAlive(s.expiresAt);
    }
    int[] ended = endSessions(List.of(s), false);
    return new LockReply.SessionClosed(ended[0], ended[1]);
  }

  /** New bounds; remembered requests beyond them go now, oldest first. Queued waiters stay. */
  private LockReply configure(LockStateMachine.Config next) {
    config = next;
    int before = dedupe.size();
    dedupe.removeIf(r -> r.at + config.dedupeRetentionMs() <= time);
    while (dedupe.size() > config.dedupeMaxEntries()) {
      dedupe.remove(0);
    }
    int evicted = before - dedupe.size();
    for (MSession session : sessions.values()) {
      while (session.requests.size() > config.sessionDedupeMaxEntries()) {
        session.requests.remove(0);
        evicted++;
      }
    }
    return new LockReply.Configured(evicted);
  }

  /** Cancels all waits of all the sessions, then per session releases its locks by lock id. */
  private int[] endSessions(List<MSession> ending, boolean expired) {
    int waits = 0;
    for (MSession s : ending) {
      List<Object[]> found = new ArrayList<>();
      locks.forEach((id, l) -> l.waiters.stream().filter(w -> w.session == s.id)
          .forEach(w -> found.add(new Object[] {id, l, w})));
      found.sort(Comparator.comparingLong(o -> ((MWaiter) o[2]).seq));
      for (Object[] o : found) {
        ((MLock) o[1]).waiters.remove((MWaiter) o[2]);
        waitCancels++;
        events.add(new LockEvent.WaitCancelled((String) o[0], ((MWaiter) o[2]).client, 0, index,
            s.id));
        waits++;
      }
    }
    int released = 0;
    for (MSession s : ending) {
      List<String> held = new ArrayList<>();
      locks.forEach((id, l) -> {
        if (l.session == s.id) {
          held.add(id); // TreeMap order: by lock id
        }
      });
      for (String id : held) {
        MLock l = locks.get(id);
        if (expired) {
          expirations++;
          events.add(new LockEvent.Expired(id, l.holder, l.token, index, s.id));
        } else {
          releases++;
          events.add(new LockEvent.Released(id, l.holder, l.token, index, s.id));
        }
        endHolding(id, l);
        released++;
      }
      sessions.remove(s.id);
      events.add(expired ? new LockEvent.SessionExpired(s.id, s.name, index)
          : new LockEvent.SessionClosed(s.id, s.name, index));
    }
    return new int[] {released, waits};
  }

  /** Every client-owned lease and every session ends no earlier than (clamped) time + ttl. */
  private LockReply promote() {
    int extended = 0;
    for (MLock l : locks.values()) {
      if (l.session == 0 && time + l.ttl > l.expiresAt) {
        l.expiresAt = time + l.ttl;
        extended++;
      }
    }
    for (MSession s : sessions.values()) {
      if (time + s.ttl > s.expiresAt) {
        s.expiresAt = time + s.ttl;
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
      MWaiter w = (MWaiter) o[2];
      ((MLock) o[1]).waiters.remove(w);
      waitTimeouts++;
      events.add(new LockEvent.WaitTimedOut((String) o[0], w.client, 0, index, w.session));
    }
    int timedOut = due.size();
    List<MSession> dueSessions = new ArrayList<>(sessions.values().stream()
        .filter(s -> s.expiresAt <= t).toList());
    dueSessions.sort(Comparator.comparingLong((MSession s) -> s.expiresAt)
        .thenComparingLong(s -> s.id));
    long before = waitTimeouts;
    int expired = dueSessions.isEmpty() ? 0 : endSessions(dueSessions, true)[0];
    timedOut += (int) (waitTimeouts - before);
    while (true) {
      String first = null;
      for (var e : locks.entrySet()) {
        MLock l = e.getValue();
        if (l.session == 0 && l.expiresAt <= t
            && (first == null || l.expiresAt < locks.get(first).expiresAt)) {
          first = e.getKey(); // TreeMap order: ties keep the smallest lock id
        }
      }
      if (first == null) {
        return new LockReply.Expired(expired, timedOut, dueSessions.size());
      }
      MLock l = locks.get(first);
      expirations++;
      expired++;
      events.add(new LockEvent.Expired(first, l.holder, l.token, index));
      before = waitTimeouts;
      endHolding(first, l);
      timedOut += (int) (waitTimeouts - before);
    }
  }

  private LockReply checkHolder(MLock l, long sid, String client, long token) {
    if (l == null) {
      return new LockReply.Error(ErrorCode.LOCK_NOT_HELD, "", null);
    }
    if (!owns(l.session, l.holder, sid, client)) {
      return new LockReply.Error(ErrorCode.NOT_LOCK_OWNER, "", null);
    }
    if (l.token != token) {
      return new LockReply.Error(ErrorCode.VERSION_MISMATCH, "", null);
    }
    return null;
  }

  private void grant(String id, MLock l, String client, long sid, long ttl,
      SortedMap<String, String> md) {
    l.holder = client;
    l.session = sid;
    l.token = index;
    l.acquiredAt = time;
    l.expiresAt = sid == 0 ? time + ttl : 0;
    l.ttl = sid == 0 ? ttl : 0;
    l.md = md;
    grants++;
    events.add(new LockEvent.Granted(id, client, index, index, sid));
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
        events.add(new LockEvent.WaitTimedOut(id, best.client, 0, index, best.session));
        continue;
      }
      grant(id, l, best.client, best.session, best.ttl, best.md);
      return true;
    }
    locks.remove(id);
    return false;
  }

  private LockReply enqueue(String id, MLock l, MSession s, String client, int priority,
      long ttl, long waitTimeout, SortedMap<String, String> md) {
    MWaiter existing = find(l, s == null ? 0 : s.id, client);
    if (existing != null) {
      return new LockReply.Queued(position(l, existing), estimate(l, existing));
    }
    if (l.waiters.size() >= config.maxWaitersPerLock()) {
      return new LockReply.Error(ErrorCode.WAIT_QUEUE_FULL, "", backoff(l));
    }
    MWaiter w = new MWaiter();
    w.client = label(s, client);
    w.session = s == null ? 0 : s.id;
    w.priority = priority;
    w.ttl = s == null ? ttl : s.ttl;
    w.enqueuedAt = time;
    w.deadline = time + waitTimeout;
    w.seq = index;
    w.md = md;
    l.waiters.add(w);
    events.add(new LockEvent.Queued(id, w.client, 0, index, position(l, w), w.session));
    return new LockReply.Queued(position(l, w), estimate(l, w));
  }

  private static MWaiter find(MLock l, long sid, String client) {
    return l.waiters.stream().filter(w -> owns(w.session, w.client, sid, client)).findFirst()
        .orElse(null);
  }

  private static boolean ahead(MWaiter x, MWaiter w) {
    return x.priority > w.priority || (x.priority == w.priority && x.seq < w.seq);
  }

  private static int position(MLock l, MWaiter w) {
    return (int) l.waiters.stream().filter(x -> ahead(x, w)).count();
  }

  /** A lock's end of lease: its own, or its session's. */
  private long expiresAt(MLock l) {
    return l.session == 0 ? l.expiresAt : sessions.get(l.session).expiresAt;
  }

  private long estimate(MLock l, MWaiter w) {
    long est = Math.max(0, expiresAt(l) - time);
    for (MWaiter x : l.waiters) {
      est += ahead(x, w) ? x.ttl : 0;
    }
    return est;
  }

  private BackoffAdvice backoff(MLock l) {
    long est = Math.max(0, expiresAt(l) - time);
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
      ws.add(new WaiterInfo(w.client, w.priority, w.enqueuedAt, w.deadline, position(l, w),
          w.session));
    }
    ws.sort(Comparator.comparingInt(WaiterInfo::position));
    return Optional.of(new LockInfo(id, l.holder, l.token, l.acquiredAt, expiresAt(l),
        l.waiters.size(), ws, l.md, l.session));
  }

  /** Live sessions in id order, as {@link LockStateMachine#listSessions} shows them. */
  List<SessionInfo> sessionInfos() {
    List<SessionInfo> out = new ArrayList<>();
    for (MSession s : sessions.values()) {
      int held = 0;
      int waits = 0;
      for (MLock l : locks.values()) {
        held += l.session == s.id ? 1 : 0;
        waits += (int) l.waiters.stream().filter(w -> w.session == s.id).count();
      }
      out.add(new SessionInfo(s.id, s.name, s.ttl, s.expiresAt, held, waits,
          s.requests.size(), s.md));
    }
    return out;
  }

  LockStats stats() {
    int waiters = 0;
    int contested = 0;
    for (MLock l : locks.values()) {
      waiters += l.waiters.size();
      contested += l.waiters.isEmpty() ? 0 : 1;
    }
    int remembered = dedupe.size(); // client-owned request ids and those of every session
    for (MSession s : sessions.values()) {
      remembered += s.requests.size();
    }
    return new LockStats(locks.size(), waiters, contested,
        holdsEnded == 0 ? 0 : totalHold / holdsEnded, grants, releases, expirations,
        waitTimeouts, waitCancels, remembered, time, sessions.size());
  }

  long nextDeadline() {
    long next = Long.MAX_VALUE;
    for (MLock l : locks.values()) {
      if (l.session == 0) {
        next = Math.min(next, l.expiresAt);
      }
      for (MWaiter w : l.waiters) {
        next = Math.min(next, w.deadline);
      }
    }
    for (MSession s : sessions.values()) {
      next = Math.min(next, s.expiresAt);
    }
    return next;
  }

  /** Holder of {@code lockId}, or null if free (used by the generator). */
  String holderOf(String lockId) {
    MLock l = locks.get(lockId);
    return l == null ? null : l.holder;
  }

  /** Session holding {@code lockId}, or 0 (used by the generator). */
  long holderSessionOf(String lockId) {
    MLock l = locks.get(lockId);
    return l == null ? 0 : l.session;
  }

  /** Current token of {@code lockId}, or 0 if free (used by the generator). */
  long tokenOf(String lockId) {
    MLock l = locks.get(lockId);
    return l == null ? 0 : l.token;
  }

  /** Live session ids in id order (used by the generator). */
  List<Long> sessionIds() {
    return new ArrayList<>(sessions.keySet());
  }

  Iterator<String> lockIds() {
    return locks.keySet().iterator();
  }
}
