package io.raftlock.lock;

import java.util.List;

/**
 * Opening, keeping alive and ending sessions at log {@code index}, with the state machine's
 * (already advanced) time.
 *
 * <p>Ending sessions (close, or expiry of every session due at an {@code Expire}) happens in one
 * entry: first every wait of every ending session is cancelled (arrival order within a session),
 * so that no lock freed here is granted to a session that is ending too; then, session by
 * session, every held lock is released in lock-id order (event {@code Expired} on expiry,
 * {@code Released} on close, with the session id), each promoting its best live waiter with
 * token = index; then the session goes (event {@code SessionExpired} / {@code SessionClosed}).
 */
final class SessionLifecycle {
  /** What ending sessions did: sessions ended, holdings ended, waits cancelled. */
  record Ended(int sessions, int locks, int waits) {}

  private final LockStateMachine sm;
  private final LockTable table;
  private final long index;
  private final long now;
  private final List<LockEvent> events;

  SessionLifecycle(LockStateMachine sm, long index, List<LockEvent> events) {
    this.sm = sm;
    this.table = sm.table;
    this.index = index;
    this.now = sm.smTimeMs;
    this.events = events;
  }

  /**
   * Session commands; {@code session} is the (existing) session a keep-alive or close names, and
   * {@code principal} the caller's, which a new session records.
   */
  LockReply execute(LockCommand cmd, Session session, String principal) {
    if (cmd instanceof LockCommand.OpenSession c) {
      Session s = new Session(index, c.name(), c.ttlMs(), LockState.flatten(c.metadata()),
          now + c.ttlMs());
      s.principal = principal;
      sm.sessions.add(s);
      return new LockReply.SessionOpened(s.id, s.ttlMs, s.expiresAtMs);
    } else if (cmd instanceof LockCommand.KeepAlive) {
      sm.sessions.keepAlive(session, now);
      return new LockReply.KeptAlive(session.expiresAtMs);
    } else if (cmd instanceof LockCommand.CloseSession) {
      Ended ended = end(List.of(session), false);
      return new LockReply.SessionClosed(ended.locks(), ended.waits());
    }
    throw new IllegalArgumentException("unknown command " + cmd);
  }

  /** Ends every session whose deadline is {@code <= t}, in (deadline, id) order. */
  Ended expireDue(long t) {
    List<Session> due = sm.sessions.popDue(t);
    return due.isEmpty() ? new Ended(0, 0, 0) : end(due, true);
  }

  private Ended end(List<Session> ending, boolean expired) {
    int waits = 0;
    for (Session s : ending) {
      for (Waiter w : s.waitsByArrival()) {
        table.removeWaiterAt(w.lock, w.lock.waiters.positionOf(w));
        table.counters.waitCancels++;
        events.add(new LockEvent.WaitCancelled(w.lock.lockId, w.clientId, 0, index, s.id, w.principal));
        waits++;
      }
    }
    int locks = 0;
    for (Session s : ending) {
      locks += releaseAll(s, expired);
      sm.sessions.remove(s);
      events.add(expired ? new LockEvent.SessionExpired(s.id, s.name, index)
          : new LockEvent.SessionClosed(s.id, s.name, index));
    }
    return new Ended(ending.size(), locks, waits);
  }

  private int releaseAll(Session s, boolean expired) {
    List<LockState> holds = s.holdsByLockId();
    for (LockState l : holds) {
      if (expired) {
        table.counters.expirations++;
        events.add(new LockEvent.Expired(l.lockId, l.holder, l.token, index, s.id, l.principal));
      } else {
        table.counters.releases++;
        events.add(new LockEvent.Released(l.lockId, l.holder, l.token, index, s.id, l.principal));
      }
      table.endHolding(l, index, now, events);
    }
    return holds.size();
  }
}
