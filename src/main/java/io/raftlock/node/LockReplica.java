package io.raftlock.node;

import io.raftlock.lock.AclState;
import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LeaseClock;
import io.raftlock.lock.LockCodecException;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockReplyCodec;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.lock.LockStats;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The lock state machine as Raft's replicated state machine. Each apply returns the
 * {@link ApplyResult} (the proposer's reply) and publishes its events to the listener, on every
 * node, so whichever node holds a waiter's connection can push its grant.
 *
 * <p>A forwarded command's result crosses as its {@link io.raftlock.lock.LockReply} alone
 * ({@link LockReplyCodec}) and is decoded back to an {@code ApplyResult} with <em>no events</em>:
 * the forwarding node published those events itself when it applied the same entry, and callers
 * see one result type whether their command was proposed here or forwarded.
 *
 * <p>Settings: the state machine starts from {@link LockStateMachine.Config#GENESIS} and follows
 * the committed {@code Configure} entries; this node's configured limits ({@link #desiredConfig})
 * reach it only through a Configure this node proposes as leader. When nodes are configured
 * differently the settings of the latest leader to propose are in force, and a node that applies
 * settings other than its own logs a warning.
 *
 * <p>Owned by the Raft verticle's event loop.
 */
public final class LockReplica implements ReplicatedStateMachine {
  private static final Logger LOG = Logger.getLogger(LockReplica.class.getName());

  private LockStateMachine sm = initialState();
  /** The settings this node proposes when it leads (its configuration file's limits). */
  private final LockStateMachine.Config desiredConfig;
  /** The last committed settings warned about, so that each difference is logged once. */
  private LockStateMachine.Config warnedConfig;
  /** This node's lease time when it leads; not replicated, not in snapshots. */
  private final LeaseClock leaseClock = new LeaseClock();
  private final Consumer<LockEvent> events;
  /** Index of the last entry applied here (0 after a restore until the next apply). */
  private long appliedIndex;
  /** The latest statistics published by {@link #publishStats}: written on the Raft context, read anywhere. */
  private volatile LockStats publishedStats;
  /**
   * The ACL state as of the last apply, for the API's fast check on other threads. It is an
   * immutable value, so publishing the reference publishes the state; a revoked key is refused
   * here from the apply of its revocation on.
   */
  private volatile AclState publishedAcl = AclState.EMPTY;

  /** A replica that proposes the code's recommended settings when it leads. */
  public LockReplica(Consumer<LockEvent> events) {
    this(events, LockStateMachine.Config.RECOMMENDED);
  }

  public LockReplica(Consumer<LockEvent> events, LockStateMachine.Config desiredConfig) {
    this.events = events;
    this.desiredConfig = desiredConfig;
  }

  @Override
  public Object apply(long index, byte[] command) {
    appliedIndex = index;
    ApplyResult r = sm.apply(index, command);
    if (sm.acl() != publishedAcl) {
      publishedAcl = sm.acl();
    }
    r.events().forEach(events);
    if (r.reply() instanceof LockReply.Configured) {
      warnIfNotOwn(index);
    }
    return r;
  }

  private void warnIfNotOwn(long index) {
    LockStateMachine.Config committed = sm.config();
    if (committed.equals(desiredConfig) || committed.equals(warnedConfig)) {
      return;
    }
    warnedConfig = committed;
    LOG.warning(() -> "lock limits committed at index " + index + " (" + committed
        + ") differ from this node's configured limits (" + desiredConfig + "): the leader's are in"
        + " force; give every node the same \"limits\" (this node proposes its own if it leads)");
  }

  @Override
  public byte[] encodeResult(Object result) {
    return LockReplyCodec.encode(((ApplyResult) result).reply());
  }

  @Override
  public Object decodeResult(byte[] encoded) {
    return new ApplyResult(LockReplyCodec.decode(encoded), List.of());
  }

  @Override
  public byte[] stampOnLeader(byte[] command, long term, long wallMs, long monoNanos) {
    try {
      LockCommand decoded = LockCommandCodec.decode(command);
      return LockCommandCodec.encode(decoded.withTimeMs(leaseClock.nowMs(term, sm.smTimeMs(), wallMs, monoNanos)));
    } catch (LockCodecException e) {
      return command; // undecodable: the state machine answers INTERNAL_ERROR at apply
    }
  }

  @Override
  public byte[] snapshot() {
    return sm.snapshot();
  }

  @Override
  public boolean replaysSnapshots() {
    return true;
  }

  /** A separate lock state machine: no events, no lease clock, nothing shared with this one. */
  @Override
  public Replica replica(byte[] base) {
    LockStateMachine copy = base == null ? initialState() : LockStateMachine.restore(base);
    return new Replica() {
      @Override
      public void apply(long index, byte[] command) {
        copy.apply(index, command);
      }

      @Override
      public byte[] snapshot() {
        return copy.snapshot();
      }
    };
  }

  @Override
  public void restore(byte[] snapshot) {
    sm = LockStateMachine.restore(snapshot);
    publishedAcl = sm.acl();
  }

  @Override
  public void restore(byte[] snapshot, long index) {
    restore(snapshot);
    appliedIndex = index;
  }

  /** The state before the first entry: one definition for the live replica and the replay. */
  private static LockStateMachine initialState() {
    return new LockStateMachine();
  }

  /** The index of the last entry applied (Raft context). */
  public long appliedIndex() {
    return appliedIndex;
  }

  /**
   * Takes the state machine's statistics and publishes them for readers on other threads
   * (metrics). Raft context only. Costs one pass over the held locks and one over the sessions,
   * so the driver calls it at a bounded rate, not per apply.
   */
  public void publishStats() {
    publishedStats = sm.stats();
  }

  /** The committed ACL state as of the last apply or restore. Any thread. */
  public AclState publishedAcl() {
    return publishedAcl;
  }

  /** The statistics last published; null before the first {@link #publishStats}. Any thread. */
  public LockStats publishedStats() {
    return publishedStats;
  }

  /**
   * What the leader proposes on its own now (Raft context; {@link LeaseClock#leaderCommand}):
   * {@code Promote} until this term's Promote has applied, then {@code Configure} while the
   * committed settings differ from this node's, then {@code Expire} once lease time reaches the
   * next deadline, else null. Uses the same {@link LeaseClock} as the stamps, so the decision and
   * the entry agree on the time.
   */
  public LockCommand leaderCommand(long term, boolean promotedInTerm, long wallMs, long monoNanos) {
    return leaseClock.leaderCommand(term, promotedInTerm, sm, desiredConfig, wallMs, monoNanos);
  }

  /** The settings this node proposes when it leads. */
  public LockStateMachine.Config desiredConfig() {
    return desiredConfig;
  }

  /** Read access for queries, on the Raft context only. */
  public LockStateMachine stateMachine() {
    return sm;
  }
}
