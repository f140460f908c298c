package io.raftlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.MultiMap;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ConnectException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Backoff arithmetic, how failures are classified for retry, endpoint parsing, the local deadline. */
class RetryAndRoutingTest {
  final RetryPolicy policy = new RetryPolicy(java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1), 2.0, 0.2);

  @Test
  void backoffGrowsExponentiallyWithinItsJitterAndStopsAtTheCap() {
    Random r = new Random(7);
    for (int i = 0; i < 1_000; i++) {
      long d0 = policy.delayMs(0, 0, r);
      long d2 = policy.delayMs(2, 0, r);
      long d10 = policy.delayMs(10, 0, r);
      assertTrue(d0 >= 80 && d0 <= 120, "attempt 0: " + d0);
      assertTrue(d2 >= 320 && d2 <= 480, "attempt 2: " + d2);
      assertTrue(d10 >= 800 && d10 <= 1200, "capped: " + d10);
    }
    assertTrue(policy.delayMs(1_000_000, 0, r) <= 1200, "no overflow for huge attempt numbers");
  }

  @Test
  void jitterSpreadsRetriesOfClientsThatFailedTogether() {
    Random r = new Random(1);
    long distinct = java.util.stream.IntStream.range(0, 100).mapToLong(i -> policy.delayMs(3, 0, r)).distinct().count();
    assertTrue(distinct > 20, "delays spread: " + distinct);
  }

  @Test
  void theServersRetryHintIsAFloor() {
    Random r = new Random(3);
    assertEquals(5_000, policy.delayMs(0, 5_000, r));
    assertTrue(policy.delayMs(0, 10, r) >= 80);
  }

  @Test
  void invalidPoliciesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(java.time.Duration.ZERO, java.time.Duration.ofSeconds(1), 2, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(1), 2, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(java.time.Duration.ofMillis(1), java.time.Duration.ofSeconds(1), 0.5, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(java.time.Duration.ofMillis(1), java.time.Duration.ofSeconds(1), 2, 1.0));
  }

  static Rpc.StatusFailure refused(GrpcStatus status, ErrorCode code, String retryAfterMs, String leader) {
    MultiMap t = MultiMap.caseInsensitiveMultiMap();
    if (code != null) {
      t.set(ErrorTrailers.ERROR_CODE_TRAILER, Integer.toString(code.getNumber()));
    }
    if (retryAfterMs != null) {
      t.set(ErrorTrailers.RETRY_AFTER_TRAILER, retryAfterMs);
    }
    if (leader != null) {
      t.set(ErrorTrailers.LEADER_ADDRESS_TRAILER, leader);
    }
    return new Rpc.StatusFailure(status, "refused", t);
  }

  @Test
  void notLeaderFollowsTheLeaderAddressTrailer() {
    Rpc.Failure f = Rpc.classify(refused(GrpcStatus.UNAVAILABLE, ErrorCode.NOT_LEADER, null, "10.0.0.2:8002"));
    assertTrue(f.retryable());
    assertEquals(ErrorCode.NOT_LEADER, f.code());
    assertEquals("10.0.0.2:8002", f.leaderAddress());
  }

  @Test
  void clusterOutcomesAreRetriedAfterTheHintAndLockOutcomesAreNot() {
    Rpc.Failure noLeader = Rpc.classify(refused(GrpcStatus.UNAVAILABLE, ErrorCode.NO_LEADER, "250", null));
    assertTrue(noLeader.retryable());
    assertEquals(250, noLeader.retryAfterMs());
    for (ErrorCode c : new ErrorCode[] {ErrorCode.REPLICATION_FAILURE, ErrorCode.TIMEOUT, ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE}) {
      assertTrue(Rpc.classify(refused(GrpcStatus.UNAVAILABLE, c, "10", null)).retryable(), c.name());
    }
    Rpc.Failure invalid = Rpc.classify(refused(GrpcStatus.INVALID_ARGUMENT, ErrorCode.INVALID_ARGUMENT, null, null));
    assertFalse(invalid.retryable());
    assertEquals(ErrorCode.INVALID_ARGUMENT, invalid.toException().code());
    assertFalse(Rpc.classify(refused(GrpcStatus.INTERNAL, ErrorCode.INTERNAL_ERROR, null, null)).retryable());
    assertEquals(0, Rpc.classify(refused(GrpcStatus.UNAVAILABLE, ErrorCode.NO_LEADER, "garbage", null)).retryAfterMs());
  }

  @Test
  void transportFailuresMoveOnToAnotherNode() {
    Rpc.Failure f = Rpc.classify(new ConnectException("Connection refused"));
    assertTrue(f.retryable());
    assertTrue(f.moveOn());
    Rpc.Failure bare = Rpc.classify(refused(GrpcStatus.UNAVAILABLE, null, null, null));
    assertTrue(bare.retryable() && bare.moveOn());
    assertFalse(Rpc.classify(refused(GrpcStatus.NOT_FOUND, null, null, null)).retryable());
  }

  @Test
  void inBandErrorsOfReadsCarryTheirHint() {
    Rpc.Failure f = Rpc.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.NO_LEADER)
        .setRetryAfter(Duration.newBuilder().setSeconds(1).setNanos(500_000_000)).build());
    assertTrue(f.retryable());
    assertEquals(1_500, f.retryAfterMs());
    assertFalse(Rpc.fromDetail(ErrorDetail.newBuilder().setCode(ErrorCode.LOCK_NOT_FOUND).build()).retryable());
  }

  @Test
  void endpointsAreHostColonPort() {
    assertEquals(8001, Rpc.parse(" 127.0.0.1:8001 ").port());
    assertEquals("::1", Rpc.parse("[::1]:8001").host());
    for (String bad : new String[] {"localhost", ":8001", "host:", "host:x", "host:0", "host:70000"}) {
      assertThrows(IllegalArgumentException.class, () -> Rpc.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> RaftLockClient.builder().endpoints(" , ").build());
    assertThrows(IllegalArgumentException.class, () -> RaftLockClient.builder().clientId(""));
  }

  @Test
  void theLocalDeadlineIsTheTtlFromBeforeTheSendLessAMargin() {
    long start = 1_000_000_000L;
    assertEquals(start + 9_800_000_000L, RaftLockClient.localDeadline(start, java.time.Duration.ofSeconds(10)), "2 %");
    assertEquals(start + 1_900_000_000L, RaftLockClient.localDeadline(start, java.time.Duration.ofSeconds(2)), "100 ms");
    assertEquals(start + 300_000_000L, RaftLockClient.localDeadline(start, java.time.Duration.ofMillis(400)), "TTL / 4");
  }
}
