package io.raftlock.client;

import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The session's requests from the moment they are asked for until they are answered: waiting to
 * be sent, or in flight under a correlation id. Runs on the client's context.
 *
 * <p>Keep-alives, releases and cancels ({@code maintenance}) go before acquires and past a
 * RATE_LIMITED pause (the server keeps a bucket and in-flight slots for them), so a backlog of
 * acquires never starves the session's keep-alive into an expiry. In-flight counts stay under the
 * server's per-stream caps (256 in all, 224 for new work).
 *
 * <p>Lock requests are numbered ({@code seq}, the call's own number, the same on every copy) and
 * each copy sent says {@code answered_below}: the lowest number still awaited. The session then
 * forgets the replies of everything below it, and refuses a late copy of a request whose answer
 * this client already has or gave up on (the Raft dissertation's §6.3).
 */
final class PendingRequests {
  /** Own cap on acquires in flight: below the server's per-stream cap for new work (224). */
  static final int MAX_ACQUIRES_IN_FLIGHT = 192;
  /** Own cap on everything in flight: below the server's per-stream cap (256). */
  static final int MAX_IN_FLIGHT = 240;
  /** Deadlines further away than this (a day) are "until answered": no timer is kept for them. */
  static final long UNBOUNDED_MS = 86_400_000L;

  /** One request and its retries: {@link #op} is sent unchanged every time, so with one request id. */
  static final class Call {
    final SessionRequest op;
    final long deadlineNanos;
    final boolean acquire;
    /** A lock request: sent with {@link #seq} as its number. */
    final boolean numbered;
    final long seq;
    final Promise<SessionResponse> promise = Promise.promise();
    int retries;

    private Call(SessionRequest op, long deadlineNanos, long seq) {
      this.op = op;
      this.deadlineNanos = deadlineNanos;
      this.acquire = op.hasAcquire();
      this.numbered = acquire || op.hasRelease() || op.hasRenew() || op.hasCancelWait();
      this.seq = seq;
    }
  }

  private final Vertx vertx;
  private final Map<Long, Call> inFlight = new HashMap<>();
  /** Numbers of the lock requests not yet answered nor given up, in increasing order. */
  private final LinkedHashSet<Long> awaited = new LinkedHashSet<>();
  private final ArrayDeque<Call> maintenance = new ArrayDeque<>();
  private final ArrayDeque<Call> acquires = new ArrayDeque<>();
  private int acquiresInFlight;
  private long nextCorrelation;
  private long nextSeq;
  /** After a RATE_LIMITED answer no acquire is sent before this (System.nanoTime). */
  private long pausedUntilNanos = System.nanoTime();

  PendingRequests(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A new request, failed with a retryable TIMEOUT if not answered by {@code deadlineNanos}. */
  Call add(SessionRequest op, long deadlineNanos) {
    Call c = new Call(op, deadlineNanos, ++nextSeq);
    if (c.numbered) {
      awaited.add(c.seq);
      c.promise.future().onComplete(ar -> awaited.remove(c.seq));
    }
    long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (leftMs < UNBOUNDED_MS) {
      // Also while no stream carries it: a request waits for a session no longer than its deadline.
      long timer = vertx.setTimer(Math.max(1, leftMs), id -> c.promise.tryFail(new RaftLockException(ErrorCode.TIMEOUT,
          "no answer from the cluster in time", null, true, null)));
      c.promise.future().onComplete(ar -> vertx.cancelTimer(timer));
    }
    queueOf(c).add(c);
    return c;
  }

  long nextCorrelation() {
    return ++nextCorrelation;
  }

  boolean isEmpty() {
    return inFlight.isEmpty() && maintenance.isEmpty() && acquires.isEmpty();
  }

  /** Sends what may go now on {@code call}. */
  void pump(StreamCall call) {
    while (!maintenance.isEmpty() && inFlight.size() < MAX_IN_FLIGHT) {
      sendNow(call, maintenance.pollFirst());
    }
    if (System.nanoTime() - pausedUntilNanos < 0) {
      return;
    }
    while (!acquires.isEmpty() && inFlight.size() < MAX_IN_FLIGHT && acquiresInFlight < MAX_ACQUIRES_IN_FLIGHT) {
      sendNow(call, acquires.pollFirst());
    }
  }

  private void sendNow(StreamCall call, Call c) {
    if (c.promise.future().isComplete()) {
      return; // timed out while waiting
    }
    long corr = ++nextCorrelation;
    inFlight.put(corr, c);
    if (c.acquire) {
      acquiresInFlight++;
    }
    SessionRequest.Builder b = c.op.toBuilder().setCorrelationId(corr);
    if (c.numbered) {
      b.setSeq(c.seq).setAnsweredBelow(awaited.iterator().next()); // c itself is awaited: never empty
    }
    call.send(b.build());
  }

  /** The request an answer belongs to, no longer in flight; null for an unknown correlation id. */
  Call answered(long correlationId) {
    Call c = inFlight.remove(correlationId);
    if (c != null && c.acquire) {
      acquiresInFlight--;
    }
    return c;
  }

  /** {@code c} goes out again before the others of its kind. */
  void again(Call c) {
    queueOf(c).addFirst(c);
  }

  /** No acquire is sent for {@code delayMs}; then {@code c} goes first and {@code resume} runs. */
  void pauseAcquires(long delayMs, Call c, Runnable resume) {
    acquires.addFirst(c);
    long until = System.nanoTime() + delayMs * 1_000_000L;
    if (until - pausedUntilNanos > 0) {
      pausedUntilNanos = until;
      vertx.setTimer(delayMs, id -> resume.run());
    }
  }

  /** The stream broke: what was in flight waits to be sent again, oldest first, before the rest. */
  void requeueInFlight() {
    List<Call> back = new ArrayList<>(inFlight.values());
    back.sort(Comparator.comparingLong((Call c) -> c.seq).reversed());
    inFlight.clear();
    acquiresInFlight = 0;
    back.forEach(this::again);
  }

  /** Removes and returns every request, in flight or waiting. */
  List<Call> drain() {
    List<Call> all = new ArrayList<>(inFlight.values());
    all.addAll(maintenance);
    all.addAll(acquires);
    inFlight.clear();
    maintenance.clear();
    acquires.clear();
    acquiresInFlight = 0;
    return all;
  }

  private ArrayDeque<Call> queueOf(Call c) {
    return c.acquire ? acquires : maintenance;
  }
}
