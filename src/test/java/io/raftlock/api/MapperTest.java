package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.BackoffAdvice;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockPage;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockStats;
import io.raftlock.lock.WaiterInfo;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.grpc.common.GrpcStatus;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MapperTest {
  private static final AcquireRequest ACQ = AcquireRequest.newBuilder()
      .setLockId("l").setClientId("c").putMetadata("k", "v").build();

  @Test
  void everyErrorCodeMapsBothWaysWithTheSameNumber() {
    for (ErrorCode c : ErrorCode.values()) {
      io.raftlock.proto.api.ErrorCode p = ApiMapper.toProto(c);
      assertEquals(c.code(), p.getNumber());
      assertEquals(c.name(), p.name());
      assertEquals(Optional.of(c), ApiMapper.fromProto(p));
      ApiMapper.grpcStatus(c); // total
    }
    assertEquals(Optional.empty(),
        ApiMapper.fromProto(io.raftlock.proto.api.ErrorCode.ERROR_CODE_UNSPECIFIED));
    assertEquals(Optional.empty(), ApiMapper.fromProto(io.raftlock.proto.api.ErrorCode.UNRECOGNIZED));
    assertEquals(io.raftlock.proto.api.ErrorCode.values().length - 2, ErrorCode.values().length,
        "every wire code but UNSPECIFIED has a core constant");
    assertEquals(GrpcStatus.INVALID_ARGUMENT, ApiMapper.grpcStatus(ErrorCode.INVALID_TTL));
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, ApiMapper.grpcStatus(ErrorCode.RATE_LIMITED));
    assertEquals(GrpcStatus.UNAVAILABLE, ApiMapper.grpcStatus(ErrorCode.NO_LEADER));
  }

  @Test
  void edgeErrors() {
    ErrorDetail v = ApiMapper.error(new ValidationError("ttl", ErrorCode.INVALID_TTL, "ttl bad"));
    assertEquals(io.raftlock.proto.api.ErrorCode.INVALID_TTL, v.getCode());
    assertEquals("ttl", v.getDetailsOrThrow("field"));
    ErrorDetail r = ApiMapper.retryable(ErrorCode.RATE_LIMITED, "slow down", 1_500_000_000L);
    assertEquals(1, r.getRetryAfter().getSeconds());
    assertEquals(500_000_000, r.getRetryAfter().getNanos());
    ErrorDetail n = ApiMapper.notLeader("n2", "127.0.0.2:9090");
    assertEquals(io.raftlock.proto.api.ErrorCode.NOT_LEADER, n.getCode());
    assertEquals("127.0.0.2:9090", n.getLeaderAddress());
  }

  @Test
  void acquireReplies() {
    AcquireResponse g = ResponseMapper.acquire(ACQ, new LockReply.Granted(42, 1_000, 31_000));
    assertTrue(g.getAcquired());
    assertEquals(42, g.getLock().getVersion());
    assertEquals("c", g.getLock().getOwnerId());
    assertEquals(31, g.getLock().getExpiresAt().getSeconds());
    assertEquals("v", g.getLock().getMetadataOrThrow("k"));

    AcquireResponse q = ResponseMapper.acquire(ACQ, new LockReply.Queued(0, 2_500));
    assertTrue(q.getQueued());
    assertFalse(q.getAcquired());
    assertEquals(0, q.getQueuePosition());
    assertEquals(2, q.getEstimatedWaitDuration().getSeconds());

    BackoffAdvice advice = new BackoffAdvice(1_000, 4_000, 1.5, 0.2, 16_000);
    AcquireResponse held = ResponseMapper.acquire(ACQ,
        new LockReply.Error(ErrorCode.LOCK_HELD, "held", advice));
    assertEquals(io.raftlock.proto.api.ErrorCode.LOCK_HELD, held.getError().getCode());
    assertEquals(4, held.getBackoffAdvice().getMaxBackoff().getSeconds());
    assertEquals(16, held.getBackoffAdvice().getEstimatedAvailabilityIn().getSeconds());

    AcquireResponse wrong = ResponseMapper.acquire(ACQ, new LockReply.Renewed(5));
    assertEquals(io.raftlock.proto.api.ErrorCode.INTERNAL_ERROR, wrong.getError().getCode());
    assertFalse(wrong.getAcquired());
  }

  @Test
  void otherWriteReplies() {
    assertTrue(ResponseMapper.release(new LockReply.Released(true)).getWaiterPromoted());
    assertEquals(io.raftlock.proto.api.ErrorCode.VERSION_MISMATCH, ResponseMapper.release(
        new LockReply.Error(ErrorCode.VERSION_MISMATCH, "token", null)).getError().getCode());
    RenewRequest renew = RenewRequest.newBuilder().setLockId("l").setClientId("c").setVersion(9).build();
    RenewResponse rr = ResponseMapper.renew(renew, new LockReply.Renewed(61_000));
    assertTrue(rr.getRenewed());
    assertEquals(9, rr.getLock().getVersion());
    assertEquals(61, rr.getLock().getExpiresAt().getSeconds());
    EnqueueWaiterRequest enq = EnqueueWaiterRequest.newBuilder().setLockId("l").setClientId("c").build();
    assertEquals(3, ResponseMapper.enqueueWaiter(enq, new LockReply.Queued(3, 0)).getPosition());
    assertEquals(7, ResponseMapper.enqueueWaiter(enq, new LockReply.Granted(7, 0, 1)).getLock()
        .getVersion());
    assertTrue(ResponseMapper.cancelWait(new LockReply.Cancelled(1)).getCancelled());
  }

  @Test
  void queries() {
    LockInfo info = new LockInfo("l", "c", 5, 1_000, 2_000, 1,
        List.of(new WaiterInfo("w", 10, 1_500, 9_000, 0)), new TreeMap<>(java.util.Map.of("a", "b")));
    GetLocksResponse page = ResponseMapper.locks(new LockPage(List.of(info), 3, true), true);
    assertEquals(3, page.getTotalMatchingFilter());
    assertTrue(page.getHasMore());
    assertEquals("w", page.getLocks(0).getWaitersInfo(0).getClientId());
    assertEquals(0, ResponseMapper.locks(new LockPage(List.of(info), 1, false), false)
        .getLocks(0).getWaitersInfoCount());
    assertEquals(io.raftlock.proto.api.ErrorCode.LOCK_NOT_FOUND,
        ResponseMapper.lockInfo("x", Optional.empty(), false).getError().getCode());
    assertEquals(5, ResponseMapper.lockInfo("l", Optional.of(info), false).getLockInfo().getVersion());

    LockStats stats = new LockStats(2, 3, 1, 1_500, 10, 8, 1, 2, 3, 4, 99);
    assertEquals(10, ResponseMapper.stats(stats).getTotalAcquires());
    assertEquals(1, ResponseMapper.stats(stats).getAverageHoldDuration().getSeconds());
  }

  @Test
  void eventsCarryKindTokenAndIndex() {
    List<LockEvent> events = List.of(
        new LockEvent.Granted("l", "c", 12, 12),
        new LockEvent.Queued("l", "w", 0, 13, 2),
        new LockEvent.Released("l", "c", 12, 14),
        new LockEvent.Expired("l", "c", 12, 15),
        new LockEvent.WaitTimedOut("l", "w", 0, 16),
        new LockEvent.WaitCancelled("l", "w", 0, 17));
    List<LockEventMessage.Kind> kinds = List.of(LockEventMessage.Kind.GRANTED,
        LockEventMessage.Kind.QUEUED, LockEventMessage.Kind.RELEASED, LockEventMessage.Kind.EXPIRED,
        LockEventMessage.Kind.WAIT_TIMED_OUT, LockEventMessage.Kind.WAIT_CANCELLED);
    for (int i = 0; i < events.size(); i++) {
      LockEventMessage m = ResponseMapper.event(events.get(i));
      assertEquals(kinds.get(i), m.getKind());
      assertEquals(events.get(i).token(), m.getVersion());
      assertEquals(events.get(i).index(), m.getLogIndex());
      assertEquals(events.get(i).clientId(), m.getClientId());
    }
    assertEquals(2, ResponseMapper.event(events.get(1)).getQueuePosition());
    assertEquals(LockEventMessage.Kind.WATCH_STARTED, ResponseMapper.watchStarted("c", 9).getKind());
  }

  @Test
  void timeConversionsFloorNegativeMillis() {
    assertEquals(-1, ApiMapper.timestampOfMillis(-1).getSeconds());
    assertEquals(999_000_000, ApiMapper.timestampOfMillis(-1).getNanos());
    assertEquals(1_234, FieldChecks.millis(ApiMapper.timestampOfMillis(1_234)));
    assertEquals(-1_234, FieldChecks.millis(ApiMapper.durationOfMillis(-1_234)));
  }

  @Test
  void raftStatus() {
    RaftStatus s = new RaftStatus("n1", Role.LEADER, 3, "n1", 20, 3, 18, 17, 20, 0, false, 3,
        new TreeMap<>(java.util.Map.of("n2",
            new RaftStatus.PeerStatus(15, 21, "REPLICATE", 2, true))));
    io.raftlock.proto.api.RaftStatus p = ResponseMapper.raftStatus(s, true);
    assertEquals("LEADER", p.getRole());
    assertEquals(5, p.getReplicationOrThrow("n2").getReplicationLag());
    assertEquals(0, ResponseMapper.raftStatus(s, false).getReplicationCount());
  }
}
