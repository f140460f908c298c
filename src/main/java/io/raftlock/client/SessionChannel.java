package io.raftlock.client;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's one session, carried by one {@code Session} stream at a time. Opened on first use
 * (a client that only makes plain calls never opens one); every lock request of the client goes
 * over it, many in flight at once, matched to their answers by correlation id.
 *
 * <p><b>Breaks.</b> When the stream breaks (node stopped, connection lost, a keep-alive unanswered
 * for a third of the TTL) the channel reconnects to the next endpoint with backoff and resumes
 * the session by id: its holds and waits survive. Requests that were in flight are sent again
 * unchanged, so with the same request id: the session's dedupe answers one that was applied with
 * its first answer. Then {@link Listener#onResumed} runs, because events applied while no stream
 * was attached are not replayed.
 *
 * <p><b>Retries.</b> A request refused before the cluster with a retryable code is sent again
 * after the server's {@code retry_after} (at least the policy's backoff) until its deadline;
 * {@code NOT_LEADER} with a leader address moves the stream to the leader at once; repeated
 * {@code NO_LEADER}/{@code UNAVAILABLE} move it to the next endpoint.
 *
 * <p><b>Loss.</b> {@code SESSION_NOT_FOUND} (resume or any answer), a pushed
 * {@code SESSION_EXPIRED}/{@code SESSION_CLOSED} this client did not ask for, or the local
 * deadline of the {@link SessionLease} passing ends the session for this client: pending requests
 * fail with {@link SessionLost} and {@link Listener#onLost} runs once. The next request opens a
 * new session.
 *
 * <p>Everything runs on the client's context.
 */
final class SessionChannel implements SessionLease.Owner {
  private static final Logger LOG = Logger.getLogger(SessionChannel.class.getName());
  /** Own cap on acquires in flight: below the server's per-stream cap for new work (224). */
  static final int MAX_ACQUIRES_IN_FLIGHT = 192;
  /** Own cap on everything in flight: below the server's per-stream cap (256). */
  static final int MAX_IN_FLIGHT = 240;
  /** Consecutive NO_LEADER/UNAVAILABLE refusals after which the stream moves to the next node. */
  static final int STRIKES_BEFORE_MOVING = 3;
  /** Deadlines further away than this (a day) are "until answered": no timer is kept for them. */
  static final long UNBOUNDED_MS = 86_400_000L;

  /** What the lock layer hears from the session. */
  interface Listener {
    void onEvent(LockEventMessage event);

    /** A new stream carries the same session: events may have been missed meanwhile. */
    void onResumed();

    /** The session ended for this client: every holding and wait of it is gone. */
    void onLost(LostReason reason);
  }

  /** A request failed because its session ended; the lock layer decides what follows. */
  static final class SessionLost extends RaftLockException {
    private static final long serialVersionUID = 1L;

    SessionLost(String message) {
      super(ErrorCode.SESSION_NOT_FOUND, message, null, true, null);
    }
  }

  private enum State { IDLE, CONNECTING, OPEN, CLOSED }

  /** One request and its retries: {@link #op} is sent unchanged every time. */
  private static final class Call {
    final SessionRequest op;
    final long deadlineNanos;
    final boolean acquire;
    final long seq;
    final Promise<SessionResponse> promise = Promise.promise();
    int retries;

    Call(SessionRequest op, long deadlineNanos, long seq) {
      this.op = op;
      this.deadlineNanos = deadlineNanos;
      this.acquire = op.hasAcquire();
      this.seq = seq;
    }
  }

  private final Vertx vertx;
  private final GrpcClient grpc;
  private final Endpoints endpoints;
  private final RetryPolicy policy;
  private final Random random;
  private final String name;
  private final java.time.Duration ttl;
  private final Listener listener;
  private State state = State.IDLE;
  private long sessionId;
  private SessionLease lease;
  private StreamCall call;
  private int generation;
  private int reconnects;
  private int strikes;
  private long nextCorrelation;
  private long nextSeq;
  private long handshakeCorrelation;
  private final Map<Long, Call> inFlight = new HashMap<>();
  /**
   * Requests waiting to be sent: keep-alives, releases and cancels ({@code maintenance}) go
   * before acquires and past a RATE_LIMITED pause (the server keeps a bucket and in-flight slots
   * for them), so a backlog of acquires never starves the session's keep-alive into an expiry.
   */
  private final ArrayDeque<Call> maintenance = new ArrayDeque<>();
  private final ArrayDeque<Call> queued = new ArrayDeque<>();
  private int acquiresInFlight;
  /** After a RATE_LIMITED answer nothing is sent before this (System.nanoTime). */
  private long pausedUntilNanos = System.nanoTime();
  private boolean closing;
  private volatile boolean keepAlivesSuspended;
  /** Sessions opened and resumes done (for tests and figures). */
  int sessionsOpened;
  int resumes;
  long keepAlivesOfEndedSessions;

  SessionChannel(Vertx vertx, GrpcClient grpc, Endpoints endpoints, RetryPolicy policy, Random random, String name,
      java.time.Duration ttl, Listener listener) {
    this.vertx = vertx;
    this.grpc = grpc;
    this.endpoints = endpoints;
    this.policy = policy;
    this.random = random;
    this.name = name;
    this.ttl = ttl;
    this.listener = listener;
  }

  /** The live session's lease, or null while there is none. */
  SessionLease lease() {
    return state == State.OPEN || state == State.CONNECTING && sessionId != 0 ? lease : null;
  }

  long sessionId() {
    return sessionId;
  }

  long keepAlivesSent() {
    return keepAlivesOfEndedSessions + (lease == null ? 0 : lease.keepAlivesSent);
  }

  void suspendKeepAlives(boolean suspended) {
    keepAlivesSuspended = suspended;
    if (lease != null) {
      lease.suspended = suspended;
    }
  }

  /**
   * Sends {@code op} on the session (opening one if needed) and retries it until it is answered
   * or {@code deadlineNanos} passes. Fails with {@link SessionLost} if the session ends first.
   */
  @Override
  public Future<SessionResponse> send(SessionRequest op, long deadlineNanos) {
    if (state == State.CLOSED) {
      return Future.failedFuture(new RaftLockException(ErrorCode.UNAVAILABLE, "client closed"));
    }
    Call c = new Call(op, deadlineNanos, ++nextSeq);
    long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (leftMs < UNBOUNDED_MS) {
      // Also while no stream carries it: a request waits for a session no longer than its deadline.
      long timer = vertx.setTimer(Math.max(1, leftMs), id -> c.promise.tryFail(new RaftLockException(ErrorCode.TIMEOUT,
          "no answer from the cluster in time", null, true, null)));
      c.promise.future().onComplete(ar -> vertx.cancelTimer(timer));
    }
    queueOf(c).add(c);
    if (state == State.IDLE) {
      connect();
    } else {
      pump();
    }
    return c.promise.future();
  }

  // ---------------------------------------------------------------- the stream

  private void connect() {
    int gen = ++generation;
    state = State.CONNECTING;
    SocketAddress target = endpoints.preferred();
    long sentNanos = System.nanoTime();
    handshakeCorrelation = ++nextCorrelation;
    SessionRequest.Builder first = SessionRequest.newBuilder().setCorrelationId(handshakeCorrelation);
    if (sessionId == 0) {
      first.setOpen(OpenSessionRequest.newBuilder().setName(name).setTtl(protoMillis(ttl.toMillis())));
    } else {
      first.setResume(ResumeSessionRequest.newBuilder().setSessionId(sessionId));
    }
    StreamCall.start(grpc, target, first.build(), m -> onMessage(gen, sentNanos, m), t -> down(gen, target, t))
        .onComplete(ar -> {
          if (ar.failed()) {
            down(gen, target, ar.cause());
          } else if (gen != generation) {
            ar.result().cancel();
          } else {
            call = ar.result();
          }
        });
  }

  private void down(int gen, SocketAddress target, Throwable why) {
    if (gen != generation || state == State.CLOSED) {
      return;
    }
    LOG.log(Level.FINE, "session stream to " + target + " down", why);
    endpoints.moveOnFrom(target);
    reconnectLater();
  }

  /** Drops the current stream and connects again after a backoff; in-flight requests go first. */
  private void reconnectLater() {
    int gen = ++generation;
    if (call != null) {
      call.cancel();
      call = null;
    }
    requeueInFlight();
    if (sessionId == 0 && queued.isEmpty() && maintenance.isEmpty()) {
      state = State.IDLE;
      return;
    }
    state = State.CONNECTING;
    long delay = policy.delayMs(reconnects++, 0, random);
    vertx.setTimer(delay, id -> {
      if (gen == generation && state == State.CONNECTING) {
        connect();
      }
    });
  }

  /** Moves the stream to {@code endpoints.preferred()} now (after a leader hint). */
  private void reconnectNow() {
    ++generation;
    if (call != null) {
      call.cancel();
      call = null;
    }
    requeueInFlight();
    connect();
  }

  @Override
  public void suspectStream() {
    if (state == State.OPEN && call != null) {
      LOG.fine("a keep-alive is unanswered for a third of the session TTL: reconnecting");
      endpoints.moveOnFrom(call.target);
      reconnectLater();
    }
  }

  private void requeueInFlight() {
    List<Call> back = new ArrayList<>(inFlight.values());
    back.sort(Comparator.comparingLong((Call c) -> c.seq).reversed());
    inFlight.clear();
    acquiresInFlight = 0;
    back.forEach(c -> queueOf(c).addFirst(c)); // oldest first again
  }

  private void onMessage(int gen, long sentNanos, SessionResponse m) {
    if (gen != generation) {
      return;
    }
    if (m.hasEvent()) {
      onEvent(m.getEvent());
    } else if (m.getCorrelationId() == handshakeCorrelation && state == State.CONNECTING) {
      onHandshake(m, sentNanos);
    } else {
      Call c = inFlight.remove(m.getCorrelationId());
      if (c != null) {
        if (c.acquire) {
          acquiresInFlight--;
        }
        onAnswer(c, m);
        pump();
      }
    }
  }

  private void onHandshake(SessionResponse m, long sentNanos) {
    if (m.hasOpened()) {
      boolean resumed = sessionId != 0;
      sessionId = m.getOpened().getSessionId();
      reconnects = 0;
      strikes = 0;
      state = State.OPEN;
      if (resumed) {
        resumes++;
        lease.extend(sentNanos);
      } else {
        sessionsOpened++;
        lease = new SessionLease(vertx, ttl, sentNanos, this);
        lease.suspended = keepAlivesSuspended;
      }
      pump();
      if (resumed) {
        listener.onResumed();
      }
      return;
    }
    ErrorDetail d = m.hasError() ? m.getError() : ErrorDetail.newBuilder().setCode(ErrorCode.INTERNAL_ERROR)
        .setMessage("unexpected answer to open or resume: " + m.getResultCase()).build();
    if (d.getCode() == ErrorCode.SESSION_NOT_FOUND) {
      sessionLost(LostReason.EXPIRED, "session " + sessionId + " no longer exists");
      return;
    }
    Rpc.Failure f = Rpc.fromDetail(d);
    if (!f.retryable()) {
      refuseQueued(f.toException());
      return;
    }
    if (!endpoints.followLeader(d.getLeaderAddress()) && f.moveOn() && call != null) {
      endpoints.moveOnFrom(call.target);
    }
    reconnectLater();
  }

  // ---------------------------------------------------------------- requests

  private ArrayDeque<Call> queueOf(Call c) {
    return c.acquire ? queued : maintenance;
  }

  private void pump() {
    while (state == State.OPEN && call != null && !maintenance.isEmpty() && inFlight.size() < MAX_IN_FLIGHT) {
      sendNow(maintenance.pollFirst());
    }
    if (System.nanoTime() - pausedUntilNanos < 0) {
      return;
    }
    while (state == State.OPEN && call != null && !queued.isEmpty()
        && inFlight.size() < MAX_IN_FLIGHT && acquiresInFlight < MAX_ACQUIRES_IN_FLIGHT) {
      sendNow(queued.pollFirst());
    }
  }

  private void sendNow(Call c) {
    if (c.promise.future().isComplete()) {
      return; // timed out while waiting
    }
    long corr = ++nextCorrelation;
    inFlight.put(corr, c);
    if (c.acquire) {
      acquiresInFlight++;
    }
    call.send(c.op.toBuilder().setCorrelationId(corr).build());
  }

  private void onAnswer(Call c, SessionResponse m) {
    if (!m.hasError()) {
      ErrorDetail inner = innerError(m);
      if (inner != null && inner.getCode() == ErrorCode.SESSION_NOT_FOUND) {
        String why = "session " + sessionId + " no longer exists";
        sessionLost(LostReason.EXPIRED, why);
        c.promise.tryFail(new SessionLost(why));
        return;
      }
      strikes = 0;
      c.promise.tryComplete(m);
      return;
    }
    ErrorDetail d = m.getError();
    Rpc.Failure f = Rpc.fromDetail(d);
    if (!f.retryable()) {
      c.promise.tryFail(new RaftLockException(d.getCode(), d.getMessage(), fieldOf(d), false, null));
      return;
    }
    long delayMs = policy.delayMs(c.retries++, f.retryAfterMs(), random);
    if (System.nanoTime() + delayMs * 1_000_000L - c.deadlineNanos >= 0) {
      c.promise.tryFail(new RaftLockException(d.getCode(), d.getMessage(), fieldOf(d), true, null));
      return;
    }
    if (endpoints.followLeader(d.getLeaderAddress())) {
      queueOf(c).addFirst(c);
      reconnectNow();
      return;
    }
    if (f.moveOn() && ++strikes >= STRIKES_BEFORE_MOVING && call != null) {
      strikes = 0;
      endpoints.moveOnFrom(call.target);
      queueOf(c).addFirst(c);
      reconnectLater();
      return;
    }
    if (d.getCode() == ErrorCode.RATE_LIMITED && c.acquire) {
      pauseFor(delayMs, c); // the session's bucket is empty: every request would be refused alike
      return;
    }
    vertx.setTimer(delayMs, id -> {
      queueOf(c).addFirst(c);
      pump();
    });
  }

  /** Sends nothing for {@code delayMs}, then {@code c} first. */
  private void pauseFor(long delayMs, Call c) {
    queued.addFirst(c);
    long until = System.nanoTime() + delayMs * 1_000_000L;
    if (until - pausedUntilNanos > 0) {
      pausedUntilNanos = until;
      vertx.setTimer(delayMs, id -> pump());
    }
  }

  /** The operation-level error of an answer (acquire.error, keep_alive.error, ...), or null. */
  private static ErrorDetail innerError(SessionResponse m) {
    return switch (m.getResultCase()) {
      case ACQUIRE -> m.getAcquire().hasError() ? m.getAcquire().getError() : null;
      case RELEASE -> m.getRelease().hasError() ? m.getRelease().getError() : null;
      case RENEW -> m.getRenew().hasError() ? m.getRenew().getError() : null;
      case CANCEL_WAIT -> m.getCancelWait().hasError() ? m.getCancelWait().getError() : null;
      case KEEP_ALIVE -> m.getKeepAlive().hasError() ? m.getKeepAlive().getError() : null;
      case CLOSE -> m.getClose().hasError() ? m.getClose().getError() : null;
      default -> null;
    };
  }

  /** The field a refusal names, without the stream's operation prefix ("acquire.lock_id" → "lock_id"). */
  static String fieldOf(ErrorDetail d) {
    String field = d.getDetailsMap().get("field");
    if (field == null) {
      return null;
    }
    int dot = field.indexOf('.');
    return dot > 0 ? field.substring(dot + 1) : field;
  }

  private void refuseQueued(RaftLockException e) {
    ++generation;
    if (call != null) {
      call.cancel();
      call = null;
    }
    state = State.IDLE;
    failAll(e);
  }

  private void failAll(RaftLockException e) {
    drain().forEach(c -> c.promise.tryFail(e));
  }

  private List<Call> drain() {
    List<Call> all = new ArrayList<>(inFlight.values());
    all.addAll(maintenance);
    all.addAll(queued);
    inFlight.clear();
    maintenance.clear();
    queued.clear();
    acquiresInFlight = 0;
    return all;
  }

  // ---------------------------------------------------------------- events and loss

  private void onEvent(LockEventMessage ev) {
    if (ev.getSessionId() != 0 && ev.getSessionId() != sessionId) {
      return; // from a session this client no longer has
    }
    switch (ev.getKind()) {
      case SESSION_EXPIRED -> sessionLost(LostReason.EXPIRED, "session " + sessionId + " expired");
      case SESSION_CLOSED -> {
        if (!closing) {
          sessionLost(LostReason.RELEASED_ELSEWHERE, "session " + sessionId + " was closed");
        }
      }
      default -> listener.onEvent(ev);
    }
  }

  @Override
  public void expiredLocally() {
    sessionLost(LostReason.RENEWAL_FAILED, "no keep-alive of session " + sessionId + " succeeded in time");
  }

  /**
   * The session is gone for this client. Its stream is dropped (a session that is in fact still
   * alive expires after its TTL on the server; until then its locks stay taken), pending requests
   * fail with {@link SessionLost}, and the listener hears it once.
   */
  private void sessionLost(LostReason reason, String why) {
    if (sessionId == 0 || state == State.CLOSED) {
      return;
    }
    LOG.fine(why);
    sessionId = 0;
    stopLease();
    ++generation;
    if (call != null) {
      call.cancel();
      call = null;
    }
    state = State.IDLE;
    List<Call> old = drain();
    if (!closing) {
      listener.onLost(reason); // handles first; what the listener sends goes to a new session
    }
    SessionLost lost = new SessionLost(why);
    old.forEach(c -> c.promise.tryFail(lost));
  }

  private void stopLease() {
    if (lease != null) {
      lease.stop();
      keepAlivesOfEndedSessions += lease.keepAlivesSent;
      lease = null;
    }
  }

  // ---------------------------------------------------------------- close

  /**
   * Ends the channel. With {@code closeSession} the session is closed on the cluster (its locks
   * released, its waits cancelled), waiting at most until {@code deadlineNanos}; without, the
   * stream is only dropped and the session expires after its TTL. Completes with the close's
   * answer, or null when none was sent or it was not answered.
   */
  Future<SessionResponse> close(boolean closeSession, long deadlineNanos) {
    if (state == State.CLOSED) {
      return Future.succeededFuture();
    }
    closing = true; // from here on, the end of the session is expected: no lost callbacks
    Future<SessionResponse> closed = Future.succeededFuture();
    if (closeSession && sessionId != 0) {
      closed = send(SessionRequest.newBuilder().setClose(CloseSessionRequest.getDefaultInstance()).build(),
          deadlineNanos).otherwise((SessionResponse) null);
    }
    return closed.eventually(() -> {
      state = State.CLOSED;
      stopLease();
      ++generation;
      if (call != null) {
        call.cancel();
        call = null;
      }
      failAll(new RaftLockException(ErrorCode.UNAVAILABLE, "client closed"));
      return Future.succeededFuture();
    });
  }

  static Duration protoMillis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
