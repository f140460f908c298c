package io.raftlock.api;

import io.raftlock.lock.Permission;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CancelWaitResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * The client API as one caller may use it: the fast permission check ({@link ApiAuth}) in front
 * of the node's {@link LockService}, and the caller's key id on every entry it proposes, so that
 * the state machine checks again at apply. Made per request (gRPC) or per connection
 * (WebSocket), from the {@code Authorization} value the transport received.
 *
 * <p>What each method needs once auth is on: writes {@code lock} on the lock id (the holder's
 * principal is checked at apply: another principal's holding needs {@code release-any}); lock
 * info and backoff advice {@code read} on the lock id; listings {@code read} on the literal
 * prefix of the lock-id pattern (everything before its first wildcard); status and watches a
 * valid key; health nothing.
 */
public final class AuthorizedLockApi implements LockApi {
  private final LockService service;
  private final ApiAuth auth;
  private final String authorization;

  public AuthorizedLockApi(LockService service, ApiAuth auth, String authorization) {
    this.service = service;
    this.auth = auth;
    this.authorization = authorization;
  }

  /** The node's service behind the checks (for the session stream, which is checked at apply). */
  LockService service() {
    return service;
  }

  ApiObserver observer() {
    return service.observer();
  }

  /** The fast check of a session stream's lock operations, with the key as it is at each one. */
  SessionStream.Access sessionAccess() {
    return (permission, lockId) -> auth.require(authorization, permission, lockId);
  }

  /** The caller, or the refusal of its key. */
  ApiAuth.Caller caller() {
    return auth.authenticate(authorization);
  }

  private <T> Future<T> checked(Permission permission, String name,
      java.util.function.Function<ApiAuth.Caller, Future<T>> call) {
    ApiAuth.Caller caller;
    try {
      caller = caller();
      if (permission != null) {
        auth.require(caller, permission, name);
      }
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return call.apply(caller);
  }

  private <T> Future<T> authenticated(Supplier<Future<T>> call) {
    return checked(null, "", c -> call.get());
  }

  @Override
  public Future<AcquireResponse> acquire(AcquireRequest r) {
    return checked(Permission.LOCK, r.getLockId(), c -> service.acquire(r, c.keyId()));
  }

  @Override
  public Future<ReleaseResponse> release(ReleaseRequest r) {
    return checked(Permission.LOCK, r.getLockId(), c -> service.release(r, c.keyId()));
  }

  @Override
  public Future<RenewResponse> renew(RenewRequest r) {
    return checked(Permission.LOCK, r.getLockId(), c -> service.renew(r, c.keyId()));
  }

  @Override
  public Future<EnqueueWaiterResponse> enqueueWaiter(EnqueueWaiterRequest r) {
    return checked(Permission.LOCK, r.getLockId(), c -> service.enqueueWaiter(r, c.keyId()));
  }

  @Override
  public Future<CancelWaitResponse> cancelWait(CancelWaitRequest r) {
    return checked(Permission.LOCK, r.getLockId(), c -> service.cancelWait(r, c.keyId()));
  }

  @Override
  public Future<GetLockInfoResponse> getLockInfo(GetLockInfoRequest r) {
    return checked(Permission.READ, r.getLockId(), c -> service.getLockInfo(r));
  }

  @Override
  public Future<GetLocksResponse> getLocks(GetLocksRequest r) {
    return checked(Permission.READ, literalPrefix(r.getFilter().getLockIdPattern()), c -> service.getLocks(r));
  }

  @Override
  public Future<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest r) {
    return checked(Permission.READ, r.getLockId(), c -> service.getBackoffAdvice(r));
  }

  @Override
  public Future<GetStatusResponse> getStatus(GetStatusRequest r) {
    return authenticated(() -> service.getStatus(r));
  }

  @Override
  public Future<HealthResponse> health(HealthRequest r) {
    return service.health(r);
  }

  @Override
  public Future<Watch> watch(WatchRequest r, WatchSink sink) {
    return checked(null, "", c -> service.watch(r, sink, c.principal()));
  }

  /** The part of a glob before its first wildcard: every name it matches starts with it. */
  static String literalPrefix(String glob) {
    int end = glob.length();
    for (int i = 0; i < glob.length(); i++) {
      char ch = glob.charAt(i);
      if (ch == '*' || ch == '?') {
        end = i;
        break;
      }
    }
    return glob.substring(0, end);
  }
}
