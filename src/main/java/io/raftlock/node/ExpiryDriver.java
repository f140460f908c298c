package io.raftlock.node;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Turns the leader's clock into committed expiry (ARCHITECTURE.md: expiry is a log entry, never a
 * local decision). Every {@code checkMs} the leader reads the state machine's next deadline and,
 * once its wall clock has passed it, proposes {@code Expire(now)}; every replica then expires the
 * same leases and wait timeouts at the same index, and pushes the same events.
 *
 * <p><b>Grace after a leader change.</b> When this node becomes leader it first proposes
 * {@code Promote(now)}: every held lease is extended to at least now + its TTL, so a lock is never
 * expired earlier than its TTL measured from when this leader took over, whatever the skew between
 * the old leader's clock and this one. No Expire is proposed before that Promote has applied.
 *
 * <p>One proposal at a time: the next check after an Expire fails or applies proposes again if
 * something is still due, so a slow commit never queues a pile of Expire entries.
 */
public final class ExpiryDriver {
  private static final Logger LOG = Logger.getLogger(ExpiryDriver.class.getName());

  private final Vertx vertx;
  private final RaftVerticle raft;
  private final LongSupplier wallClockMs;
  private final long checkMs;
  private Context context;
  private long timer = -1;
  private boolean inFlight;
  /** Term in which this node's Promote applied; expiry waits for it in every new term. */
  private long promotedTerm = -1;
  private long proposedExpires;
  private long proposedPromotes;

  public ExpiryDriver(Vertx vertx, RaftVerticle raft, LongSupplier wallClockMs, long checkMs) {
    this.vertx = vertx;
    this.raft = raft;
    this.wallClockMs = wallClockMs;
    this.checkMs = checkMs;
  }

  /** Starts the periodic check on the caller's context. */
  public void start() {
    context = vertx.getOrCreateContext();
    timer = vertx.setPeriodic(checkMs, id -> check());
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  public long proposedExpires() {
    return proposedExpires;
  }

  public long proposedPromotes() {
    return proposedPromotes;
  }

  private void check() {
    RaftStatus s = raft.status();
    if (inFlight || s == null || s.role() != Role.LEADER || !s.leaderReady()) {
      return;
    }
    long term = s.term();
    if (promotedTerm != term) {
      inFlight = true;
      proposedPromotes++;
      raft.propose(LockCommandCodec.encode(new LockCommand.Promote(wallClockMs.getAsLong())))
          .onComplete(ar -> context.runOnContext(v -> {
            inFlight = false;
            if (ar.succeeded() && ar.result().term() == term) {
              promotedTerm = term;
            } else if (ar.failed()) {
              LOG.fine(() -> "promote in term " + term + " failed: " + ar.cause());
            }
          }));
      return;
    }
    inFlight = true;
    raft.query(sm -> ((LockReplica) sm).stateMachine().nextDeadlineMs())
        .compose(deadline -> {
          long now = wallClockMs.getAsLong();
          if (now < deadline) {
            return Future.succeededFuture();
          }
          proposedExpires++;
          return raft.propose(LockCommandCodec.encode(new LockCommand.Expire(now)));
        })
        .onComplete(ar -> context.runOnContext(v -> {
          inFlight = false;
          if (ar.failed()) {
            LOG.fine(() -> "expire failed: " + ar.cause());
          }
        }));
  }
}
