package io.raftlock.node;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.RaftNode;
import io.vertx.core.Promise;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Membership changes asked of this node (thesis §4.1, docs/membership.md), from the call on the
 * core until their CONFIG entry is applied. Confined to the Raft context.
 *
 * <p>Invariants: a change the core refused records nothing and fails at once with a
 * {@link MembershipException}; an accepted change records the new member's address before the
 * drain that aligns the transport with the new configuration; its future waits in
 * {@link PendingProposals} and completes at apply, before any later compaction, so the
 * configuration the entry put in force can still be read ({@link #configAfter}).
 */
final class MembershipChanges {
  /** Changes waiting for their CONFIG entry to be applied, by index. */
  private final PendingProposals pending;
  private final PeerAlignment peers;
  /** The core; null until the verticle recovered it. */
  private final Supplier<RaftNode> raft;
  private final BooleanSupplier stopped;
  private final Runnable scheduleDrain;

  MembershipChanges(PendingProposals pending, PeerAlignment peers, Supplier<RaftNode> raft,
      BooleanSupplier stopped, Runnable scheduleDrain) {
    this.pending = pending;
    this.peers = peers;
    this.raft = raft;
    this.stopped = stopped;
    this.scheduleDrain = scheduleDrain;
  }

  /**
   * Runs {@code change} on the core; {@code promise} completes when its entry is applied here, or
   * fails (see the class comment). {@code peerAddress} and {@code clientAddress} belong to
   * {@code id} (null: none to record).
   */
  void propose(Function<RaftNode, ConfigChangeResult> change, String id, String peerAddress,
      String clientAddress, Promise<Applied> promise) {
    RaftNode core = raft.get();
    if (stopped.getAsBoolean() || core == null) {
      promise.fail(new ProposalException(ProposalException.Reason.STOPPED, null));
      return;
    }
    ConfigChangeResult r = change.apply(core);
    if (!r.accepted()) {
      promise.fail(new MembershipException(r.status(), r.leaderHint()));
      return;
    }
    peers.recordAddresses(id, peerAddress, clientAddress);
    pending.add(r.index(), r.term(), promise);
    scheduleDrain.run();
  }

  /** The configuration the applied change {@code a} put in force; call on the context, at apply. */
  ClusterConfig configAfter(Applied a) {
    RaftNode core = raft.get();
    return a.index() >= core.configIndex() ? core.clusterConfig() : core.configAt(a.index());
  }
}
