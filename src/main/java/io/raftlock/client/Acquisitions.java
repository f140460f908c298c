package io.raftlock.client;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdvice;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Lock acquisitions on the client's session, one per lock name at a time: the state machine from
 * {@code lock}/{@code tryLock} to a {@link LockHandle}. Runs on the client's context.
 *
 * <p><b>Grants.</b> An {@code acquired} answer, or a {@code GRANTED} event pushed on the session
 * stream (after a wait: release committed → waiter's stream → here), hands out the handle at
 * once. No confirming renew: the lock is the session's and lives as long as the session, whose
 * lease the handle reads, so the holding is covered from the moment it exists. An {@code acquired}
 * answer for a lock the session already held (an earlier acquire whose answer was lost) is the
 * same: the session's lease covers it.
 *
 * <p><b>Re-sending.</b> Each send of an acquire has a new request id. It is safe to send one
 * again at any time: the session that already waits stays queued at its place, the session that
 * already holds gets its holding back. So an acquire is sent again when its wait ended on the
 * server (a wanted wait re-joins), when the session was resumed on a new stream (a grant pushed
 * while no stream was attached is not replayed), and on a new session after the old one was lost.
 *
 * <p><b>Giving up.</b> A wait given up locally (tryLock's timeout, client closed) leaves the queue
 * with {@code cancel_wait}; a grant that still arrives for it (event or late answer) is released.
 */
final class Acquisitions {
  /** The server's bounds on a wait (docs/api.md, limits). */
  static final long MIN_SERVER_WAIT_MS = 1_000;
  static final long MAX_SERVER_WAIT_MS = 600_000;

  private enum State { SENDING, QUEUED, DONE }

  private static final class Acquisition {
    final String name;
    final java.time.Duration ttl;
    final RaftLockClient.LockOptions options;
    final boolean wait;
    final boolean bounded;
    final long deadlineNanos;
    final Promise<Optional<LockHandle>> promise = Promise.promise();
    State state = State.SENDING;
    int sends;
    int retries;
    long timer = -1;
    /** A reason to send again arrived while an acquire was in flight (its "queued" may be stale). */
    boolean sendAgain;
    /** The cluster refused the acquire (held by another session): this session holds nothing. */
    boolean refused;

    Acquisition(String name, java.time.Duration ttl, RaftLockClient.LockOptions options,
        java.time.Duration waitTimeout) {
      this.name = name;
      this.ttl = ttl;
      this.options = options;
      this.wait = waitTimeout == null || !waitTimeout.isZero();
      this.bounded = waitTimeout != null;
      this.deadlineNanos = bounded ? System.nanoTime() + waitTimeout.toNanos() : Long.MAX_VALUE;
    }
  }

  private final Vertx vertx;
  private final SessionChannel channel;
  private final Holdings holdings;
  private final Supplier<String> requestIds;
  private final String label;
  private final Random random;
  private final long operationTimeoutNanos;
  private final Map<String, Acquisition> pending = new HashMap<>();
  /** Locks whose acquisition was given up: a grant that still arrives for them is released. */
  private final Set<String> abandoned = new HashSet<>();

  Acquisitions(Vertx vertx, SessionChannel channel, Holdings holdings, Supplier<String> requestIds, String label,
      Random random, long operationTimeoutNanos) {
    this.vertx = vertx;
    this.channel = channel;
    this.holdings = holdings;
    this.requestIds = requestIds;
    this.label = label;
    this.random = random;
    this.operationTimeoutNanos = operationTimeoutNanos;
  }

  boolean isAcquiring(String name) {
    return pending.containsKey(name);
  }

  Future<Optional<LockHandle>> start(String name, java.time.Duration ttl, java.time.Duration waitTimeout,
      RaftLockClient.LockOptions options) {
    abandoned.remove(name);
    Acquisition a = new Acquisition(name, ttl, options, waitTimeout);
    pending.put(name, a);
    if (a.bounded && a.wait) {
      // A zero wait is one attempt, answered by its reply; a real wait ends at its deadline.
      long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(a.deadlineNanos - System.nanoTime()));
      a.timer = vertx.setTimer(ms, id -> giveUp(a));
    }
    send(a);
    return a.promise.future();
  }

  private void send(Acquisition a) {
    if (a.state == State.DONE) {
      return;
    }
    a.state = State.SENDING;
    a.sends++;
    a.sendAgain = false;
    // The TTL is not sent: the server ignores a session lock's TTL (the session's lease covers it).
    AcquireRequest.Builder req = AcquireRequest.newBuilder().setLockId(a.name).setClientId(label).setWait(a.wait)
        .setPriority(a.options.priority()).putAllMetadata(a.options.metadata()).setRequestId(requestIds.get());
    if (a.wait) {
      long waitMs = a.bounded ? TimeUnit.NANOSECONDS.toMillis(a.deadlineNanos - System.nanoTime()) : MAX_SERVER_WAIT_MS;
      req.setWaitTimeout(SessionChannel.protoMillis(Math.max(MIN_SERVER_WAIT_MS, Math.min(MAX_SERVER_WAIT_MS, waitMs))));
    }
    int sendNo = a.sends;
    channel.send(SessionRequest.newBuilder().setAcquire(req).build(), callDeadline(a))
        .onComplete(ar -> onReply(a, sendNo, ar));
  }

  private void onReply(Acquisition a, int sendNo, AsyncResult<SessionResponse> ar) {
    AcquireResponse r = ar.succeeded() ? ar.result().getAcquire() : null;
    if (r != null && r.getAcquired()) {
      onGranted(a.name, r.getLock().getVersion());
      return;
    }
    if (a.state == State.DONE || sendNo != a.sends) {
      return; // superseded by a later send, or no longer wanted
    }
    if (ar.failed()) {
      if (ar.cause() instanceof SessionChannel.SessionLost) {
        send(a); // on the next session
      } else {
        finish(a, null, ar.cause());
      }
    } else if (r.getQueued()) {
      a.state = State.QUEUED;
      if (a.sendAgain) {
        send(a);
      }
    } else if (r.hasError() && (r.getError().getCode() == ErrorCode.LOCK_HELD
        || r.getError().getCode() == ErrorCode.WAIT_QUEUE_FULL)) {
      if (!a.wait) {
        a.refused = true;
        finish(a, Optional.empty(), null);
      } else {
        retryLater(a, r.hasBackoffAdvice() ? r.getBackoffAdvice() : null);
      }
    } else {
      ErrorCode code = r.hasError() ? r.getError().getCode() : ErrorCode.INTERNAL_ERROR;
      String message = r.hasError() ? r.getError().getMessage() : "acquire refused: " + r;
      finish(a, null, new RaftLockException(code, message, r.getError().getDetailsMap().get("field"), false, null));
    }
  }

  /** The server's backoff advice sets the pace (floored by our own policy's first step). */
  private void retryLater(Acquisition a, BackoffAdvice advice) {
    long delayMs = advice == null ? RetryPolicy.DEFAULT.delayMs(a.retries, 0, random)
        : RetryPolicy.delayMs(Math.max(1, millis(advice.getInitialBackoff())),
            Math.max(1, millis(advice.getMaxBackoff())), Math.max(1.0, advice.getMultiplier()),
            Math.min(0.99, Math.max(0.0, advice.getJitterFactor())), a.retries, 0, random);
    a.retries++;
    if (a.bounded && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= a.deadlineNanos) {
      return; // the give-up timer will answer
    }
    vertx.setTimer(delayMs, id -> send(a));
  }

  /** The session holds {@code name} with {@code token} (an answer or a pushed grant). */
  private void onGranted(String name, long token) {
    LockHandle held = holdings.get(name);
    if (held != null && held.token() == token || holdings.stale(name, token)) {
      return; // known already, or a holding that ended here
    }
    Acquisition a = pending.get(name);
    SessionLease lease = channel.lease();
    if (a != null && a.state != State.DONE && lease != null) {
      finish(a, Optional.of(holdings.grant(name, token, a.ttl, lease)), null);
    } else if (held == null && (a == null || a.state == State.DONE)) {
      holdings.releaseUnwanted(name, token); // its acquisition was given up meanwhile
    }
  }

  private void finish(Acquisition a, Optional<LockHandle> result, Throwable failure) {
    if (a.state == State.DONE) {
      return;
    }
    a.state = State.DONE;
    pending.remove(a.name, a);
    if (a.timer >= 0) {
      vertx.cancelTimer(a.timer);
    }
    if (a.sends > 0 && !a.refused && (result == null || result.isEmpty())) {
      abandoned.add(a.name); // an acquire went out and may still be granted: give such a grant back
    }
    if (failure != null) {
      a.promise.tryFail(failure);
    } else {
      a.promise.tryComplete(result);
    }
  }

  /** The wait timed out locally: leave the queue; a grant that raced with us is given back. */
  private void giveUp(Acquisition a) {
    if (a.state == State.DONE) {
      return;
    }
    finish(a, Optional.empty(), null);
    cancelWait(a.name);
  }

  private void cancelWait(String name) {
    CancelWaitRequest cancel = CancelWaitRequest.newBuilder().setLockId(name).setClientId(label)
        .setRequestId(requestIds.get()).build();
    channel.send(SessionRequest.newBuilder().setCancelWait(cancel).build(), System.nanoTime() + operationTimeoutNanos);
  }

  // ---------------------------------------------------------------- events and session changes

  void onEvent(LockEventMessage ev) {
    switch (ev.getKind()) {
      case GRANTED -> onGranted(ev.getLockId(), ev.getVersion());
      case WAIT_TIMED_OUT, WAIT_CANCELLED -> {
        Acquisition a = pending.get(ev.getLockId());
        if (a == null || a.state == State.DONE) {
          return;
        }
        if (a.state == State.QUEUED) {
          send(a); // still wanted: join the queue again (a bounded wait ends on its own timer)
        } else {
          a.sendAgain = true;
        }
      }
      default -> { }
    }
  }

  /**
   * The session is carried by a new stream: a grant or a wait's end may have been pushed to the
   * old one. Every wait is asked again (answered "queued" at its kept place, or "acquired"), and
   * every given-up lock is checked for a grant nobody saw.
   */
  void onResumed() {
    for (Acquisition a : new ArrayList<>(pending.values())) {
      if (a.state == State.QUEUED) {
        send(a);
      } else if (a.state == State.SENDING) {
        a.sendAgain = true;
      }
    }
    for (String name : new ArrayList<>(abandoned)) {
      if (!pending.containsKey(name) && !holdings.has(name)) {
        probe(name);
      }
    }
  }

  /** A given-up lock: leave its queue, and give back a holding of it if the session has one. */
  private void probe(String name) {
    cancelWait(name);
    AcquireRequest req = AcquireRequest.newBuilder().setLockId(name).setClientId(label).setWait(false)
        .setRequestId(requestIds.get()).build();
    channel.send(SessionRequest.newBuilder().setAcquire(req).build(), System.nanoTime() + operationTimeoutNanos)
        .onSuccess(r -> {
          if (r.getAcquire().getAcquired() && abandoned.contains(name) && !pending.containsKey(name)) {
            holdings.releaseUnwanted(name, r.getAcquire().getLock().getVersion());
          }
        });
  }

  /** The session ended: waits still wanted start again on the next session (queued at the end). */
  void onSessionLost() {
    abandoned.clear(); // the old session's waits and holds ended with it
    for (Acquisition a : new ArrayList<>(pending.values())) {
      if (a.state == State.QUEUED) {
        send(a);
      }
      // SENDING: its request fails with SessionLost, and the reply sends it again
    }
  }

  void failAll(Throwable why) {
    for (Acquisition a : new ArrayList<>(pending.values())) {
      finish(a, null, why);
    }
  }

  private long callDeadline(Acquisition a) {
    long op = System.nanoTime() + operationTimeoutNanos;
    return a.bounded && a.wait && a.deadlineNanos - op < 0 ? a.deadlineNanos : op;
  }

  private static long millis(com.google.protobuf.Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }
}
