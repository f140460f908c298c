package io.raftlock.api;

import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;

/** Generators of valid requests, each field within the seed limits (some at the limits). */
final class Requests {
  private Requests() {}

  static Arbitrary<AcquireRequest> validAcquire() {
    return validAcquire(LockLimits.MAX_METADATA_ENTRIES);
  }

  /**
   * Valid acquires with at most {@code maxMetadata} metadata entries: the bad-input properties
   * use a small number, since they corrupt one field and a full map only costs generation time.
   */
  static Arbitrary<AcquireRequest> validAcquire(int maxMetadata) {
    return Builders.withBuilder(AcquireRequest::newBuilder)
        .use(Gen.lockId()).in(AcquireRequest.Builder::setLockId)
        .use(Gen.clientId()).in(AcquireRequest.Builder::setClientId)
        .use(Gen.ttl()).withProbability(0.9).in(AcquireRequest.Builder::setTtl)
        .use(Arbitraries.of(true, false)).in(AcquireRequest.Builder::setWait)
        .use(Gen.waitTimeout()).withProbability(0.7).in(AcquireRequest.Builder::setWaitTimeout)
        .use(Gen.priority()).in(AcquireRequest.Builder::setPriority)
        .use(Gen.metadata(maxMetadata)).in(AcquireRequest.Builder::putAllMetadata)
        .use(Gen.requestId()).in(AcquireRequest.Builder::setRequestId)
        .build(AcquireRequest.Builder::build);
  }

  static Arbitrary<ReleaseRequest> validRelease() {
    return Builders.withBuilder(ReleaseRequest::newBuilder)
        .use(Gen.lockId()).in(ReleaseRequest.Builder::setLockId)
        .use(Gen.clientId()).in(ReleaseRequest.Builder::setClientId)
        .use(Gen.token()).in(ReleaseRequest.Builder::setVersion)
        .use(Gen.requestId()).in(ReleaseRequest.Builder::setRequestId)
        .build(ReleaseRequest.Builder::build);
  }

  static Arbitrary<RenewRequest> validRenew() {
    return Builders.withBuilder(RenewRequest::newBuilder)
        .use(Gen.lockId()).in(RenewRequest.Builder::setLockId)
        .use(Gen.clientId()).in(RenewRequest.Builder::setClientId)
        .use(Gen.token()).in(RenewRequest.Builder::setVersion)
        .use(Gen.ttl()).in(RenewRequest.Builder::setNewTtl)
        .use(Gen.requestId()).in(RenewRequest.Builder::setRequestId)
        .build(RenewRequest.Builder::build);
  }

  static Arbitrary<EnqueueWaiterRequest> validEnqueue() {
    return Builders.withBuilder(EnqueueWaiterRequest::newBuilder)
        .use(Gen.lockId()).in(EnqueueWaiterRequest.Builder::setLockId)
        .use(Gen.clientId()).in(EnqueueWaiterRequest.Builder::setClientId)
        .use(Gen.waitTimeout()).in(EnqueueWaiterRequest.Builder::setTimeout)
        .use(Gen.priority()).in(EnqueueWaiterRequest.Builder::setPriority)
        .use(Arbitraries.longs().between(0, Long.MAX_VALUE))
        .in(EnqueueWaiterRequest.Builder::setVersion)
        .use(Gen.requestId()).in(EnqueueWaiterRequest.Builder::setRequestId)
        .build(EnqueueWaiterRequest.Builder::build);
  }

  static Arbitrary<CancelWaitRequest> validCancel() {
    return Builders.withBuilder(CancelWaitRequest::newBuilder)
        .use(Gen.lockId()).in(CancelWaitRequest.Builder::setLockId)
        .use(Gen.clientId()).in(CancelWaitRequest.Builder::setClientId)
        .use(Arbitraries.longs().between(0, Long.MAX_VALUE))
        .in(CancelWaitRequest.Builder::setVersion)
        .use(Gen.requestId()).in(CancelWaitRequest.Builder::setRequestId)
        .build(CancelWaitRequest.Builder::build);
  }

  static Arbitrary<GetLocksRequest> validGetLocks() {
    return validGetLocks(LockLimits.MAX_METADATA_ENTRIES);
  }

  static Arbitrary<GetLocksRequest> validGetLocks(int maxMetadata) {
    Arbitrary<io.raftlock.proto.api.LockFilter> filters =
        Builders.withBuilder(io.raftlock.proto.api.LockFilter::newBuilder)
            .use(Gen.text(0, 256)).in(io.raftlock.proto.api.LockFilter.Builder::setLockIdPattern)
            .use(Gen.text(0, 256)).in(io.raftlock.proto.api.LockFilter.Builder::setOwnerIdPattern)
            .use(Arbitraries.of(true, false))
            .in(io.raftlock.proto.api.LockFilter.Builder::setOnlyContested)
            .use(Gen.timestamp()).withProbability(0.3)
            .in(io.raftlock.proto.api.LockFilter.Builder::setExpiresBefore)
            .use(Gen.timestamp()).withProbability(0.3)
            .in(io.raftlock.proto.api.LockFilter.Builder::setExpiresAfter)
            .use(Gen.metadata(maxMetadata))
            .in(io.raftlock.proto.api.LockFilter.Builder::putAllMetadataFilter)
            .build(io.raftlock.proto.api.LockFilter.Builder::build);
    return Builders.withBuilder(GetLocksRequest::newBuilder)
        .use(filters).in(GetLocksRequest.Builder::setFilter)
        .use(Arbitraries.integers().between(0, LockLimits.MAX_PAGE_LIMIT))
        .in(GetLocksRequest.Builder::setLimit)
        .use(Arbitraries.integers().between(0, Integer.MAX_VALUE))
        .in(GetLocksRequest.Builder::setOffset)
        .use(Arbitraries.of(true, false)).in(GetLocksRequest.Builder::setStaleRead)
        .build(GetLocksRequest.Builder::build);
  }
}
