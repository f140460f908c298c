package io.raftlock.nemesis;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Vertx;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The session side of a {@link NemesisClient}: one session at a time on the raw stream
 * ({@link SessionLink}), each request one history operation carrying the session id.
 *
 * <p>The workload opens a session when it has none ({@code open}) and acquires, renews and
 * releases in it; a request is re-sent under its request id (the session remembers it) until
 * answered or the operation timeout. Its own thread keeps the session alive every TTL/3 on the
 * {@code keepalive} lane: a {@code keepalive} on the stream, or, when the stream is down, a
 * {@code resume} on the next node (which commits a keep-alive too). A paused or killed process
 * stops doing that, so the session expires; the client learns it from {@code SESSION_NOT_FOUND}
 * (or the {@code SESSION_EXPIRED} event) and opens a new session. At the end it closes the
 * session ({@code close}).
 *
 * <p><b>Outcomes.</b> {@code ok} only for an acknowledged success; {@code fail} only for a
 * definite refusal of the operation's own command ({@code LOCK_HELD}, {@code NOT_LOCK_OWNER},
 * {@code SESSION_NOT_FOUND}, validation) when no earlier attempt of it may have been applied;
 * {@code info} for everything else (a stream that broke after the request went out, timeouts,
 * unavailability).
 */
final class SessionOps implements AutoCloseable {
  static final String LANE = "keepalive";
  /** In-band refusals that mean "not applied". */
  private static final Set<ErrorCode> DEFINITE = EnumSet.of(ErrorCode.LOCK_HELD, ErrorCode.WAIT_QUEUE_FULL,
      ErrorCode.LOCK_NOT_HELD, ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH, ErrorCode.INVALID_TTL,
      ErrorCode.INVALID_ARGUMENT, ErrorCode.SESSION_NOT_FOUND);
  /** Stream-level refusals before the request reached the log: try again. */
  private static final Set<ErrorCode> NOT_PROPOSED = EnumSet.of(ErrorCode.NO_LEADER, ErrorCode.NOT_LEADER,
      ErrorCode.RATE_LIMITED);

  /** What one operation ended with: its history type and error label, and the answer if any. */
  record Result(String type, String error, SessionResponse answer) {
    boolean ok() {
      return type.equals("ok");
    }
  }

  private final NemesisClientOptions options;
  private final HistoryWriter history;
  private final Consumer<String> count;
  private final SessionLink link;
  private final long attemptMs;
  private final Semaphore wake = new Semaphore(0);
  private final Thread keeper;
  private long requests;
  /** The live session (0: none), and what the current stream carries; guarded by this. */
  private long session;
  private long streamSession;
  private long streamGeneration = -1;
  private boolean streamOpened;
  private volatile boolean closed;

  SessionOps(NemesisClientOptions o, HistoryWriter history, Vertx vertx, Consumer<String> count) {
    this.options = o;
    this.history = history;
    this.count = count;
    this.attemptMs = Math.max(200, Math.min(2_000, o.opTimeout().toMillis() / 2));
    this.link = new SessionLink(vertx, o.endpoints(), o.process().hashCode() + o.seed(), o.apiKey(),
        this::event, wake::release);
    this.keeper = new Thread(this::keepAliveLoop, "nemesis-keepalive-" + o.process());
    keeper.setDaemon(true);
    keeper.start();
  }

