package io.raftlock.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.raftlock.api.ApiObserver;
import io.raftlock.api.LockService;
import io.raftlock.api.ApiObserver.Method;
import io.raftlock.lock.ErrorCode;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Client API meters, fed by {@link LockService} as its {@link ApiObserver}: the seed's
 * {@code ServerMetrics} hooks (requests by method and outcome, latency, redirects, forwards,
 * retries, proposals, validation/client/server errors, queue overflows, concurrent requests,
 * health checks). Every label comes from a fixed set (method, outcome, error code, field name,
 * command type, queue): never a lock id or a client id.
 *
 * <p>Meters are created on first use and cached in arrays indexed by enum ordinal, so the hot
 * path is an array read and an increment; Micrometer meters are thread-safe.
 */
public final class ApiMetrics implements ApiObserver {
  /** Outcome of a request: how it ended, whatever the transport. */
  enum Outcome {
    /** Answered without error. */
    OK,
    /** Served, and the lock state machine said no (1xx codes: LOCK_HELD, NOT_LOCK_OWNER, ...). */
    LOCK_ERROR,
    /** Refused because of the request or the caller (invalid, rate limited, NOT_LEADER). */
    CLIENT_ERROR,
    /** Failed on the server's side (no leader, timeout, unavailable, internal error). */
    SERVER_ERROR;

    final String label = name().toLowerCase(Locale.ROOT);
  }

  /** Request latencies: sub-millisecond reads up to the 5 s request timeout. */
  static final java.time.Duration[] LATENCY_BUCKETS = durations(
      0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000);

  /** Distinct validation field labels per method, at most. */
  static final int MAX_FIELDS = 32;
  private static final int METHODS = Method.values().length;
  private static final int CODES = ErrorCode.values().length;
  private static final int OUTCOMES = Outcome.values().length;

  private final MeterRegistry registry;
  private final AtomicReferenceArray<Counter> requests = new AtomicReferenceArray<>(METHODS * OUTCOMES);
  private final AtomicReferenceArray<Counter> clientErrors = new AtomicReferenceArray<>(METHODS * CODES);
  private final AtomicReferenceArray<Counter> serverErrors = new AtomicReferenceArray<>(METHODS * CODES);
  private final Map<Method, Timer> latency = new EnumMap<>(Method.class);
  private final Map<Method, AtomicInteger> inFlight = new EnumMap<>(Method.class);
  private final Map<Method, Counter> redirects = new EnumMap<>(Method.class);
  private final Map<Method, Counter> forwards = new EnumMap<>(Method.class);
  private final Map<ApiObserver.Queue, Counter> overflows = new EnumMap<>(ApiObserver.Queue.class);
  /** Validation errors by method, then field (field names come from the validator's code). */
  private final Map<Method, Map<String, Counter>> invalid = new EnumMap<>(Method.class);
  /** Proposals by command type, then outcome. */
  private final Map<String, Map<String, Counter>> proposals = new ConcurrentHashMap<>();
  private final Map<String, Timer> proposalLatency = new ConcurrentHashMap<>();
  private final Map<String, Counter> retries = new ConcurrentHashMap<>();
  private final Counter healthServing;
  private final Counter healthNotServing;
  private final AtomicInteger webSockets = new AtomicInteger();
  private final AtomicInteger totalInFlight = new AtomicInteger();

  ApiMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Method m : Method.values()) {
      AtomicInteger n = new AtomicInteger();
      inFlight.put(m, n);
      Gauge.builder("raftlock.requests.in.flight", n, AtomicInteger::get).tag("method", m.rpcName())
          .description("requests received and not yet answered").register(registry);
      latency.put(m, Timer.builder("raftlock.request.duration").tag("method", m.rpcName())
          .description("time from receiving a request to its answer")
          .serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
      redirects.put(m, Counter.builder("raftlock.leader.redirects").tag("method", m.rpcName())
          .description("writes a follower answered with NOT_LEADER / NO_LEADER (redirect mode)").register(registry));
      forwards.put(m, Counter.builder("raftlock.leader.forwards").tag("method", m.rpcName())
          .description("writes a follower forwarded to the leader").register(registry));
      invalid.put(m, new ConcurrentHashMap<>());
      // The successful series exist from the start, so a dashboard sees zero rather than nothing.
      requestCounter(m, Outcome.OK);
    }
    for (ApiObserver.Queue q : ApiObserver.Queue.values()) {
      overflows.put(q, Counter.builder("raftlock.queue.overflows").tag("queue", q.name().toLowerCase(Locale.ROOT))
          .description("work refused or dropped because a queue or cap was full").register(registry));
    }
    Gauge.builder("raftlock.queue.length", totalInFlight, AtomicInteger::get).tag("queue", "requests_in_flight")
        .description("requests in flight on this node (all methods)").register(registry);
    healthServing = Counter.builder("raftlock.health.checks").tag("result", "serving")
        .description("health requests answered, by what they said").register(registry);
    healthNotServing = Counter.builder("raftlock.health.checks").tag("result", "not_serving")
        .description("health requests answered, by what they said").register(registry);
    Gauge.builder("raftlock.websocket.connections", webSockets, AtomicInteger::get)
        .description("WebSocket connections open on /v1/ws").register(registry);
  }

  @Override
  public void started(Method method) {
    inFlight.get(method).incrementAndGet();
    totalInFlight.incrementAndGet();
  }

  @Override
  public void finished(Method method, ErrorCode error, long nanos) {
    inFlight.get(method).decrementAndGet();
    totalInFlight.decrementAndGet();
    latency.get(method).record(nanos, TimeUnit.NANOSECONDS);
    Outcome outcome = outcomeOf(error);
    requestCounter(method, outcome).increment();
    if (outcome == Outcome.LOCK_ERROR || outcome == Outcome.CLIENT_ERROR) {
      errorCounter(clientErrors, "raftlock.client.errors", "code", method, error).increment();
    } else if (outcome == Outcome.SERVER_ERROR) {
      errorCounter(serverErrors, "raftlock.server.errors", "type", method, error).increment();
    }
  }

  @Override
  public void invalid(Method method, String field) {
    Map<String, Counter> byField = invalid.get(method);
    // Field names are the validator's literals (map keys stripped by LockService); the cap is a
    // guard against a future validator naming fields after input.
    String f0 = byField.containsKey(field) || byField.size() < MAX_FIELDS ? field : "other";
    byField.computeIfAbsent(f0, f -> Counter.builder("raftlock.validation.errors")
        .tag("method", method.rpcName()).tag("field", f)
        .description("requests refused by validation, by the first offending field").register(registry))
        .increment();
  }

  @Override
  public void redirected(Method method) {
    redirects.get(method).increment();
  }

  @Override
  public void forwarded(Method method) {
    forwards.get(method).increment();
  }

  @Override
  public void proposed(String operation, String outcome, long nanos) {
    proposals.computeIfAbsent(operation, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(outcome, o -> Counter.builder("raftlock.raft.proposals")
            .tag("operation", operation).tag("outcome", o)
            .description("commands submitted to Raft by this node's API, by type and outcome").register(registry))
        .increment();
    proposalLatency.computeIfAbsent(operation, op -> Timer.builder("raftlock.raft.proposal.duration")
        .tag("operation", op).description("time from submitting a command to Raft to its applied result")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void retried(String operation) {
    retries.computeIfAbsent(operation, op -> Counter.builder("raftlock.retries").tag("operation", op)
        .description("proposals the node retried on its own after a retryable failure").register(registry))
        .increment();
  }

  @Override
  public void overflowed(ApiObserver.Queue queue) {
    overflows.get(queue).increment();
  }

  @Override
  public void healthChecked(boolean serving) {
    (serving ? healthServing : healthNotServing).increment();
  }

  @Override
  public void webSocketsOpen(int delta) {
    webSockets.addAndGet(delta);
  }

  /** Requests in flight now, all methods. */
  int inFlight() {
    return totalInFlight.get();
  }

  static Outcome outcomeOf(ErrorCode error) {
    if (error == null || error == ErrorCode.OK) {
      return Outcome.OK;
    }
    return switch (error) {
      case NO_LEADER, REPLICATION_FAILURE, TIMEOUT, UNAVAILABLE, INTERNAL_ERROR -> Outcome.SERVER_ERROR;
      case NOT_LEADER, RATE_LIMITED, INVALID_ARGUMENT, PERMISSION_DENIED -> Outcome.CLIENT_ERROR;
      default -> error.code() < 200 ? Outcome.LOCK_ERROR : Outcome.CLIENT_ERROR;
    };
  }

  /** The seed's server error types: internal_error, raft_unavailable, timeout. */
  static String serverErrorType(ErrorCode error) {
    return switch (error) {
      case TIMEOUT -> "timeout";
      case INTERNAL_ERROR -> "internal_error";
      default -> "raft_unavailable";
    };
  }

  private Counter requestCounter(Method method, Outcome outcome) {
    int i = method.ordinal() * OUTCOMES + outcome.ordinal();
    Counter c = requests.get(i);
    if (c == null) {
      c = Counter.builder("raftlock.requests").tag("method", method.rpcName()).tag("outcome", outcome.label)
          .description("client API requests answered, by method and outcome").register(registry);
      requests.set(i, c); // a racing registration returns the same meter
    }
    return c;
  }

  private Counter errorCounter(AtomicReferenceArray<Counter> cache, String name, String tag, Method method,
      ErrorCode error) {
    int i = method.ordinal() * CODES + error.ordinal();
    Counter c = cache.get(i);
    if (c == null) {
      String value = tag.equals("code") ? error.name() : serverErrorType(error);
      c = Counter.builder(name).tag("method", method.rpcName()).tag(tag, value)
          .description(tag.equals("code") ? "requests answered with an error caused by the request, by code"
              : "requests that failed on the server's side, by type")
          .register(registry);
      cache.set(i, c);
    }
    return c;
  }

  static java.time.Duration[] durations(double... millis) {
    java.time.Duration[] d = new java.time.Duration[millis.length];
    for (int i = 0; i < millis.length; i++) {
      d[i] = java.time.Duration.ofNanos((long) (millis[i] * 1_000_000));
    }
    return d;
  }
}
