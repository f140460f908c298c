package io.raftlock.lock;

import java.util.List;

/**
 * Executes one validated, non-duplicate command against the lock table at log {@code index},
 * with the state machine's (already advanced) time. One instance per applied entry.
 *
 * <p>The owner of a lock command is {@code session} when the command names one (the state
 * machine has checked that it exists), else the command's client id. Error precedence for holder
 * commands (release, renew): the lock must be held ({@code LOCK_NOT_HELD}), by the caller
 * ({@code NOT_LOCK_OWNER}), with the presented token ({@code VERSION_MISMATCH}). Errors change
 * nothing.
 */
final class CommandExecutor {
  private final LockStateMachine sm;
  private final LockTable table;
  private final long index;
  private final long now;
  private final List<LockEvent> events;
  /** The command's session, or {@code null} for a client-owned or non-lock command. */
  private final Session session;
  private final Caller caller;

  CommandExecutor(LockStateMachine sm, long index, List<LockEvent> events, Session session,
      Caller caller) {
    this.caller = caller;
    this.sm = sm;
    this.table = sm.table;
    this.index = index;
    this.now = sm.smTimeMs;
    this.events = events;
    this.session = session;
  }

  LockReply execute(LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return acquire(c);
    } else if (cmd instanceof LockCommand.Release c) {
      return release(c);
    } else if (cmd instanceof LockCommand.Renew c) {
      return renew(c);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return enqueueWaiter(c);
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return cancelWait(c);
    } else if (cmd instanceof LockCommand.Expire c) {
      return expire(c.timeMs());
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      return cancelClientWaits(c.clientId(), c.principal());
    } else if (cmd instanceof LockCommand.Promote) {
      return promote();
    }
    return new SessionLifecycle(sm, index, events).execute(cmd, session, caller.principal());
  }

  /** The holder/waiter label of a command: its client id, or its session's name if empty. */
  private String label(String clientId) {
    return session == null ? clientId : session.label(clientId);
  }

  /**
   * Free → granted with token = index. Held by the caller → the same holding again (idempotent,
   * not a renew; flagged {@code alreadyHeld} for a session). Held by another → queued if
   * {@code waitForLock}, else {@code LOCK_HELD}.
   */
  private LockReply acquire(LockCommand.Acquire c) {
    LockState l = table.get(c.lockId());
    String label = label(c.clientId());
    if (l == null) {
      l = table.grantNew(c.lockId(), label, session, index, now, c.ttlMs(),
          LockState.flatten(c.metadata()), caller.principal());
      events.add(new LockEvent.Granted(c.lockId(), label, index, index, l.sessionId(), l.principal));
      return granted(l, false);
    }
    if (l.heldBy(session, caller.principal(), c.clientId())) {
      return granted(l, session != null);
    }
    if (!c.waitForLock()) {
      return new LockReply.Error(ErrorCode.LOCK_HELD, "lock " + c.lockId() + " is held",
          LockQueries.backoff(l, now));
    }
    return enqueue(l, c.clientId(), c.priority(), c.ttlMs(), c.waitTimeoutMs(),
        LockState.flatten(c.metadata()));
  }

  private static LockReply.Granted granted(LockState l, boolean alreadyHeld) {
    return new LockReply.Granted(l.token, l.acquiredAtMs, l.leaseExpiresAtMs(), alreadyHeld);
  }

  /** Like a waiting acquire, except that a free lock is {@code LOCK_NOT_HELD}. */
  private LockReply enqueueWaiter(LockCommand.EnqueueWaiter c) {
    LockState l = table.get(c.lockId());
    if (l == null) {
      return LockReply.Error.of(ErrorCode.LOCK_NOT_HELD,
          "lock " + c.lockId() + " is free: acquire it instead of waiting");
    }
    if (l.heldBy(session, caller.principal(), c.clientId())) {
      return granted(l, session != null);
    }
    return enqueue(l, c.clientId(), c.priority(), LockLimits.DEFAULT_TTL_MS, c.waitTimeoutMs(),
        null);
  }

  /**
   * Already waiting → its current position, unchanged. Full queue → {@code WAIT_QUEUE_FULL}. A
   * session's waiter carries the session's TTL (it only feeds wait estimates).
   */
  private LockReply enqueue(LockState l, String clientId, int priority, long ttlMs,
      long waitTimeoutMs, String[] metadata) {
    int position = l.waiters.positionOf(session, caller.principal(), clientId);
    if (position >= 0) {
      return new LockReply.Queued(position, LockQueries.estimatedWaitMs(l, position, now));
    }
    if (l.waiters.size() >= sm.config.maxWaitersPerLock()) {
      return new LockReply.Error(ErrorCode.WAIT_QUEUE_FULL,
          "wait queue of " + l.lockId + " is full (" + l.waiters.size() + " waiters)",
          LockQueries.backoff(l, now));
    }
    String label = label(clientId);
    long waiterTtlMs = session == null ? ttlMs : session.ttlMs;
    Waiter w = table.addWaiter(l, label, session, priority, waiterTtlMs, now, waitTimeoutMs,
        index, metadata, caller.principal());
    position = l.waiters.positionOf(w);
    events.add(new LockEvent.Queued(l.lockId, label, 0, index, position, w.sessionId(), w.principal));
    return new LockReply.Queued(position, LockQueries.estimatedWaitMs(l, position, now));
  }

  private LockReply release(LockCommand.Release c) {
    LockState l = table.get(c.lockId());
    LockReply.Error denied = checkHolder(l, c.lockId(), c.clientId(), c.token());
    if (denied != null) {
      return denied;
    }
    table.counters.releases++;
    events.add(new LockEvent.Released(l.lockId, l.holder, l.token, index, l.sessionId(), l.principal));
    return new LockReply.Released(table.endHolding(l, index, now, events) != null);
  }

  /** A client-owned lease moves to now + ttl; a session-owned lock keeps its session alive. */
  private LockReply renew(LockCommand.Renew c) {
    LockState l = table.get(c.lockId());
    LockReply.Error denied = checkHolder(l, c.lockId(), c.clientId(), c.token());
    if (denied != null) {
      return denied;
    }
    if (l.session != null) {
      sm.sessions.keepAlive(l.session, now); // the holder's session (release-any may renew it)
    } else {
      table.renew(l, now, c.ttlMs());
    }
    return new LockReply.Renewed(l.leaseExpiresAtMs());
  }

  private LockReply.Error checkHolder(LockState l, String lockId, String clientId, long token) {
    if (l == null) {
      return LockReply.Error.of(ErrorCode.LOCK_NOT_HELD, "lock " + lockId + " is not held");
    }
    if (caller.mayReleaseAny(lockId)) {
      return checkToken(l, token); // whoever holds it: release-any needs only the token
    }
    if (l.heldBy(session, clientId) && !l.heldBy(session, caller.principal(), clientId)) {
      return LockReply.Error.of(ErrorCode.PERMISSION_DENIED, "lock " + lockId
          + " is held by principal " + l.principal + ", not " + caller.principal()
          + ": renewing or releasing it needs 'release-any' on '" + lockId + "'");
    }
    if (!l.heldBy(session, clientId)) {
      return LockReply.Error.of(ErrorCode.NOT_LOCK_OWNER,
          "lock " + lockId + " is held by another " + (session == null ? "client" : "owner"));
    }
    return checkToken(l, token);
  }

  private static LockReply.Error checkToken(LockState l, long token) {
    if (l.token != token) {
      return LockReply.Error.of(ErrorCode.VERSION_MISMATCH,
          "fencing token " + token + " is not the current token " + l.token);
    }
    return null;
  }

  private LockReply cancelWait(LockCommand.CancelWait c) {
    LockState l = table.get(c.lockId());
    if (l == null) {
      return LockReply.Error.of(ErrorCode.LOCK_NOT_FOUND, "lock " + c.lockId() + " not found");
    }
    int position = l.waiters.positionOf(session, caller.principal(), c.clientId());
    if (position < 0) {
      return LockReply.Error.of(ErrorCode.NOT_WAITING,
          label(c.clientId()) + " is not waiting for " + c.lockId());
    }
    Waiter w = table.removeWaiterAt(l, position);
    table.counters.waitCancels++;
    events.add(new LockEvent.WaitCancelled(l.lockId, w.clientId, 0, index, w.sessionId(), w.principal));
    return new LockReply.Cancelled(1);
  }

  /**
   * Removes every client-owned wait of the client, in arrival order (not its sessions'): of
   * {@code principal} only, unless it is empty (a watch made while auth was off), since a client
   * id names an owner only together with its principal.
   */
  private LockReply cancelClientWaits(String clientId, String principal) {
    List<Waiter> waits = table.waitersOf(clientId).stream()
        .filter(w -> principal.isEmpty() || w.principal.equals(principal)).toList();
    for (Waiter w : waits) {
      table.removeWaiterAt(w.lock, w.lock.waiters.positionOf(w));
      table.counters.waitCancels++;
      events.add(new LockEvent.WaitCancelled(w.lock.lockId, clientId, 0, index, 0, w.principal));
    }
    return new LockReply.Cancelled(waits.size());
  }

  /**
   * Expires exactly what is due at {@code t} (the command's own time, which may be below the
   * clamped state-machine time): first wait timeouts in (deadline, arrival) order, then sessions
   * in (deadline, id) order (all their holds and waits, see {@link SessionLifecycle}), then
   * leases in (deadline, lock id) order, each promoting its best live waiter with token = index.
   * Sessions go before leases so that no lease expiry grants a lock to a session that ends in
   * the same entry. A promoted lease ends at {@code now + ttl > t}, so the loop terminates.
   */
  private LockReply expire(long t) {
    int timedOut = 0;
    for (Waiter w = table.waits.peek(); w != null && w.waitDeadlineMs <= t;
        w = table.waits.peek()) {
      table.removeWaiterAt(w.lock, w.lock.waiters.positionOf(w));
      table.counters.waitTimeouts++;
      events.add(new LockEvent.WaitTimedOut(w.lock.lockId, w.clientId, 0, index, w.sessionId(), w.principal));
      timedOut++;
    }
    int before = events.size();
    SessionLifecycle.Ended ended = new SessionLifecycle(sm, index, events).expireDue(t);
    timedOut += countTimedOut(before);
    int expired = ended.locks();
    for (LockState l = table.leases.peek(); l != null && l.expiresAtMs <= t;
        l = table.leases.peek()) {
      table.counters.expirations++;
      events.add(new LockEvent.Expired(l.lockId, l.holder, l.token, index, 0, l.principal));
      before = events.size();
      table.endHolding(l, index, now, events);
      timedOut += countTimedOut(before);
      expired++;
    }
    return new LockReply.Expired(expired, timedOut, ended.sessions());
  }

  /**
   * Re-arms every client-owned lease to end no earlier than {@code now + leaseTtlMs}, and every
   * session likewise with its TTL. {@code now} is the clamped time ({@code max(smTimeMs,
   * timeMs)}), never the raw command time: a new leader whose clock is behind the state
   * machine's still grants the full TTL from the replicated time. No events: holders keep their
   * locks and tokens, waiters and wait deadlines are untouched.
   */
  private LockReply promote() {
    return new LockReply.Promoted(table.promoteLeases(now) + sm.sessions.promote(now));
  }

  private int countTimedOut(int from) {
    int n = 0;
    for (int i = from; i < events.size(); i++) {
      if (events.get(i) instanceof LockEvent.WaitTimedOut) {
        n++;
      }
    }
    return n;
  }
}