  /** The live session, opening one when there is none; 0 when the open did not succeed. */
  long session() {
    synchronized (this) {
      if (session != 0) {
        return session;
      }
    }
    history.invoke(null, 0, "open", "", null);
    CompletableFuture<SessionResponse> f;
    long generation;
    synchronized (this) {
      f = link.connect(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
          .setTtl(millis(options.ttl().toMillis())).setName(options.process())));
      generation = streamCarries(0);
    }
    Result r = await(f, options.opTimeout().toMillis() + attemptMs);
    if (r.ok() && r.answer.hasOpened()) {
      long id = r.answer.getOpened().getSessionId();
      synchronized (this) {
        session = id;
        opened(generation, id);
      }
      history.ok(null, id, "open", "", null);
      count.accept("open:ok");
      return id;
    }
    Result end = r.ok() ? new Result("info", "UNEXPECTED", null) : r;
    history.end(null, 0, end.type, "open", "", null, end.error);
    count.accept("open:" + end.type);
    return 0;
  }

  Result acquire(long s, String lock) {
    history.invoke(null, s, "acquire", lock, null);
    Result r = request(s, SessionRequest.newBuilder().setAcquire(AcquireRequest.newBuilder().setLockId(lock)
        .setClientId(options.process()).setWait(false).setRequestId(nextRequestId())));
    if (r.ok() && r.answer.getAcquire().getAcquired()) {
      long token = r.answer.getAcquire().getLock().getVersion();
      history.ok(null, s, "acquire", lock, token);
      count.accept("acquire:ok");
      return r;
    }
    return end(r, s, "acquire", lock, null, r.ok() ? inBand(s, r.answer.getAcquire().getError(), r) : r);
  }

  boolean renew(long s, String lock, long token) {
    history.invoke(null, s, "renew", lock, token);
    Result r = request(s, SessionRequest.newBuilder().setRenew(RenewRequest.newBuilder().setLockId(lock)
        .setClientId(options.process()).setVersion(token).setRequestId(nextRequestId())));
    if (r.ok() && r.answer.getRenew().getRenewed()) {
      history.ok(null, s, "renew", lock, token);
      count.accept("renew:ok");
      return true;
    }
    end(r, s, "renew", lock, token, r.ok() ? inBand(s, r.answer.getRenew().getError(), r) : r);
    return false;
  }

  void release(long s, String lock, long token) {
    history.invoke(null, s, "release", lock, token);
    Result r = request(s, SessionRequest.newBuilder().setRelease(ReleaseRequest.newBuilder().setLockId(lock)
        .setClientId(options.process()).setVersion(token).setRequestId(nextRequestId())));
    if (r.ok() && r.answer.getRelease().getReleased()) {
      history.ok(null, s, "release", lock, token);
      count.accept("release:ok");
      return;
    }
    end(r, s, "release", lock, token, r.ok() ? inBand(s, r.answer.getRelease().getError(), r) : r);
  }

  private Result end(Result r, long s, String f, String lock, Long token, Result outcome) {
    history.end(null, s, outcome.type, f, lock, token, outcome.error);
    count.accept(f + ":" + outcome.type);
    return outcome;
  }

  /** A lock answer without success: a definite refusal fails unless an earlier attempt may have applied. */
  private Result inBand(long s, ErrorDetail error, Result r) {
    if (error == null || error.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
      return new Result("info", "UNEXPECTED", r.answer);
    }
    if (error.getCode() == ErrorCode.SESSION_NOT_FOUND) {
      lost(s);
    }
    boolean definite = DEFINITE.contains(error.getCode()) && !"maybe".equals(r.error);
    return new Result(definite ? "fail" : "info", error.getCode().name(), r.answer);
  }

  /**
   * Sends one workload request in session {@code s} and re-sends it (same request id) after a
   * broken stream or a retryable refusal, until answered or the operation timeout. The result is
   * {@code ok} with the answer (its own success or refusal still to be read; error "maybe" when
   * an earlier attempt may have been applied), or the operation's outcome without an answer.
   */
  private Result request(long s, SessionRequest.Builder op) {
    long deadline = System.nanoTime() + options.opTimeout().toNanos();
    boolean maybeApplied = false;
    String last = "NO_STREAM";
    while (System.nanoTime() - deadline < 0) {
      CompletableFuture<SessionResponse> f;
      synchronized (this) {
        if (session != s) {
          return new Result(maybeApplied ? "info" : "fail", "SESSION_LOST", null);
        }
        f = streamReady(s) ? link.send(op.clone()) : null;
      }
      if (f == null) {
        pace(50); // the keep-alive lane resumes the session on another node
        continue;
      }
      Result r = await(f, Math.min(attemptMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      if (r.ok()) {
        return new Result("ok", maybeApplied ? "maybe" : null, r.answer);
      }
      if (r.type.equals("fail")) {
        return new Result(maybeApplied ? "info" : "fail", r.error, null);
      }
      last = r.error;
      boolean notProposed = r.error.equals("NO_STREAM")
          || r.answer != null && NOT_PROPOSED.contains(r.answer.getError().getCode());
      maybeApplied |= !notProposed;
      pace(r.error.equals("STREAM_BROKEN") ? 0 : 100);
    }
    return new Result("info", last, null);
  }

  /**
   * Waits for one answer: {@code ok} with it (any op result), {@code fail} for a stream-level
   * validation refusal, else {@code info} with why (NO_STREAM when it was certainly not sent).
   */
  private static Result await(CompletableFuture<SessionResponse> f, long boundMs) {
    try {
      SessionResponse r = f.get(boundMs, TimeUnit.MILLISECONDS);
      if (!r.hasError()) {
        return new Result("ok", null, r);
      }
      ErrorCode code = r.getError().getCode();
      boolean definite = code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.INVALID_TTL
          || code == ErrorCode.SESSION_NOT_FOUND;
      return new Result(definite ? "fail" : "info", code.name(), r);
    } catch (ExecutionException e) {
      boolean sent = !(e.getCause() instanceof SessionLink.StreamDown d) || d.sent;
      return new Result("info", sent ? "STREAM_BROKEN" : "NO_STREAM", null);
    } catch (TimeoutException e) {
      f.cancel(false);
      return new Result("info", NemesisClient.DEADLINE, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result("info", "INTERRUPTED", null);
    }
  }

  // ---------------------------------------------------------------- keep-alive lane

  private void keepAliveLoop() {
    long periodMs = Math.max(100, options.ttl().toMillis() / 3);
    while (!closed) {
      try {
        wake.tryAcquire(periodMs, TimeUnit.MILLISECONDS); // early when the stream went down
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
      long s;
      boolean ready;
      synchronized (this) {
        s = session;
        ready = streamReady(s);
      }
      if (s != 0 && !closed) {
        if (ready) {
          keepAlive(s);
        } else {
          resume(s);
        }
      }
    }
  }

  private void keepAlive(long s) {
    CompletableFuture<SessionResponse> f;
    synchronized (this) {
      if (!streamReady(s) || session != s) {
        return; // changed meanwhile: the next round decides again
      }
      history.invoke(LANE, s, "keepalive", "", null);
      f = link.send(SessionRequest.newBuilder().setKeepAlive(KeepAliveRequest.getDefaultInstance()));
    }
    Result r = await(f, attemptMs);
    if (r.ok() && r.answer.hasKeepAlive() && !r.answer.getKeepAlive().hasError()) {
      history.ok(LANE, s, "keepalive", "", null);
      count.accept("keepalive:ok");
      return;
    }
    Result end = r.ok() ? inBand(s, r.answer.getKeepAlive().getError(), r) : r;
    history.end(LANE, s, end.type, "keepalive", "", null, end.error);
    count.accept("keepalive:" + end.type);
  }

  /** The stream is down: resume the session on the next node (a committed keep-alive). */
  private void resume(long s) {
    CompletableFuture<SessionResponse> f;
    long generation;
    synchronized (this) {
      if (session != s) {
        return; // lost meanwhile, and maybe a new session opened: not to be replaced
      }
      history.invoke(LANE, s, "resume", "", null);
      f = link.connect(SessionRequest.newBuilder().setResume(ResumeSessionRequest.newBuilder().setSessionId(s)));
      generation = streamCarries(s);
    }
    Result r = await(f, attemptMs);
    if (r.ok() && r.answer.hasOpened()) {
      synchronized (this) {
        opened(generation, s);
      }
      history.ok(LANE, s, "resume", "", null);
      count.accept("resume:ok");
      return;
    }
    if (r.answer != null && r.answer.hasError() && r.answer.getError().getCode() == ErrorCode.SESSION_NOT_FOUND) {
      lost(s);
    }
    Result end = r.ok() ? new Result("info", "UNEXPECTED", null) : r;
    history.end(LANE, s, end.type, "resume", "", null, end.error);
    count.accept("resume:" + end.type);
    pace(100); // not a busy loop over nodes that are down
  }

  // ---------------------------------------------------------------- stream and session state

  /** The stream just started carries session {@code s} (0: an open); returns its generation. */
  private long streamCarries(long s) {
    streamSession = s;
    streamOpened = false;
    streamGeneration = link.generation();
    return streamGeneration;
  }

  private void opened(long generation, long s) {
    if (generation == streamGeneration) {
      streamSession = s;
      streamOpened = true;
    }
  }

  private boolean streamReady(long s) {
    return s != 0 && streamSession == s && streamOpened && link.up(streamGeneration);
  }

  /** The cluster says session {@code s} is gone: the workload opens a new one. */
  private synchronized void lost(long s) {
    if (session == s && s != 0) {
      session = 0;
      count.accept("session:lost");
    }
  }

  private void event(LockEventMessage e) {
    if (e.getKind() == LockEventMessage.Kind.SESSION_EXPIRED || e.getKind() == LockEventMessage.Kind.SESSION_CLOSED
        || e.getKind() == LockEventMessage.Kind.SESSION_EXPIRING) {
      count.accept("event:" + e.getKind().name());
    }
    if (e.getKind() == LockEventMessage.Kind.SESSION_EXPIRED) {
      lost(e.getSessionId());
    }
  }

  /** Pacing between tries, also while the process stops (a close still waits for its stream). */
  private static void pace(long ms) {
    if (ms > 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }
  }

  private synchronized String nextRequestId() {
    return options.process() + "-" + (++requests);
  }

  /**
   * Stops the keep-alive lane, closes the live session (one {@code close} operation, answered
   * only if the stream is up), then the stream.
   */
  @Override
  public void close() {
    closed = true; // the keep-alive lane stops first: it must not resume the session being closed
    keeper.interrupt();
    try {
      keeper.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long s;
    synchronized (this) {
      s = session;
    }
    if (s != 0) {
      history.invoke(null, s, "close", "", null);
      Result r = request(s, SessionRequest.newBuilder().setClose(CloseSessionRequest.getDefaultInstance()));
      if (r.ok() && r.answer.getClose().getClosed()) {
        history.ok(null, s, "close", "", null);
        count.accept("close:ok");
      } else {
        end(r, s, "close", "", null, r.ok() ? inBand(s, r.answer.getClose().getError(), r) : r);
      }
    }
    synchronized (this) {
      session = 0;
    }
    link.close();
  }

  private static Duration millis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
