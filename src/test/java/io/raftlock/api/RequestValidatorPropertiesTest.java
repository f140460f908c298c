package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.raftlock.api.Gen.Invalid;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Ring 3, bad input, at the validator: for every request type, {@value #TRIES} generated requests
 * that each break exactly one rule must be refused with an error naming that field; nothing
 * invalid reaches {@link ApiMapper#toCommand}. (GetStatusRequest has no field that can be
 * invalid.) Valid generated requests are covered by {@link RequestConversionPropertiesTest}.
 *
 * <p>jqwik's automatic edge cases are off: for these wide combined generators they cost more
 * time than all the tries, and the generators already produce the boundaries on purpose
 * (empty, exactly max + 1, just below the minimum duration, the default Duration, ...).
 */
class RequestValidatorPropertiesTest {
  /** Per property and run (random seeds, so runs add up); sized to keep the suite in its budget. */
  static final int TRIES = 5_000;

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void acquire(@ForAll("invalidAcquire") Invalid<AcquireRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toCommand(c.request(), 0));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void release(@ForAll("invalidRelease") Invalid<ReleaseRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toCommand(c.request(), 0));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void renew(@ForAll("invalidRenew") Invalid<RenewRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toCommand(c.request(), 0));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void enqueueWaiter(@ForAll("invalidEnqueue") Invalid<EnqueueWaiterRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toCommand(c.request(), 0));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void cancelWait(@ForAll("invalidCancel") Invalid<CancelWaitRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toCommand(c.request(), 0));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void getLockInfo(@ForAll("invalidLockInfo") Invalid<GetLockInfoRequest> c) {
    assertRefused(c);
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void getLocks(@ForAll("invalidGetLocks") Invalid<GetLocksRequest> c) {
    assertRefused(c);
    assertThrows(IllegalArgumentException.class, () -> ApiMapper.toFilter(c.request()));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void backoffAdvice(@ForAll("invalidBackoff") Invalid<BackoffAdviceRequest> c) {
    assertRefused(c);
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void health(@ForAll("invalidHealth") Invalid<HealthRequest> c) {
    assertRefused(c);
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void watch(@ForAll("invalidWatch") Invalid<WatchRequest> c) {
    assertRefused(c);
  }

  /** The error names the field, has a typed code, and the generic entry point agrees. */
  private static void assertRefused(Invalid<? extends Message> c) {
    Optional<ValidationError> e = RequestValidator.validate(c.request());
    assertTrue(e.isPresent(), () -> "accepted: " + c);
    assertEquals(c.field(), e.get().field(), () -> "wrong field for " + c + ": " + e.get());
    boolean ttlField = c.field().equals("ttl") || c.field().equals("new_ttl");
    assertTrue(e.get().code() == ErrorCode.INVALID_ARGUMENT
        || (ttlField && e.get().code() == ErrorCode.INVALID_TTL), e.get()::toString);
    assertTrue(e.get().message().startsWith(c.field()), e.get()::message);
    assertEquals(c.field(), ApiMapper.error(e.get()).getDetailsOrThrow("field"));
    Statistics.label("field").collect(c.field().replaceAll("\\[.*]$", "[k]"));
  }

  // ---------------------------------------------------------------- generators
  // A valid request and one independent corruption, combined (no flatMap: it makes jqwik's
  // generation and edge-case handling an order of magnitude slower).

  private static <T> Arbitrary<Invalid<T>> corrupt(
      Arbitrary<T> valid, List<Arbitrary<Function<T, Invalid<T>>>> corruptions) {
    return Combinators.combine(valid, Arbitraries.oneOf(corruptions)).as((r, f) -> f.apply(r));
  }

  private static <T, V> Arbitrary<Function<T, Invalid<T>>> bad(
      Arbitrary<V> values, String field, BiFunction<T, V, T> with) {
    return values.map(v -> r -> new Invalid<>(with.apply(r, v), field));
  }

  private static <T> Arbitrary<Function<T, Invalid<T>>> badMetadata(
      String field, BiFunction<T, Map<String, String>, T> with) {
    return Gen.badMetadata(field).map(m -> r -> new Invalid<>(with.apply(r, m.request()), m.field()));
  }

  private static final int ID = LockLimits.MAX_LOCK_ID_LENGTH;
  private static final int RID = LockLimits.MAX_REQUEST_ID_LENGTH;

  @Provide
  Arbitrary<Invalid<AcquireRequest>> invalidAcquire() {
    return corrupt(Requests.validAcquire(2), List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build()),
        bad(Gen.badId(ID), "client_id", (r, v) -> r.toBuilder().setClientId(v).build()),
        bad(Gen.badTtl(), "ttl", (r, v) -> r.toBuilder().setTtl(v).build()),
        bad(Gen.badWaitTimeout(), "wait_timeout",
            (r, v) -> r.toBuilder().setWaitTimeout(v).build()),
        bad(Gen.badPriority(), "priority", (r, v) -> r.toBuilder().setPriority(v).build()),
        badMetadata("metadata",
            (r, m) -> r.toBuilder().clearMetadata().putAllMetadata(m).build()),
        bad(Gen.badText(RID), "request_id", (r, v) -> r.toBuilder().setRequestId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<ReleaseRequest>> invalidRelease() {
    return corrupt(Requests.validRelease(), List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build()),
        bad(Gen.badId(ID), "client_id", (r, v) -> r.toBuilder().setClientId(v).build()),
        bad(Gen.badToken(), "version", (r, v) -> r.toBuilder().setVersion(v).build()),
        bad(Gen.badText(RID), "request_id", (r, v) -> r.toBuilder().setRequestId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<RenewRequest>> invalidRenew() {
    return corrupt(Requests.validRenew(), List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build()),
        bad(Gen.badId(ID), "client_id", (r, v) -> r.toBuilder().setClientId(v).build()),
        bad(Gen.badToken(), "version", (r, v) -> r.toBuilder().setVersion(v).build()),
        bad(Gen.badTtl(), "new_ttl", (r, v) -> r.toBuilder().setNewTtl(v).build()),
        bad(Arbitraries.just(0), "new_ttl", (r, v) -> r.toBuilder().clearNewTtl().build()),
        bad(Gen.badText(RID), "request_id", (r, v) -> r.toBuilder().setRequestId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<EnqueueWaiterRequest>> invalidEnqueue() {
    return corrupt(Requests.validEnqueue(), List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build()),
        bad(Gen.badId(ID), "client_id", (r, v) -> r.toBuilder().setClientId(v).build()),
        bad(Gen.badWaitTimeout(), "timeout", (r, v) -> r.toBuilder().setTimeout(v).build()),
        bad(Arbitraries.just(0), "timeout", (r, v) -> r.toBuilder().clearTimeout().build()),
        bad(Gen.badPriority(), "priority", (r, v) -> r.toBuilder().setPriority(v).build()),
        bad(Gen.negative(), "version", (r, v) -> r.toBuilder().setVersion(v).build()),
        bad(Gen.badText(RID), "request_id", (r, v) -> r.toBuilder().setRequestId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<CancelWaitRequest>> invalidCancel() {
    return corrupt(Requests.validCancel(), List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build()),
        bad(Gen.badId(ID), "client_id", (r, v) -> r.toBuilder().setClientId(v).build()),
        bad(Gen.negative(), "version", (r, v) -> r.toBuilder().setVersion(v).build()),
        bad(Gen.badText(RID), "request_id", (r, v) -> r.toBuilder().setRequestId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<GetLockInfoRequest>> invalidLockInfo() {
    Arbitrary<GetLockInfoRequest> valid = Arbitraries.of(true, false).map(stale ->
        GetLockInfoRequest.newBuilder().setStaleRead(stale).setIncludeWaiters(!stale).build());
    return corrupt(valid, List.of(
        bad(Gen.badId(ID), "lock_id", (r, v) -> r.toBuilder().setLockId(v).build())));
  }

  @Provide
  Arbitrary<Invalid<GetLocksRequest>> invalidGetLocks() {
    return corrupt(Requests.validGetLocks(2), List.of(
        bad(Gen.badText(256), "filter.lock_id_pattern", (r, v) -> withFilter(r, f -> f.setLockIdPattern(v))),
        bad(Gen.badText(256), "filter.owner_id_pattern", (r, v) -> withFilter(r, f -> f.setOwnerIdPattern(v))),
        bad(Gen.badTimestamp(), "filter.expires_before", (r, v) -> withFilter(r, f -> f.setExpiresBefore(v))),
        bad(Gen.badTimestamp(), "filter.expires_after", (r, v) -> withFilter(r, f -> f.setExpiresAfter(v))),
        badMetadata("filter.metadata_filter", (r, m) ->
            withFilter(r, f -> f.clearMetadataFilter().putAllMetadataFilter(m))),
        bad(Arbitraries.oneOf(Arbitraries.integers().between(Integer.MIN_VALUE, -1),
                Arbitraries.integers().between(LockLimits.MAX_PAGE_LIMIT + 1, Integer.MAX_VALUE)),
            "limit", (r, v) -> r.toBuilder().setLimit(v).build()),
        bad(Arbitraries.integers().between(Integer.MIN_VALUE, -1), "offset",
            (r, v) -> r.toBuilder().setOffset(v).build())));
  }

  private static GetLocksRequest withFilter(
      GetLocksRequest r, java.util.function.Consumer<LockFilter.Builder> change) {
    LockFilter.Builder f = r.getFilter().toBuilder();
    change.accept(f);
    return r.toBuilder().setFilter(f).build();
  }

  @Provide
  Arbitrary<Invalid<BackoffAdviceRequest>> invalidBackoff() {
    return Gen.badId(ID).map(v ->
        new Invalid<>(BackoffAdviceRequest.newBuilder().setLockId(v).build(), "lock_id"));
  }

  @Provide
  Arbitrary<Invalid<HealthRequest>> invalidHealth() {
    return Gen.badText(RequestValidator.MAX_SERVICE_NAME_LENGTH).map(v ->
        new Invalid<>(HealthRequest.newBuilder().setServiceName(v).build(), "service_name"));
  }

  @Provide
  Arbitrary<Invalid<WatchRequest>> invalidWatch() {
    return Gen.badId(ID).map(v ->
        new Invalid<>(WatchRequest.newBuilder().setClientId(v).build(), "client_id"));
  }
}
