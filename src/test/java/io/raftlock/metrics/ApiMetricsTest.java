package io.raftlock.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftlock.api.ApiObserver.Method;
import io.raftlock.api.ApiObserver.Queue;
import io.raftlock.lock.ErrorCode;
import org.junit.jupiter.api.Test;

/** Outcome classification and labels of the client API meters, on a plain registry. */
class ApiMetricsTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ApiMetrics metrics = new ApiMetrics(registry);

  double count(String name, String... tags) {
    var c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void everyErrorCodeHasAnOutcomeAndOnlyServerFaultsAreServerErrors() {
    for (ErrorCode code : ErrorCode.values()) {
      metrics.started(Method.RENEW);
      metrics.finished(Method.RENEW, code, 1_000);
    }
    assertEquals(5, count("raftlock.requests", "method", "Renew", "outcome", "server_error"),
        "NO_LEADER, REPLICATION_FAILURE, TIMEOUT, UNAVAILABLE, INTERNAL_ERROR");
    assertEquals(9, count("raftlock.requests", "method", "Renew", "outcome", "lock_error"), "the 1xx codes");
    assertEquals(4, count("raftlock.requests", "method", "Renew", "outcome", "client_error"),
        "NOT_LEADER, RATE_LIMITED, INVALID_ARGUMENT, PERMISSION_DENIED");
    assertEquals(1, count("raftlock.requests", "method", "Renew", "outcome", "ok"), "OK");
    assertEquals(1, count("raftlock.server.errors", "method", "Renew", "type", "timeout"));
    assertEquals(1, count("raftlock.server.errors", "method", "Renew", "type", "internal_error"));
    assertEquals(3, count("raftlock.server.errors", "method", "Renew", "type", "raft_unavailable"));
    assertEquals(1, count("raftlock.client.errors", "method", "Renew", "code", "LOCK_HELD"));
    assertEquals(0, metrics.inFlight(), "every started request finished");
    assertEquals(ErrorCode.values().length, registry.find("raftlock.request.duration").tag("method", "Renew")
        .timer().count());
  }

  @Test
  void inFlightCountsStartedMinusFinished() {
    metrics.started(Method.ACQUIRE);
    metrics.started(Method.ACQUIRE);
    metrics.finished(Method.ACQUIRE, null, 10);
    assertEquals(1, metrics.inFlight());
    assertEquals(1, registry.find("raftlock.requests.in.flight").tag("method", "Acquire").gauge().value());
  }

  @Test
  void validationFieldLabelsAreCappedPerMethod() {
    for (int i = 0; i < ApiMetrics.MAX_FIELDS + 10; i++) {
      metrics.invalid(Method.ACQUIRE, "field_" + i);
    }
    metrics.invalid(Method.ACQUIRE, "field_0");
    assertEquals(ApiMetrics.MAX_FIELDS + 1, registry.find("raftlock.validation.errors").tag("method", "Acquire")
        .counters().size(), "the cap, plus other");
    assertEquals(10, count("raftlock.validation.errors", "method", "Acquire", "field", "other"));
    assertEquals(2, count("raftlock.validation.errors", "method", "Acquire", "field", "field_0"));
  }

  @Test
  void proposalsOverflowsAndHealthChecksAreLabelledFromFixedSets() {
    metrics.proposed("Acquire", "ok", 5_000);
    metrics.proposed("Acquire", "no_leader", 5_000);
    metrics.overflowed(Queue.WS_WRITE_QUEUE);
    metrics.healthChecked(false);
    metrics.retried("CancelClientWaits");
    assertEquals(1, count("raftlock.raft.proposals", "operation", "Acquire", "outcome", "no_leader"));
    assertEquals(2, registry.find("raftlock.raft.proposal.duration").tag("operation", "Acquire").timer().count());
    assertEquals(1, count("raftlock.queue.overflows", "queue", "ws_write_queue"));
    assertEquals(1, count("raftlock.health.checks", "result", "not_serving"));
    assertEquals(1, count("raftlock.retries", "operation", "CancelClientWaits"));
    assertNull(registry.find("raftlock.raft.proposals").tag("outcome", "timeout").counter());
  }
}
