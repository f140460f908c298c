package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockFilter;
import io.raftlock.lock.LockLimits;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Valid generated requests pass the validator, convert to a {@link LockCommand} whose fields
 * round-trip, and are never refused by the state machine's own re-check of the limits
 * ({@code INVALID_ARGUMENT} / {@code INVALID_TTL}): the API layer's validation and the state
 * machine's agree.
 */
class RequestConversionPropertiesTest {
  static final int TRIES = 2_000;

  @Property(tries = TRIES)
  void acquire(@ForAll("validAcquire") AcquireRequest r, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(r).isEmpty(), () -> RequestValidator.validate(r).toString());
    LockCommand.Acquire c = ApiMapper.toCommand(r, timeMs);
    assertEquals(r.getLockId(), c.lockId());
    assertEquals(r.getClientId(), c.clientId());
    assertEquals(r.hasTtl() ? truncatedMs(r.getTtl()) : LockLimits.DEFAULT_TTL_MS, c.ttlMs());
    assertEquals(r.getWait(), c.waitForLock());
    long defaultWait = r.getWait() ? RequestValidator.DEFAULT_WAIT_TIMEOUT_MS : 0;
    assertEquals(r.hasWaitTimeout() ? truncatedMs(r.getWaitTimeout()) : defaultWait,
        c.waitTimeoutMs());
    assertEquals(r.getPriority(), c.priority());
    assertEquals(r.getMetadataMap(), c.metadata());
    assertEquals(r.getRequestId(), c.requestId());
    assertEquals(timeMs, c.timeMs());
    assertStateMachineAccepts(c);
  }

  @Property(tries = TRIES)
  void release(@ForAll("validRelease") ReleaseRequest r, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(r).isEmpty());
    LockCommand.Release c = ApiMapper.toCommand(r, timeMs);
    assertEquals(new LockCommand.Release(r.getLockId(), r.getClientId(), r.getVersion(),
        r.getRequestId(), timeMs), c);
    assertStateMachineAccepts(c);
  }

  @Property(tries = TRIES)
  void renew(@ForAll("validRenew") RenewRequest r, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(r).isEmpty());
    LockCommand.Renew c = ApiMapper.toCommand(r, timeMs);
    assertEquals(new LockCommand.Renew(r.getLockId(), r.getClientId(), r.getVersion(),
        truncatedMs(r.getNewTtl()), r.getRequestId(), timeMs), c);
    assertStateMachineAccepts(c);
  }

  @Property(tries = TRIES)
  void enqueueWaiter(@ForAll("validEnqueue") EnqueueWaiterRequest r, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(r).isEmpty());
    LockCommand.EnqueueWaiter c = ApiMapper.toCommand(r, timeMs);
    assertEquals(new LockCommand.EnqueueWaiter(r.getLockId(), r.getClientId(),
        truncatedMs(r.getTimeout()), r.getPriority(), r.getRequestId(), timeMs), c);
    assertStateMachineAccepts(c);
  }

  @Property(tries = TRIES)
  void cancelWait(@ForAll("validCancel") CancelWaitRequest r, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(r).isEmpty());
    LockCommand.CancelWait c = ApiMapper.toCommand(r, timeMs);
    assertEquals(new LockCommand.CancelWait(r.getLockId(), r.getClientId(), r.getRequestId(),
        timeMs), c);
    assertStateMachineAccepts(c);
  }

  @Property(tries = TRIES)
  void watchDropCancelsWaits(@ForAll("clientId") String clientId, @ForAll("time") long timeMs) {
    assertTrue(RequestValidator.validate(WatchRequest.newBuilder().setClientId(clientId).build())
        .isEmpty());
    assertStateMachineAccepts(ApiMapper.cancelClientWaits(clientId, timeMs));
  }

  @Property(tries = TRIES)
  void getLocks(@ForAll("validGetLocks") GetLocksRequest r) {
    assertTrue(RequestValidator.validate(r).isEmpty(), () -> RequestValidator.validate(r).toString());
    LockFilter f = ApiMapper.toFilter(r);
    assertEquals(r.getFilter().getLockIdPattern(), f.lockIdGlob());
    assertEquals(r.getFilter().getOwnerIdPattern(), f.ownerGlob());
    assertEquals(r.getFilter().getOnlyContested(), f.onlyContested());
    assertEquals(r.getFilter().getMetadataFilterMap(), f.metadata());
    assertEquals(r.getFilter().hasExpiresBefore()
        ? Long.valueOf(r.getFilter().getExpiresBefore().getSeconds() * 1000) : null,
        f.expiresBeforeMs());
    assertEquals(r.getFilter().hasExpiresAfter()
        ? Long.valueOf(r.getFilter().getExpiresAfter().getSeconds() * 1000) : null,
        f.expiresAfterMs());
    int limit = ApiMapper.pageLimit(r);
    assertEquals(r.getLimit() == 0 ? LockLimits.DEFAULT_PAGE_LIMIT : r.getLimit(), limit);
    new LockStateMachine().listLocks(f, limit, r.getOffset()); // must not throw
  }

  @Property(tries = TRIES)
  void readsAndHealth(@ForAll("lockId") String lockId, @ForAll("serviceName") String service) {
    assertTrue(RequestValidator.validate(GetLockInfoRequest.newBuilder().setLockId(lockId).build())
        .isEmpty());
    assertTrue(RequestValidator.validate(BackoffAdviceRequest.newBuilder().setLockId(lockId).build())
        .isEmpty());
    assertTrue(RequestValidator.validate(HealthRequest.newBuilder().setServiceName(service).build())
        .isEmpty());
  }

  /** The state machine's apply-time validation runs first; any other outcome means it agreed. */
  private static void assertStateMachineAccepts(LockCommand c) {
    LockReply reply = new LockStateMachine().apply(1, c).reply();
    if (reply instanceof LockReply.Error e) {
      assertFalse(e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.INVALID_TTL,
          () -> "state machine refused " + c + ": " + e);
    }
  }

  private static long truncatedMs(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  // ---------------------------------------------------------------- valid requests

  @Provide
  Arbitrary<Long> time() {
    return Gen.timeMs();
  }

  @Provide
  Arbitrary<String> clientId() {
    return Gen.clientId();
  }

  @Provide
  Arbitrary<String> lockId() {
    return Gen.lockId();
  }

  @Provide
  Arbitrary<String> serviceName() {
    return Gen.text(0, RequestValidator.MAX_SERVICE_NAME_LENGTH);
  }

  @Provide
  Arbitrary<AcquireRequest> validAcquire() {
    return Requests.validAcquire();
  }

  @Provide
  Arbitrary<ReleaseRequest> validRelease() {
    return Requests.validRelease();
  }

  @Provide
  Arbitrary<RenewRequest> validRenew() {
    return Requests.validRenew();
  }

  @Provide
  Arbitrary<EnqueueWaiterRequest> validEnqueue() {
    return Requests.validEnqueue();
  }

  @Provide
  Arbitrary<CancelWaitRequest> validCancel() {
    return Requests.validCancel();
  }

  @Provide
  Arbitrary<GetLocksRequest> validGetLocks() {
    return Requests.validGetLocks();
  }
}
