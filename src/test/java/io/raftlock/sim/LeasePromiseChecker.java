package io.raftlock.sim;

import io.raftlock.client.RaftLockClient;
import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCodecException;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockReply;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The client's promise (docs/client.md): the cluster never expires a lease before its holder's
 * local deadline, the instant the holder sent the acquire or renew that established the lease
 * plus the TTL less {@link RaftLockClient#localDeadline the client's margin}. Simulated time is
 * true time and the clients' clocks; the margin must cover the nodes' monotonic rate skew.
 *
 * <p>A lease is checked when its {@code Expired} event is first applied anywhere (the moment the
 * cluster can hand the lock on). Only leases whose holder knows a deadline are checked: a direct
 * grant of an acquire, or a lease renewed since (a grant pushed to a waiter starts the client's
 * deadline at its confirming renew). A retried request counts from its first send.
 *
 * <p><b>Sessions.</b> A session-owned lock has no lease of its own: it lives as long as its
 * session, whose holder's deadline is the send of the open, keep-alive or renew that last
 * restarted the session's TTL, plus that TTL less the margin. It is checked when the session's
 * {@code SessionExpired} is first applied (its locks are expired in that same entry). Keep-alives
 * carry no request id: when one is applied, the earliest keep-alive of that session sent since the
 * last applied one is taken as its send, which can only make the deadline earlier (a weaker check,
 * never a false alarm).
 */
final class LeasePromiseChecker {
  private static final long NANOS_PER_MS = 1_000_000L;

  private final LongSupplier simNowMs;
  private final Consumer<String> violations;
  /** Request id → simulated time of its first send. */
  private final Map<String, Long> firstSendMs = new HashMap<>();
  /** "lock#token" → the holder's local deadline, in simulated nanoseconds. */
  private final Map<String, Long> deadlineNanos = new HashMap<>();
  /** Open nonce → simulated time of its first send. */
  private final Map<String, Long> openSentMs = new HashMap<>();
  /** Session → earliest send (simulated ms) of a keep-alive not yet matched to an applied one. */
  private final Map<Long, Long> keepAliveSentMs = new HashMap<>();
  /** Session → its TTL, and its holder's local deadline in simulated nanoseconds. */
  private final Map<Long, Long> sessionTtlMs = new HashMap<>();
  private final Map<Long, Long> sessionDeadlineNanos = new HashMap<>();
  private long lastIndex;
  long expiriesChecked;
  long sessionExpiriesChecked;
  /** The least time (ms) between a holder's deadline and the expiry of its lease, over all checks. */
  long leastSlackMs = Long.MAX_VALUE;

  LeasePromiseChecker(LongSupplier simNowMs, Consumer<String> violations) {
    this.simNowMs = simNowMs;
    this.violations = violations;
  }

  /** A client sends {@code command} now (retries included). */
  void sent(byte[] command) {
    LockCommand cmd = decode(command);
    long now = simNowMs.getAsLong();
    if (cmd instanceof LockCommand.OpenSession o) {
      openSentMs.putIfAbsent(o.metadata().toString(), now);
    } else if (cmd instanceof LockCommand.KeepAlive k) {
      keepAliveSentMs.putIfAbsent(k.sessionId(), now);
    }
    String rid = requestId(cmd);
    if (rid != null && !rid.isEmpty()) {
      firstSendMs.putIfAbsent(rid, now);
    }
  }

  /** Entry {@code index} applied on some replica; only its first application counts. */
  void applied(long index, byte[] command, ApplyResult result) {
    if (index <= lastIndex) {
      return;
    }
    lastIndex = index;
    LockCommand cmd = decode(command);
    if (cmd == null) {
      return;
    }
    for (LockEvent ev : result.events()) {
      if (ev instanceof LockEvent.Granted g && cmd instanceof LockCommand.Acquire a
          && g.token() == index && g.clientId().equals(a.clientId()) && g.sessionId() == 0) {
        holderKnows(g.lockId(), g.token(), a.requestId(), a.ttlMs());
      } else if (ev instanceof LockEvent.Expired x && x.sessionId() == 0) {
        check(x, index);
      } else if (ev instanceof LockEvent.Released x) {
        deadlineNanos.remove(x.lockId() + "#" + x.token());
      } else if (ev instanceof LockEvent.SessionExpired x) {
        checkSession(x, index);
      } else if (ev instanceof LockEvent.SessionClosed x) {
        forgetSession(x.sessionId());
      }
    }
    sessionKept(cmd, result.reply());
    if (cmd instanceof LockCommand.Renew rn && result.reply() instanceof LockReply.Renewed && rn.sessionId() == 0) {
      holderKnows(rn.lockId(), rn.token(), rn.requestId(), rn.ttlMs());
    }
  }

  /** An applied open, keep-alive or session renew restarts its session's TTL from its send. */
  private void sessionKept(LockCommand cmd, LockReply reply) {
    if (cmd instanceof LockCommand.OpenSession o && reply instanceof LockReply.SessionOpened opened) {
      sessionTtlMs.put(opened.sessionId(), opened.ttlMs());
      sessionRestarted(opened.sessionId(), openSentMs.remove(o.metadata().toString()));
    } else if (cmd instanceof LockCommand.KeepAlive k && reply instanceof LockReply.KeptAlive) {
      sessionRestarted(k.sessionId(), keepAliveSentMs.remove(k.sessionId()));
    } else if (cmd instanceof LockCommand.Renew rn && reply instanceof LockReply.Renewed && rn.sessionId() != 0) {
      sessionRestarted(rn.sessionId(), firstSendMs.get(rn.requestId()));
    }
  }

  private void sessionRestarted(long sessionId, Long sentMs) {
    Long ttl = sessionTtlMs.get(sessionId);
    if (sentMs == null || ttl == null) {
      return;
    }
    long deadline = RaftLockClient.localDeadline(sentMs * NANOS_PER_MS, Duration.ofMillis(ttl));
    sessionDeadlineNanos.merge(sessionId, deadline, Math::max);
  }

  private void forgetSession(long sessionId) {
    sessionTtlMs.remove(sessionId);
    sessionDeadlineNanos.remove(sessionId);
    keepAliveSentMs.remove(sessionId);
  }

  private void checkSession(LockEvent.SessionExpired x, long index) {
    Long deadline = sessionDeadlineNanos.get(x.sessionId());
    forgetSession(x.sessionId());
    if (deadline == null) {
      return;
    }
    sessionExpiriesChecked++;
    long nowNanos = simNowMs.getAsLong() * NANOS_PER_MS;
    leastSlackMs = Math.min(leastSlackMs, (nowNanos - deadline) / NANOS_PER_MS);
    if (nowNanos < deadline) {
      violations.accept("lease promise: session " + x.sessionId() + " of " + x.clientId() + " expired at index "
          + index + ", " + simNowMs.getAsLong() + " ms, " + (deadline - nowNanos) / NANOS_PER_MS
          + " ms before its holder's local deadline");
    }
  }

  private void holderKnows(String lockId, long token, String requestId, long ttlMs) {
    Long sentMs = firstSendMs.get(requestId);
    if (sentMs != null) {
      deadlineNanos.put(lockId + "#" + token,
          RaftLockClient.localDeadline(sentMs * NANOS_PER_MS, Duration.ofMillis(ttlMs)));
    }
  }

  private void check(LockEvent.Expired x, long index) {
    Long deadline = deadlineNanos.remove(x.lockId() + "#" + x.token());
    if (deadline == null) {
      return;
    }
    expiriesChecked++;
    long nowNanos = simNowMs.getAsLong() * NANOS_PER_MS;
    leastSlackMs = Math.min(leastSlackMs, (nowNanos - deadline) / NANOS_PER_MS);
    if (nowNanos < deadline) {
      violations.accept("lease promise: " + x.lockId() + " token " + x.token() + " of " + x.clientId()
          + " expired at index " + index + ", " + simNowMs.getAsLong() + " ms, "
          + (deadline - nowNanos) / NANOS_PER_MS + " ms before its holder's local deadline");
    }
  }

  private static LockCommand decode(byte[] command) {
    try {
      return LockCommandCodec.decode(command);
    } catch (LockCodecException e) {
      return null;
    }
  }

  private static String requestId(LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return c.requestId();
    } else if (cmd instanceof LockCommand.Renew c) {
      return c.requestId();
    }
    return null;
  }
}
