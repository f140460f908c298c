package io.raftlock.nemesis;

import com.google.protobuf.Duration;
import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One client process of the nemesis suite (issue 11): a lock workload that records every
 * operation it performs in a JSONL history (nemesis contract §2) for the checker.
 *
 * <p>Run as its own JVM so the harness can {@code SIGSTOP}, {@code SIGCONT} and {@code kill -9}
 * it. Exits 0 when the duration is over (a cycle under way is finished first, each operation being
 * bounded); on SIGTERM it finishes the operation under way, closes the history and ends with the
 * usual status 143. Bad options: the message and usage on stderr, exit 2.
 *
 * <p><b>Workload</b>, one cycle after another, choices drawn from a {@link Random} seeded with
 * {@code --seed} and the process id: sometimes read a random lock (held or not); pick a lock;
 * <em>acquire</em> it, trying again after {@code LOCK_HELD} for up to three TTLs; then
 * <em>write</em> to the fenced resource with the token, without checking that the lease is still
 * valid (a pause between the two is what fencing must catch); sometimes <em>renew</em> and write
 * again; sometimes <em>read</em> the lock; then <em>release</em>.
 *
 * <p><b>Sessions</b> ({@code --mode session}, the default): the workload runs in one session at a
 * time ({@link SessionOps}): it opens one when it has none, acquires, renews and releases in it,
 * and a second thread keeps it alive every TTL/3 (or resumes it on another node after a broken
 * stream), each of these one history operation with the session id; a pause longer than the TTL
 * or a kill lets the session expire, and the process then opens a new one. {@code --mode unary}
 * keeps the plain calls keyed by client id, each lease renewed by itself (no keep-alive: a lease
 * lives for its TTL unless the workload renews it).
 *
 * <p><b>Why the raw requests and not {@code lock()}/{@code tryLock()}.</b> The history must list
 * every request the process made that can change lock or session state, with a truthful outcome.
 * The high-level calls add requests the caller never sees (the renew that confirms a pushed
 * grant, the release of a grant that raced with a timeout, the session's keep-alives and resumes,
 * re-sent acquires after a resume). Here one history operation is one client request: retries
 * resend the same request with the same request id, which the server applies at most once, so
 * they are one operation. Acquires never wait on the server ({@code wait=false}): waiting is done
 * by trying again, and every try is in the history.
 *
 * <p><b>Outcomes.</b> {@code ok} only for an acknowledged success; {@code fail} only for a
 * definite, typed refusal that says the request was not applied ({@code LOCK_HELD},
 * {@code NOT_LOCK_OWNER}, {@code VERSION_MISMATCH}, {@code LOCK_NOT_HELD}, validation errors, HTTP
 * 409 from the resource); {@code info} for everything else (timeouts, unavailability after the
 * client's retries, connection loss, the local deadline, unexpected answers). After an
 * {@code info} unary acquire the process reads the lock: if the read names it as holder it goes on
 * with that token. In a session it tries the acquire again instead: a session that already holds
 * the lock gets its holding back as acquired.
 */
public final class NemesisClient {
  /** Refusals that mean "not applied" (in-band lock outcomes and validation). */
  private static final Set<ErrorCode> DEFINITE = EnumSet.of(ErrorCode.LOCK_HELD, ErrorCode.WAIT_QUEUE_FULL,
      ErrorCode.LOCK_NOT_HELD, ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH, ErrorCode.INVALID_TTL,
      ErrorCode.INVALID_ARGUMENT);
  /** Error label of an operation that outlived this process's own bound on waiting for it. */
  static final String DEADLINE = "DEADLINE";

  private final NemesisClientOptions options;
  private final CountDownLatch stop;
  private final HistoryWriter history;
  private final Vertx vertx;
  private final RaftLockClient client;
  /** The session workload ({@code --mode session}), or null for plain unary calls. */
  private final SessionOps sessions;
  private final HttpClient http;
  private final Random random;
  private final long endNanos;
  /** How long the process waits for one client call: the call's own bound plus slack. */
  private final long callBoundMs;
  private final Map<String, Integer> counts = new TreeMap<>();

  private NemesisClient(NemesisClientOptions o, CountDownLatch stop, HistoryWriter history) {
    this.options = o;
    this.stop = stop;
    this.history = history;
    long opMs = o.opTimeout().toMillis();
    long attemptMs = Math.max(100, Math.min(2_000, opMs / 2));
    // A call retries until opTimeout; its last attempt may start just before and last attemptMs more.
    this.callBoundMs = opMs + attemptMs + 1_000;
    this.vertx = Vertx.vertx();
    RaftLockClient.Builder builder = RaftLockClient.builder().vertx(vertx).endpoints(o.endpoints())
        .clientId(o.process()).operationTimeout(o.opTimeout())
        .attemptTimeout(java.time.Duration.ofMillis(attemptMs))
        .connectTimeout(java.time.Duration.ofMillis(Math.min(1_000, attemptMs)));
    if (o.apiKey() != null) {
      builder.apiKey(o.apiKey());
    }
    this.client = builder.build();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(java.time.Duration.ofMillis(1_000)).build();
    this.random = new Random(o.seed() * 1_000_003L + o.process().hashCode());
    this.endNanos = System.nanoTime() + o.duration().toNanos();
    this.sessions = o.sessions() ? new SessionOps(o, history, vertx, this::count) : null;
  }

  public static void main(String[] args) {
    NemesisClientOptions o;
    try {
      o = NemesisClientOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("NemesisClient: " + e.getMessage());
      System.err.println(NemesisClientOptions.USAGE);
      System.exit(2);
      return;
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    // SIGTERM: finish the current operation (each is bounded), close the history, exit.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        done.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "nemesis-client-stop"));
    int status = 0;
    try {
      Map<String, Integer> summary = run(o, stop);
      System.out.println(o.process() + " done: " + summary);
    } catch (IOException | RuntimeException | Error e) {
      System.err.println("NemesisClient " + o.process() + " failed: " + e);
      status = 1;
    } finally {
      done.countDown();
    }
    System.exit(status);
  }

  /**
   * Runs the workload until the duration is over or {@code stop} is counted down, then closes the
   * client and the history. Returns the number of completions by {@code f:type}.
   */
  public static Map<String, Integer> run(NemesisClientOptions o, CountDownLatch stop) throws IOException {
    try (HistoryWriter history = new HistoryWriter(o.history(), o.process())) {
      NemesisClient c = new NemesisClient(o, stop, history);
      try {
        c.loop();
      } finally {
        if (c.sessions != null) {
          c.sessions.close(); // the session's close is one more operation
        }
        c.client.close();
        c.vertx.close();
      }
      synchronized (c.counts) {
        return Map.copyOf(c.counts);
      }
    }
  }

  private boolean stopping() {
    return stop.getCount() == 0 || System.nanoTime() - endNanos >= 0 || Thread.currentThread().isInterrupted();
  }

  private void loop() {
    while (!stopping()) {
      long session = sessions == null ? 0 : sessions.session();
      if (sessions != null && session == 0) {
        pause(200); // the open is in the history; try again
        continue;
      }
      if (random.nextDouble() < 0.2) {
        read(pick()); // most of the time a lock this process does not hold
      }
      String lock = pick();
      Long token = sessions == null ? acquire(lock) : acquireInSession(session, lock);
      if (token == null) {
        continue;
      }
      if (random.nextDouble() < options.thinkP() && options.thinkMax().toMillis() > 0) {
        pause(1 + (long) (random.nextDouble() * options.thinkMax().toMillis())); // "work" before the write
      }
      write(lock, token);
      boolean renewed = random.nextDouble() < 0.3
          && (sessions == null ? renew(lock, token) : sessions.renew(session, lock, token));
      if (renewed && random.nextBoolean()) {
        write(lock, token);
      }
      if (random.nextDouble() < 0.25) {
        read(lock);
      }
      if (sessions == null) {
        release(lock, token);
      } else {
        sessions.release(session, lock, token);
      }
    }
  }

  /**
   * Tries to take {@code lock} in session {@code s} for up to three TTLs, each try one history
   * operation. After an {@code info} try the next try tells: the session gets its holding back
   * as acquired if the first one took it. Returns the token, or null.
   */
  private Long acquireInSession(long s, String lock) {
    long giveUp = System.nanoTime() + 3 * options.ttl().toNanos();
    while (!stopping()) {
      SessionOps.Result r = sessions.acquire(s, lock);
      if (r.ok()) {
        return r.answer().getAcquire().getLock().getVersion();
      }
      boolean again = r.type().equals("info") || ErrorCode.LOCK_HELD.name().equals(r.error());
      if (!again || System.nanoTime() - giveUp >= 0) {
        return null;
      }
      pause(r.type().equals("info") ? 10 : 50 + random.nextInt(200));
    }
    return null;
  }

  private String pick() {
    return options.locks().get(random.nextInt(options.locks().size()));
  }

  /**
   * Tries to take {@code lock} for up to three TTLs; each try is one history operation. Returns
   * the token, or null when the lock was not obtained (or not known to be).
   */
  private Long acquire(String lock) {
    long giveUp = System.nanoTime() + 3 * options.ttl().toNanos();
    while (!stopping()) {
      history.invoke("acquire", lock, null);
      Outcome<AcquireResponse> r = call(() -> client.acquire(AcquireRequest.newBuilder().setLockId(lock)
          .setClientId(options.process()).setTtl(millis(options.ttl().toMillis())).setWait(false).build()));
      if (r.value != null && r.value.getAcquired()) {
        long token = r.value.getLock().getVersion();
        history.ok("acquire", lock, token);
        count("acquire:ok");
        return token;
      }
      String[] outcome = r.value != null ? inBand(r.value.hasError() ? r.value.getError() : null) : failure(r.error);
      history.end(outcome[0], "acquire", lock, null, outcome[1]);
      count("acquire:" + outcome[0]);
      if (outcome[0].equals("info")) {
        // Maybe applied: find out with a read, and carry on with the holding if it is ours.
        Long[] held = new Long[1];
        read(lock, (holder, token) -> {
          if (options.process().equals(holder)) {
            held[0] = token;
          }
        });
        return held[0];
      }
      if (!ErrorCode.LOCK_HELD.name().equals(outcome[1]) || System.nanoTime() - giveUp >= 0) {
        return null;
      }
      pause(50 + random.nextInt(200));
    }
    return null;
  }

  private void write(String lock, long token) {
    history.invoke("write", lock, token);
    URI uri = URI.create(options.resource() + "/write?lock=" + enc(lock) + "&token=" + token + "&process="
        + enc(options.process()));
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofMillis(2_000))
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    String type;
    String error = null;
    try {
      int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
      type = status == 200 ? "ok" : status == 409 ? "fail" : "info";
      error = status == 200 ? null : status == 409 ? "STALE_TOKEN" : "HTTP_" + status;
    } catch (IOException e) {
      type = "info";
      error = e instanceof java.net.http.HttpTimeoutException ? DEADLINE : "IO";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      type = "info";
      error = "INTERRUPTED";
    }
    if (type.equals("ok")) {
      history.ok("write", lock, token);
    } else {
      history.end(type, "write", lock, token, error);
    }
    count("write:" + type);
  }

  /** Renews the lease; true when the server acknowledged the renewal. */
  private boolean renew(String lock, long token) {
    history.invoke("renew", lock, token);
    Outcome<RenewResponse> r = call(() -> client.renew(RenewRequest.newBuilder().setLockId(lock)
        .setClientId(options.process()).setVersion(token).setNewTtl(millis(options.ttl().toMillis())).build()));
    if (r.value != null && r.value.getRenewed()) {
      history.ok("renew", lock, token);
      count("renew:ok");
      return true;
    }
    String[] outcome = r.value != null ? inBand(r.value.hasError() ? r.value.getError() : null) : failure(r.error);
    history.end(outcome[0], "renew", lock, token, outcome[1]);
    count("renew:" + outcome[0]);
    return false;
  }

  private void release(String lock, long token) {
    history.invoke("release", lock, token);
    Outcome<ReleaseResponse> r = call(() -> client.release(ReleaseRequest.newBuilder().setLockId(lock)
        .setClientId(options.process()).setVersion(token).build()));
    if (r.value != null && r.value.getReleased()) {
      history.ok("release", lock, token);
      count("release:ok");
      return;
    }
    String[] outcome = r.value != null ? inBand(r.value.hasError() ? r.value.getError() : null) : failure(r.error);
    history.end(outcome[0], "release", lock, token, outcome[1]);
    count("release:" + outcome[0]);
  }

  private void read(String lock) {
    read(lock, (holder, token) -> { });
  }

  private interface ReadResult {
    void accept(String holder, long token);
  }

  /** A linearizable GetLockInfo; a free lock (LOCK_NOT_FOUND) reads as holder null, token 0. */
  private void read(String lock, ReadResult onOk) {
    history.invoke("read", lock, null);
    Outcome<GetLockInfoResponse> r = call(() -> client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock)
        .build()));
    GetLockInfoResponse v = r.value;
    if (v != null && v.hasLockInfo() && !v.hasError()) {
      history.okRead(lock, v.getLockInfo().getOwnerId(), v.getLockInfo().getVersion());
      count("read:ok");
      onOk.accept(v.getLockInfo().getOwnerId(), v.getLockInfo().getVersion());
      return;
    }
    ErrorCode code = v != null && v.hasError() ? v.getError().getCode()
        : r.error instanceof RaftLockException e ? e.code() : null;
    if (code == ErrorCode.LOCK_NOT_FOUND) {
      history.okRead(lock, null, 0);
      count("read:ok");
      onOk.accept(null, 0);
      return;
    }
    // A read changes nothing, so a failed one is simply not known to have happened: info.
    String error = code != null ? code.name() : v != null ? "UNEXPECTED" : failure(r.error)[1];
    history.end("info", "read", lock, null, error);
    count("read:info");
  }

  // ---------------------------------------------------------------- outcomes

  private record Outcome<T>(T value, Throwable error) {}

  /** Waits for one client call, bounded: past the bound it counts as {@link #DEADLINE}. */
  private <T> Outcome<T> call(Supplier<CompletionStage<T>> op) {
    try {
      return new Outcome<>(op.get().toCompletableFuture().get(callBoundMs, TimeUnit.MILLISECONDS), null);
    } catch (ExecutionException e) {
      return new Outcome<>(null, e.getCause() != null ? e.getCause() : e);
    } catch (TimeoutException e) {
      return new Outcome<>(null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome<>(null, e);
    } catch (RuntimeException e) {
      return new Outcome<>(null, e);
    }
  }

  /** {type, error} of a response that carries no success: definite refusals fail, the rest is info. */
  static String[] inBand(ErrorDetail error) {
    if (error == null) {
      return new String[] {"info", "UNEXPECTED"};
    }
    ErrorCode code = error.getCode();
    return new String[] {DEFINITE.contains(code) ? "fail" : "info", code.name()};
  }

  /** {type, error} of a failed call. Only a typed, non-retryable refusal is a definite fail. */
  static String[] failure(Throwable t) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    if (c instanceof RaftLockException e) {
      boolean definite = !e.retryable() && DEFINITE.contains(e.code());
      return new String[] {definite ? "fail" : "info", e.code().name()};
    }
    if (c instanceof TimeoutException) {
      return new String[] {"info", DEADLINE};
    }
    if (c instanceof InterruptedException) {
      return new String[] {"info", "INTERRUPTED"};
    }
    return new String[] {"info", c.getClass().getSimpleName()};
  }

  private void count(String key) {
    synchronized (counts) { // the keep-alive lane counts too
      counts.merge(key, 1, Integer::sum);
    }
  }

  /** Think time and pacing between tries; ends early when the process is told to stop. */
  private void pause(long ms) {
    long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
    try {
      stop.await(Math.max(0, Math.min(ms, left)), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Duration millis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
