package io.raftlock.api;

import io.raftlock.node.LockReplica;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Future;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What this node says about itself: the status (Raft state, lock statistics, health) and the
 * health check load balancers and orchestrators poll. SERVING means a leader is known, the log is
 * intact, the disk is above its storage reserve and the node is not draining. API context.
 */
final class NodeHealth {
  private final RaftVerticle<LockReplica> raft;
  private final Map<String, String> clientAddresses;
  private final LongSupplier wallClockMs;
  private final long startedAtMs;
  private final BooleanSupplier draining;
  private final ApiRefusals refusals;
  private final ContextMailbox toApi;
  private final RequestReports reports;

  NodeHealth(RaftVerticle<LockReplica> raft, Map<String, String> clientAddresses, LongSupplier wallClockMs,
      BooleanSupplier draining, ApiRefusals refusals, ContextMailbox toApi, RequestReports reports) {
    this.raft = raft;
    this.clientAddresses = clientAddresses;
    this.wallClockMs = wallClockMs;
    this.startedAtMs = wallClockMs.getAsLong();
    this.draining = draining;
    this.refusals = refusals;
    this.toApi = toApi;
    this.reports = reports;
  }

  Future<GetStatusResponse> status(GetStatusRequest r) {
    Future<RaftStatus> checked = validThenStatus(RequestValidator.validate(r));
    if (checked.failed()) {
      return Future.failedFuture(checked.cause());
    }
    RaftStatus s = checked.result();
    if (s == null) {
      return Future.failedFuture(refusals.unavailable("node is starting"));
    }
    return toApi.deliver(raft.query(sm -> sm.stateMachine().stats()))
        .map(stats -> GetStatusResponse.newBuilder()
            .setRaftStatus(ResponseMapper.raftStatus(s, r.getIncludeReplicationDetails()))
            .setLockStats(ResponseMapper.stats(stats))
            .setHealth(health(s, stats.activeLocks(), stats.waiters()))
            .build());
  }

  Future<HealthResponse> health(HealthRequest r) {
    Future<RaftStatus> checked = validThenStatus(RequestValidator.validate(r));
    if (checked.failed()) {
      return Future.failedFuture(checked.cause());
    }
    RaftStatus s = checked.result();
    if (s == null) {
      return Future.succeededFuture(HealthResponse.newBuilder()
          .setStatus(HealthStatus.ServingStatus.NOT_SERVING).setMessage("starting").build());
    }
    HealthStatus h = health(s, -1, -1);
    reports.observer().healthChecked(h.getStatus() == HealthStatus.ServingStatus.SERVING);
    return Future.succeededFuture(HealthResponse.newBuilder()
        .setStatus(h.getStatus()).setMessage(h.getMessage()).setHealthInfo(h).build());
  }

  /** The request's refusal, or the status published at the last tick (null while starting). */
  private Future<RaftStatus> validThenStatus(java.util.Optional<ValidationError> invalid) {
    try {
      refusals.refuseIfInvalid(invalid);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return Future.succeededFuture(raft.status());
  }

  boolean serving() {
    RaftStatus s = raft.status();
    return !draining.getAsBoolean() && s != null && s.leaderId() != null && !s.needsRepair()
        && !raft.belowStorageReserve();
  }

  private HealthStatus health(RaftStatus s, int activeLocks, int waiters) {
    boolean serving = serving();
    String message = draining.getAsBoolean() ? "shutting down"
        : s.needsRepair() ? "log needs repair from the leader"
        : raft.belowStorageReserve() ? "disk below the storage reserve"
        : s.leaderId() == null ? "no leader known" : "serving";
    HealthStatus.Builder b = HealthStatus.newBuilder()
        .setStatus(serving ? HealthStatus.ServingStatus.SERVING : HealthStatus.ServingStatus.NOT_SERVING)
        .setMessage(message)
        .setIsRaftLeader(s.role() == Role.LEADER)
        .setRaftLeaderAddress(s.leaderId() == null ? "" : clientAddresses.getOrDefault(s.leaderId(), ""))
        .setRaftTerm(s.term())
        .setRaftLastApplied(s.appliedIndex())
        .setUptime(ApiMapper.durationOfMillis(Math.max(0, wallClockMs.getAsLong() - startedAtMs)))
        .setLastHealthCheckAt(ApiMapper.timestampOfMillis(wallClockMs.getAsLong()));
    if (activeLocks >= 0) {
      b.setCurrentActiveLocks(activeLocks).setCurrentTotalWaiters(waiters);
    }
    return b.build();
  }
}
