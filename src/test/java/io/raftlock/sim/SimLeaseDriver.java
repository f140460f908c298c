package io.raftlock.sim;

import io.raftlock.lock.LeaseClock;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.raft.Role;
import java.util.HashMap;
import java.util.Map;

/**
 * What the production driver does with time, on simulated nodes: a leader stamps every command
 * with its {@link LeaseClock} (as {@code LockReplica.stampOnLeader}) and after each tick asks the
 * same clock for its expiry decision (as {@code ExpiryDriver}): Promote once per term, then
 * Expire when due, one Promote in flight at a time; in between, like {@code LockReplica}, a
 * Configure while the committed lock limits differ from the node's own. Nodes are configured
 * differently on purpose ({@link #desiredConfig}): every change of leader may change the limits,
 * so replicas must agree on them through crashes, snapshots and lost messages. The clocks are the node's {@link SimClocks}, so
 * wall-clock steps and monotonic rate skew reach the real rule. A restarted node starts with a
 * fresh clock, like a restarted process.
 */
final class SimLeaseDriver {
  /** The limits of the even-numbered nodes; the others keep {@link LockStateMachine.Config#GENESIS}. */
  static final LockStateMachine.Config EVEN_NODES_CONFIG = new LockStateMachine.Config(3, 120_000, 5_000, 50);
  /** At most one Expire per leader per this much simulated time while the last is not applied. */
  private static final long EXPIRE_EVERY_MS = 50;

  private final SimCluster cluster;
  private final SimClocks clocks;
  private final Map<String, NodeLease> byNode = new HashMap<>();

  private static final class NodeLease {
    final int incarnation;
    final LeaseClock clock = new LeaseClock();
    long promotedTerm = -1;
    SimCluster.Proposal promote;
    /** The last Configure proposed: no second one while it is pending in the same term. */
    SimCluster.Proposal configure;
    long lastExpireSimMs = Long.MIN_VALUE / 2;

    NodeLease(int incarnation) {
      this.incarnation = incarnation;
    }
  }

  SimLeaseDriver(SimCluster cluster, SimClocks clocks) {
    this.cluster = cluster;
    this.clocks = clocks;
  }

  private NodeLease lease(SimNode n) {
    NodeLease l = byNode.get(n.id);
    if (l == null || l.incarnation != n.incarnation) {
      l = new NodeLease(n.incarnation);
      byNode.put(n.id, l);
    }
    return l;
  }

  private static LockStateMachine stateMachine(SimNode n) {
    return ((LockSimStateMachine) n.sm).lockStateMachine();
  }

  /** {@code command} stamped with leader {@code n}'s lease time now. */
  byte[] stamp(SimNode n, byte[] command) {
    long simMs = cluster.scheduler.nowMs();
    long now = lease(n).clock.nowMs(n.raft.term(), stateMachine(n).smTimeMs(),
        clocks.wallMs(n.id, simMs), clocks.monoNanos(n.id, simMs));
    return LockCommandCodec.encode(LockCommandCodec.decode(command).withTimeMs(now));
  }

  /** Node {@code id}'s configured limits: "n2", "n4", ... lowered ones, the others genesis. */
  static LockStateMachine.Config desiredConfig(String id) {
    return Integer.parseInt(id.substring(1)) % 2 == 0 ? EVEN_NODES_CONFIG : LockStateMachine.Config.GENESIS;
  }

  /** After each tick of a live node: a leader proposes what the lease rule decides. */
  void afterTick(SimNode n) {
    if (!n.up || n.raft.role() != Role.LEADER) {
      return;
    }
    NodeLease l = lease(n);
    long term = n.raft.term();
    if (l.promote != null && l.promotedTerm != term) {
      if (l.promote.outcome.equals("ok")) {
        l.promotedTerm = l.promote.term;
      } else if (l.promote.outcome.equals("pending") && l.promote.term == term) {
        return; // in flight, as ExpiryDriver: no second proposal meanwhile
      }
      l.promote = null;
    }
    long simMs = cluster.scheduler.nowMs();
    LockStateMachine sm = stateMachine(n);
    LockCommand cmd = l.clock.leaderCommand(term, l.promotedTerm == term, sm, desiredConfig(n.id),
        clocks.wallMs(n.id, simMs), clocks.monoNanos(n.id, simMs));
    if (cmd instanceof LockCommand.Promote) {
      l.promote = cluster.proposeOn(n.id, LockCommandCodec.encode(cmd));
    } else if (cmd instanceof LockCommand.Configure) {
      if (l.configure == null || !l.configure.outcome.equals("pending") || l.configure.term != term) {
        l.configure = cluster.proposeOn(n.id, LockCommandCodec.encode(cmd));
      }
    } else if (cmd != null && simMs - l.lastExpireSimMs >= EXPIRE_EVERY_MS) {
      l.lastExpireSimMs = simMs;
      cluster.proposeOn(n.id, LockCommandCodec.encode(cmd));
    }
  }
}
