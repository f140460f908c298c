package io.raftlock.client;

import io.raftlock.proto.api.LockEventMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The client's locks on its session, wired together: the session channel ({@link SessionChannel}),
 * the acquisitions under way ({@link Acquisitions}) and the locks held ({@link Holdings}). Runs on
 * the client's context.
 *
 * <p><b>Order of news.</b> An event pushed on the session goes to the held locks first, then to
 * the acquisitions; so does the loss of the session.
 *
 * <p><b>One per name.</b> The client holds or acquires a given lock once at a time; a second
 * acquisition of the same name is refused before anything is sent.
 *
 * <p><b>Ending.</b> {@link #end} fails the acquisitions under way, then closes the session (or,
 * when some handle was detached, releases the other locks one by one: {@link Holdings#endSession}).
 */
final class SessionLocks implements SessionChannel.Listener {
  private final SessionChannel channel;
  private final Holdings holdings;
  private final Acquisitions acquisitions;

  SessionLocks(RaftLockClient client, Vertx vertx, GrpcClient grpc, Endpoints endpoints, ClientSettings settings,
      CallHeaders headers, String clientId, Random random, Supplier<String> requestIds) {
    this.channel = new SessionChannel(vertx, grpc, endpoints, settings.retryPolicy, random, clientId,
        settings.sessionTtl, headers, settings.spreadEndpoints, this);
    this.holdings = new Holdings(client, vertx, channel, requestIds, settings.lostListener);
    this.acquisitions = new Acquisitions(vertx, channel, holdings, requestIds, clientId, random,
        settings.operationTimeout.toNanos());
  }

  /** Starts acquiring {@code name}; refused when this client already holds or acquires it. */
  Future<Optional<LockHandle>> acquire(String name, Duration ttl, Duration waitTimeout,
      RaftLockClient.LockOptions options) {
    if (holdings.has(name) || acquisitions.isAcquiring(name)) {
      return Future.failedFuture(new IllegalStateException("this client already holds or is acquiring " + name));
    }
    return acquisitions.start(name, ttl, waitTimeout, options);
  }

  Future<Boolean> release(LockHandle handle) {
    return holdings.release(handle);
  }

  void detach(LockHandle handle) {
    holdings.detach(handle);
  }

  /** Fails the acquisitions with {@code failure}, then ends the session by {@code deadlineNanos}. */
  Future<Void> end(RaftLockException failure, long deadlineNanos) {
    acquisitions.failAll(failure);
    return holdings.endSession(deadlineNanos);
  }

  @Override
  public void onEvent(LockEventMessage event) {
    holdings.onEvent(event);
    acquisitions.onEvent(event);
  }

  @Override
  public void onResumed() {
    acquisitions.onResumed();
  }

  @Override
  public void onLost(LostReason reason) {
    holdings.onSessionLost(reason);
    acquisitions.onSessionLost();
  }

  long sessionId() {
    return channel.sessionId();
  }

  void suspendKeepAlives(boolean suspended) {
    channel.suspendKeepAlives(suspended);
  }

  int sessionsOpened() {
    return channel.sessionsOpened;
  }

  int resumes() {
    return channel.resumes;
  }

  long keepAlivesSent() {
    return channel.keepAlivesSent();
  }
}
