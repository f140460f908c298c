package io.raftlock.node;

import io.raftlock.raft.ProposeResult;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Client commands on their way into the log (Raft paper §8; ARCHITECTURE.md, data path step 3):
 * proposed here when this node leads, forwarded once to the leader it knows, or accepted from a
 * follower that forwarded them; every refusal is a {@link ProposalException}. Confined to the
 * Raft context.
 *
 * <p>Invariants: a command is forwarded at most once: one that arrives forwarded is proposed
 * here or refused with NOT_LEADER, never sent on, so a stale leader view cannot make it loop.
 * Only the leader's clock is stamped into a command. While the storage is below its reserve the
 * leader refuses new commands (STORAGE_FULL); entries it accepted earlier still complete. An
 * accepted command's future waits in {@link PendingProposals} and completes at apply.
 */
final class ClientCommands {
  private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

  private final String nodeId;
  private final ReplicatedStateMachine stateMachine;
  private final PeerTransport transport;
  private final PendingProposals proposals;
  private final StorageReserve reserve;
  /** The core; null until the verticle recovered it. */
  private final Supplier<RaftNode> raft;
  private final BooleanSupplier stopped;
  /** Schedules one drain for this event-loop turn (proposals of a turn share one Ready). */
  private final Runnable scheduleDrain;

  ClientCommands(String nodeId, ReplicatedStateMachine stateMachine, PeerTransport transport,
      PendingProposals proposals, StorageReserve reserve, Supplier<RaftNode> raft,
      BooleanSupplier stopped, Runnable scheduleDrain) {
    this.nodeId = nodeId;
    this.stateMachine = stateMachine;
    this.transport = transport;
    this.proposals = proposals;
    this.reserve = reserve;
    this.raft = raft;
    this.stopped = stopped;
    this.scheduleDrain = scheduleDrain;
  }

  /**
   * Routes a command: proposed here on the leader; forwarded to the leader a follower knows;
   * refused with NO_LEADER when it knows none.
   */
  void submit(byte[] command, Promise<Applied> promise) {
    RaftNode core = raft.get();
    if (stopped.getAsBoolean() || core == null || core.role() == Role.LEADER) {
      propose(command, promise);
      return;
    }
    String leader = core.leaderId();
    if (leader == null || leader.equals(nodeId)) {
      promise.fail(new ProposalException(ProposalException.Reason.NO_LEADER, null));
      return;
    }
    forward(leader, command).onComplete(promise);
  }

  /** Proposes on the core; the promise completes at apply, or fails at once if not leader. */
  void propose(byte[] command, Promise<Applied> promise) {
    RaftNode core = raft.get();
    if (stopped.getAsBoolean() || core == null) {
      promise.fail(new ProposalException(ProposalException.Reason.STOPPED, null));
      return;
    }
    if (reserve.isBelow() && core.role() == Role.LEADER) {
      promise.fail(new ProposalException(ProposalException.Reason.STORAGE_FULL, null));
      return;
    }
    // Only the leader's clock reaches the state machine; off the leader propose() refuses anyway.
    byte[] stamped = core.role() == Role.LEADER ? stateMachine.stampOnLeader(
        command, core.term(), System.currentTimeMillis(), System.nanoTime()) : command;
    ProposeResult r = core.propose(stamped);
    switch (r.status()) {
      case ACCEPTED -> {
        proposals.add(r.index(), r.term(), promise);
        scheduleDrain.run();
      }
      case NOT_LEADER -> promise.fail(new ProposalException(ProposalException.Reason.NOT_LEADER, r.leaderHint()));
      case LEADERSHIP_TRANSFER -> promise.fail(new ProposalException(ProposalException.Reason.LEADERSHIP_TRANSFER, r.leaderHint()));
    }
  }

  /** One Forward call; the leader's encoded result comes back decoded for the local caller. */
  Future<Applied> forward(String target, byte[] command) {
    if (stopped.getAsBoolean()) {
      return Future.failedFuture(new ProposalException(ProposalException.Reason.STOPPED, null));
    }
    return transport.forward(target, command).compose(a -> {
      try {
        return Future.succeededFuture(
            new Applied(a.index(), a.term(), stateMachine.decodeResult((byte[]) a.result())));
      } catch (RuntimeException e) {
        // Applied on the leader, unreadable here (a newer leader's encoding?): the caller may
        // retry with its request id; the state machine answers the first result again.
        LOG.log(Level.SEVERE, nodeId + " cannot decode the result of entry " + a.index() + " from " + target, e);
        return Future.failedFuture(
            new ProposalException(ProposalException.Reason.FORWARD_FAILED, null));
      }
    });
  }

  /**
   * A command another node forwarded: proposed here if this node leads, else rejected with
   * NOT_LEADER and our leader hint. The result leaves encoded. This node's fail-stop is not the
   * sender's: STORAGE_FAILED crosses as LEADERSHIP_LOST (the entry may still commit under the
   * next leader).
   */
  Future<Applied> acceptForwarded(byte[] command) {
    Promise<Applied> promise = Promise.promise();
    propose(command, promise);
    return promise.future()
        .map(a -> new Applied(a.index(), a.term(), stateMachine.encodeResult(a.result())))
        .recover(e -> e instanceof ProposalException p
            && p.reason() == ProposalException.Reason.STORAGE_FAILED
            ? Future.failedFuture(new ProposalException(ProposalException.Reason.LEADERSHIP_LOST, null))
            : Future.failedFuture(e));
  }
}
