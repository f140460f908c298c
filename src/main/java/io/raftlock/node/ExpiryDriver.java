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
 * Turns the leader's lease time into committed expiry (ARCHITECTURE.md: expiry is a log entry,
 * never a local decision). Every {@code checkMs} the leader asks {@link LockReplica#leaderCommand}
 * (the pure {@link io.raftlock.lock.LeaseClock} rule, on the Raft context, with the core's current
 * term) and proposes what it answers: once lease time has passed the state machine's next
 * deadline, {@code Expire}; every replica then expires the same leases and wait timeouts at the
 * same index, and pushes the same events. Lease time runs on the monotonic clock from an anchor
 * taken once per term, so a step of the wall clock neither expires a lease early nor keeps it late.
 *
 * <p><b>Grace after a leader change.</b> In every new term the rule first answers
 * {@code Promote(now)}: every held lease is extended to at least now + its TTL, so a lock is never
 * expired earlier than its TTL measured from when this leader took over, whatever the difference
 * between the old leader's lease time and this one. No Expire is proposed before that Promote has
 * applied.
 *
 * <p><b>Settings.</b> After the Promote, while the committed lock limits differ from this node's
 * configured ones, the rule answers {@code Configure}: a new leader puts its limits in force at
 * one index on every replica, before its first Expire (logged, since with nodes configured
 * differently each new leader changes them).
 *
 * <p>One proposal at a time: the next check after an Expire fails or applies proposes again if
 * something is still due, so a slow commit never queues a pile of Expire entries.
 */
public final class ExpiryDriver {
  private static final Logger LOG = Logger.getLogger(ExpiryDriver.class.getName());

  private final Vertx vertx;
  private final RaftVerticle<LockReplica> raft;
  private final LongSupplier wallClockMs;
  private final LongSupplier monotonicNanos;
  private final long checkMs;
  private Context context;
  private long timer = -1;
  private boolean inFlight;
  /** Term in which this node's Promote applied; expiry waits for it in every new term. */
  private volatile long promotedTerm = -1;
  // Written on the driver's context, read by tests and metrics on other threads.
  private volatile long proposedExpires;
  private volatile long proposedPromotes;
  private volatile long proposedConfigures;
  /** The limits last logged as proposed (context). */
  private io.raftlock.lock.LockStateMachine.Config loggedConfig;

  /**
   * @param wallClockMs read only when a term's first reading anchors lease time
   * @param monotonicNanos advances lease time ({@code System::nanoTime})
   */
  public ExpiryDriver(Vertx vertx, RaftVerticle<LockReplica> raft, LongSupplier wallClockMs,
      LongSupplier monotonicNanos, long checkMs) {
    this.vertx = vertx;
    this.raft = raft;
    this.wallClockMs = wallClockMs;
    this.monotonicNanos = monotonicNanos;
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

  public long proposedConfigures() {
    return proposedConfigures;
  }

  private void check() {
    RaftStatus s = raft.status();
    if (inFlight || s == null || s.role() != Role.LEADER || !s.leaderReady()) {
      return;
    }
    inFlight = true;
    long promoted = promotedTerm;
    raft.queryInTerm((sm, term) -> sm.leaderCommand(
            term, promoted == term, wallClockMs.getAsLong(), monotonicNanos.getAsLong()))
        .compose(cmd -> cmd == null ? Future.succeededFuture() : propose(cmd))
        .onComplete(ar -> context.runOnContext(v -> {
          inFlight = false;
          if (ar.failed()) {
            LOG.fine(() -> "expiry proposal failed: " + ar.cause());
          }
        }));
  }

  private Future<Void> propose(LockCommand cmd) {
    boolean promote = cmd instanceof LockCommand.Promote;
    if (promote) {
      proposedPromotes++;
    } else if (cmd instanceof LockCommand.Configure c) {
      proposedConfigures++;
      if (!c.config().equals(loggedConfig)) { // once per value, not on every retry of a refused proposal
        loggedConfig = c.config();
        LOG.info(() -> "proposing this node's lock limits " + c.config());
      }
    } else {
      proposedExpires++;
    }
    return raft.propose(LockCommandCodec.encode(cmd)).map(applied -> {
      if (promote) {
        promotedTerm = applied.term(); // the term the Promote entry was appended in
      }
      return null;
    });
  }
}
