package io.raftlock.api;

import io.raftlock.lock.LockCommandCodec;
import io.raftlock.node.LockReplica;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.LongSupplier;

/**
 * Proposes CancelClientWaits for a client whose last watch on this node closed, retrying
 * retryable failures (an election) for up to {@link #ATTEMPTS} × {@code retryAfterMs}: a waiter
 * that can no longer be told about its grant must not be granted. API context.
 */
final class ClientWaitCancels {
  private static final int ATTEMPTS = 50;

  private final Vertx vertx;
  private final RaftVerticle<LockReplica> raft;
  private final LongSupplier wallClockMs;
  private final LongSupplier nanoTime;
  private final long retryAfterMs;
  private final ContextMailbox toApi;
  private final RequestReports reports;

  ClientWaitCancels(Vertx vertx, RaftVerticle<LockReplica> raft, LongSupplier wallClockMs, LongSupplier nanoTime,
      long retryAfterMs, ContextMailbox toApi, RequestReports reports) {
    this.vertx = vertx;
    this.raft = raft;
    this.wallClockMs = wallClockMs;
    this.nanoTime = nanoTime;
    this.retryAfterMs = retryAfterMs;
    this.toApi = toApi;
    this.reports = reports;
  }

  Future<Object> cancelWaitsOf(String clientId, String principal) {
    Promise<Object> done = Promise.promise();
    attempt(clientId, principal, 1, done);
    return done.future();
  }

  private void attempt(String clientId, String principal, int attempt, Promise<Object> done) {
    byte[] cmd = LockCommandCodec.encode(ApiMapper.cancelClientWaits(clientId, principal, wallClockMs.getAsLong()));
    long proposedAt = nanoTime.getAsLong();
    toApi.deliver(raft.submit(cmd)).onComplete(ar -> {
      reports.observer().proposed("CancelClientWaits", RequestReports.proposalOutcome(ar.cause()),
          nanoTime.getAsLong() - proposedAt);
      if (ar.succeeded()) {
        done.complete(ar.result());
      } else if (attempt < ATTEMPTS && ar.cause() instanceof ProposalException p && p.retryable()
          && p.reason() != ProposalException.Reason.STOPPED) {
        reports.observer().retried("CancelClientWaits");
        vertx.setTimer(retryAfterMs, id -> attempt(clientId, principal, attempt + 1, done));
      } else {
        done.fail(ar.cause());
      }
    });
  }
}
