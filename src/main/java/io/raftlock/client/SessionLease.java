package io.raftlock.client;

import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The lease of one session, as this client may claim it: one keep-alive every TTL/3 for all the
 * session's locks, and the <em>local deadline</em> every handle of the session reads.
 *
 * <p>The deadline is {@link RaftLockClient#localDeadline} of the instant the last successful
 * keep-alive (or the open or resume) was <em>created</em> — before it was first sent, so before
 * the server could have restarted the session's TTL with it. A session-owned lock has no lease of
 * its own (the server ignores per-lock TTLs): it lives exactly as long as the session, so this one
 * deadline covers every lock, including grants pushed after a wait.
 *
 * <p>Timers and methods run on the client's context; {@link #deadlineNanos} is read from any thread.
 */
final class SessionLease {
  private static final Logger LOG = Logger.getLogger(SessionLease.class.getName());

  /** What the lease needs from its session. */
  interface Owner {
    /** Sends a keep-alive of the session; the answer, or a failure when it could not be delivered. */
    Future<SessionResponse> send(SessionRequest op, long deadlineNanos);

    /** A keep-alive stayed unanswered for a third of the TTL: the stream may be stuck. */
    void suspectStream();

    /** The local deadline passed without a successful keep-alive: the session may be gone. */
    void expiredLocally();
  }

  final Duration ttl;
  private final Vertx vertx;
  private final Owner owner;
  private volatile long deadlineNanos;
  private long keepAliveTimer = -1;
  private long deadlineTimer = -1;
  /** Creation time of the keep-alive awaiting its answer; 0 when none is. */
  private long outstandingSinceNanos;
  private boolean stopped;
  /** Keep-alives sent since the lease started (for tests and figures). */
  long keepAlivesSent;
  /** Test hook of the client: keep-alives are skipped while set, as if the process were paused. */
  volatile boolean suspended;

  SessionLease(Vertx vertx, Duration ttl, long leaseStartNanos, Owner owner) {
    this.vertx = vertx;
    this.ttl = ttl;
    this.owner = owner;
    this.deadlineNanos = RaftLockClient.localDeadline(leaseStartNanos, ttl);
    long periodMs = Math.max(50, ttl.toMillis() / 3);
    keepAliveTimer = vertx.setPeriodic(periodMs, id -> keepAliveNow());
    armDeadline();
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  boolean valid() {
    return !stopped && System.nanoTime() - deadlineNanos < 0;
  }

  /** The session's TTL restarted no earlier than {@code leaseStartNanos} (an answered keep-alive or resume). */
  void extend(long leaseStartNanos) {
    long d = RaftLockClient.localDeadline(leaseStartNanos, ttl);
    if (!stopped && d - deadlineNanos > 0) {
      deadlineNanos = d;
      armDeadline();
    }
  }

  /** Sends a keep-alive now unless one is already awaiting its answer. */
  void keepAliveNow() {
    if (stopped || suspended) {
      return;
    }
    long now = System.nanoTime();
    if (outstandingSinceNanos != 0) {
      if (now - outstandingSinceNanos > TimeUnit.MILLISECONDS.toNanos(ttl.toMillis() / 3)) {
        outstandingSinceNanos = now; // one suspicion per third of the TTL
        owner.suspectStream();
      }
      return;
    }
    outstandingSinceNanos = now;
    keepAlivesSent++;
    owner.send(SessionRequest.newBuilder().setKeepAlive(KeepAliveRequest.getDefaultInstance()).build(), deadlineNanos)
        .onComplete(ar -> {
          outstandingSinceNanos = 0;
          if (ar.succeeded() && ar.result().hasKeepAlive() && !ar.result().getKeepAlive().hasError()) {
            extend(now);
          } else if (ar.failed()) {
            LOG.log(Level.FINE, "session keep-alive failed", ar.cause());
          }
        });
  }

  private void armDeadline() {
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
    }
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()) + 1);
    deadlineTimer = vertx.setTimer(ms, id -> {
      deadlineTimer = -1;
      if (stopped) {
        return;
      }
      if (System.nanoTime() - deadlineNanos >= 0) {
        owner.expiredLocally();
      } else {
        armDeadline();
      }
    });
  }

  /** The session ended (lost or closed): no more keep-alives; the deadline stays where it was. */
  void stop() {
    stopped = true;
    if (keepAliveTimer >= 0) {
      vertx.cancelTimer(keepAliveTimer);
      keepAliveTimer = -1;
    }
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
      deadlineTimer = -1;
    }
  }
}
