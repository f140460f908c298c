package io.raftlock.client;

import com.google.protobuf.Duration;
import io.raftlock.client.PendingRequests.Call;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
  /** Consecutive NO_LEADER/UNAVAILABLE refusals after which the stream moves to the next node. */
  static final int STRIKES_BEFORE_MOVING = 3;
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
  private long handshakeCorrelation;
  private final PendingRequests requests;
  private boolean closing;
  private volatile boolean keepAlivesSuspended;
  /** Sessions opened and resumes done (for tests and figures). */
  int sessionsOpened;
  int resumes;
  long keepAlivesOfEndedSessions;

  private final CallHeaders headers;
  /** Move the stream to the leader after it opens or resumes on a follower. */
  private final boolean preferLeader;
  static final long LEADER_QUERY_TIMEOUT_MS = 1_000;

  SessionChannel(Vertx vertx, GrpcClient grpc, Endpoints endpoints, RetryPolicy policy, Random random, String name,
      java.time.Duration ttl, CallHeaders headers, boolean preferLeader, Listener listener) {
    this.headers = headers;
    this.preferLeader = preferLeader;
    this.vertx = vertx;
    this.grpc = grpc;
    this.endpoints = endpoints;
    this.policy = policy;
    this.random = random;
    this.name = name;
    this.ttl = ttl;
    this.listener = listener;
    this.requests = new PendingRequests(vertx);
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
    Call c = requests.add(op, deadlineNanos);
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
    handshakeCorrelation = requests.nextCorrelation();
    SessionRequest.Builder first = SessionRequest.newBuilder().setCorrelationId(handshakeCorrelation);
    if (sessionId == 0) {
      first.setOpen(OpenSessionRequest.newBuilder().setName(name).setTtl(protoMillis(ttl.toMillis())));
    } else {
      first.setResume(ResumeSessionRequest.newBuilder().setSessionId(sessionId));
    }
    StreamCall.start(grpc, headers, target, first.build(), m -> onMessage(gen, sentNanos, m), t -> down(gen, target, t))
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
    requests.requeueInFlight();
    if (sessionId == 0 && requests.isEmpty()) {
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

  /**
   * Writes cost least on the leader (a follower forwards each one, at several times the CPU), so
   * a stream that opened or resumed on a follower moves there: one Health call asks the node which
   * member leads, and the session resumes on the leader's client address. Best effort: a failed
   * or slow answer, or a leader change meanwhile, leaves the stream where it is.
   */
  private void moveToLeader(SocketAddress target) {
    int gen = generation;
    grpc.request(target, RaftLockGrpcClient.Health).compose(req -> {
      headers.applyTo(req);
      req.timeout(LEADER_QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return req.send(HealthRequest.getDefaultInstance());
    }).compose(resp -> resp.last()).onSuccess(health -> {
      HealthStatus s = health.getHealthInfo();
      if (gen == generation && state == State.OPEN && call != null && call.target.equals(target)
          && !s.getIsRaftLeader() && endpoints.followLeader(s.getRaftLeaderAddress())) {
        LOG.fine(() -> "session " + sessionId + " moves from follower " + target + " to the leader at "
            + s.getRaftLeaderAddress());
        reconnectNow();
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
    requests.requeueInFlight();
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

  private void onMessage(int gen, long sentNanos, SessionResponse m) {
    if (gen != generation) {
      return;
    }
    if (m.hasEvent()) {
      onEvent(m.getEvent());
    } else if (m.getCorrelationId() == handshakeCorrelation && state == State.CONNECTING) {
      onHandshake(m, sentNanos);
    } else {
      Call c = requests.answered(m.getCorrelationId());
      if (c != null) {
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
      if (preferLeader && call != null) {
        moveToLeader(call.target);
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

  private void pump() {
    if (state == State.OPEN && call != null) {
      requests.pump(call);
    }
  }

  private void onAnswer(Call c, SessionResponse m) {
    if (!m.hasError()) {
      ErrorDetail inner = Rpc.innerError(m);
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
    retry(c, m.getError());
  }

  /** A request refused before the cluster: sent again if the refusal is retryable and time is left. */
  private void retry(Call c, ErrorDetail d) {
    Rpc.Failure f = Rpc.fromDetail(d);
    if (!f.retryable()) {
      c.promise.tryFail(new RaftLockException(d.getCode(), d.getMessage(), Rpc.fieldOf(d), false, null));
      return;
    }
    long delayMs = policy.delayMs(c.retries++, f.retryAfterMs(), random);
    if (System.nanoTime() + delayMs * 1_000_000L - c.deadlineNanos >= 0) {
      c.promise.tryFail(new RaftLockException(d.getCode(), d.getMessage(), Rpc.fieldOf(d), true, null));
      return;
    }
    if (endpoints.followLeader(d.getLeaderAddress())) {
      requests.again(c);
      reconnectNow();
      return;
    }
    if (f.moveOn() && ++strikes >= STRIKES_BEFORE_MOVING && call != null) {
      strikes = 0;
      endpoints.moveOnFrom(call.target);
      requests.again(c);
      reconnectLater();
      return;
    }
    if (d.getCode() == ErrorCode.RATE_LIMITED && c.acquire) {
      requests.pauseAcquires(delayMs, c, this::pump); // the bucket is empty: every acquire would be refused alike
      return;
    }
    vertx.setTimer(delayMs, id -> {
      requests.again(c);
      pump();
    });
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
    requests.drain().forEach(c -> c.promise.tryFail(e));
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
    List<Call> old = requests.drain();
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
