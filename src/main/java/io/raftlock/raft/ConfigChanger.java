package io.raftlock.raft;

import io.raftlock.raft.Message.TimeoutNow;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Single-server membership changes on the leader (thesis §4.1, §4.2), the job etcd gives its
 * {@code confchange} package: whether a change may be proposed now, the configuration it
 * appends, whom the leader replicates to while configurations differ, and what the commit of a
 * configuration does to the leader.
 *
 * <p>Invariants it keeps: a leader's log holds at most one uncommitted CONFIG entry, and a leader
 * appends none before it has committed an entry of its own term. Each change adds or removes one
 * server, so any majority of the old voters overlaps any majority of the new ones; together these
 * make single-server changes safe without joint consensus. A configuration is in force from the
 * moment its entry is appended ({@link RaftLog#config()}), so this class never waits for a commit
 * to change whom the leader counts.
 *
 * <p>Threading: owned by the node's thread, like the node. See docs/membership.md.
 */
final class ConfigChanger {
  private final RaftNode node;
  private final RaftLog log;
  private final String id;

  ConfigChanger(RaftNode node, RaftLog log) {
    this.node = node;
    this.log = log;
    this.id = node.id();
  }

  /** The configuration in force: the latest in the log, committed or not (thesis §4.1). */
  private ClusterConfig cluster() {
    return log.config();
  }

  /**
   * Adds {@code server} as a learner: it receives the log (or a snapshot) but neither votes nor
   * counts toward commitment (thesis §4.2.1). In force on this leader as soon as it is appended.
   */
  ConfigChangeResult addLearner(String server) {
    return change(server, (c, leader) -> c.isMember(server)
        ? ConfigChangeResult.refused(ConfigChangeResult.Status.ALREADY_MEMBER, c)
        : appendConfig(leader, c.withLearner(server)));
  }

  /**
   * Makes learner {@code server} a voter once it has caught up: its match index on this leader
   * must be at least {@code minMatchIndex}. A minimum of 0 (no catch-up requirement: the new
   * voter may stall commits while it fetches the whole log, thesis §4.2.1) is refused unless
   * {@code force}.
   */
  ConfigChangeResult promoteLearner(String server, long minMatchIndex, boolean force) {
    return change(server, (c, leader) -> {
      if (!c.learners().contains(server)) {
        return ConfigChangeResult.refused(c.isVoter(server)
            ? ConfigChangeResult.Status.NOT_A_LEARNER : ConfigChangeResult.Status.NOT_A_MEMBER, c);
      }
      if (minMatchIndex <= 0 && !force) {
        return ConfigChangeResult.refused(ConfigChangeResult.Status.MIN_INDEX_REQUIRED, c);
      }
      // Every learner of the configuration in force is a replication target, so it has progress.
      if (leader.progress.get(server).matchIndex < minMatchIndex) {
        return ConfigChangeResult.refused(ConfigChangeResult.Status.LEARNER_BEHIND, c);
      }
      return appendConfig(leader, c.withVoter(server));
    });
  }

  /** Adds {@code server} directly as a voter (no catch-up phase; prefer a learner first). */
  ConfigChangeResult addVoter(String server) {
    return change(server, (c, leader) -> c.isMember(server)
        ? ConfigChangeResult.refused(ConfigChangeResult.Status.ALREADY_MEMBER, c)
        : appendConfig(leader, c.withVoter(server)));
  }

  /**
   * Removes a voter or learner, possibly this leader itself (thesis §4.2.2): a removed leader
   * keeps replicating, without counting itself, until the entry commits, then steps down.
   */
  ConfigChangeResult removeServer(String server) {
    return change(server, (c, leader) -> {
      if (!c.isMember(server)) {
        return ConfigChangeResult.refused(ConfigChangeResult.Status.NOT_A_MEMBER, c);
      }
      if (c.isVoter(server) && c.voters().size() == 1) {
        return ConfigChangeResult.refused(ConfigChangeResult.Status.LAST_VOTER, c);
      }
      return appendConfig(leader, c.without(server));
    });
  }

  /** The part of a change that depends on the change itself; runs only on a leader. */
  private interface Plan {
    ConfigChangeResult apply(ClusterConfig inForce, Leader leader);
  }

  /**
   * One change: the refusals every change shares, then {@code plan} on the configuration in force
   * (its own refusal, or the appended next configuration).
   */
  private ConfigChangeResult change(String server, Plan plan) {
    ConfigChangeResult refused = refuseChange(server);
    return refused != null ? refused : plan.apply(cluster(), node.leader());
  }

  /** The refusals every change shares; null when a change may be proposed now. */
  private ConfigChangeResult refuseChange(String server) {
    ClusterConfig c = cluster();
    if (server == null || server.isBlank()) {
      return ConfigChangeResult.refused(ConfigChangeResult.Status.INVALID_ID, c);
    }
    Leader leader = node.leader();
    if (leader == null) {
      return new ConfigChangeResult(ConfigChangeResult.Status.NOT_LEADER, 0, 0, node.leaderId(), c);
    }
    if (leader.leadTransferee != null) {
      return new ConfigChangeResult(
          ConfigChangeResult.Status.LEADERSHIP_TRANSFER, 0, 0, leader.leadTransferee, c);
    }
    if (!node.oneChangeAtATime()) {
      return null;
    }
    if (log.term(log.commitIndex()) != node.term()) {
      return ConfigChangeResult.refused(ConfigChangeResult.Status.LEADER_NOT_READY, c);
    }
    if (log.configIndex() > log.commitIndex()) {
      return ConfigChangeResult.refused(ConfigChangeResult.Status.CHANGE_IN_PROGRESS, c);
    }
    return null;
  }

  private ConfigChangeResult appendConfig(Leader leader, ClusterConfig next) {
    long term = node.term();
    Entry e = Entry.config(term, log.lastIndex() + 1, next);
    node.appendAsLeader(e); // in force from here on (thesis §4.1)
    leader.configChanged();
    return new ConfigChangeResult(ConfigChangeResult.Status.ACCEPTED, term, e.index(), null, next);
  }

  /**
   * The leader's commit index may have moved from {@code commitBefore}. When that committed the
   * latest configuration, servers it removed stop being replicated to, and a leader it removed
   * steps down (thesis §4.2.2), handing over to a caught-up voter at once so the cluster does not
   * wait out an election timeout.
   */
  void afterLeaderCommit(long commitBefore) {
    Leader leader = node.leader();
    long configIndex = log.configIndex();
    if (leader == null || commitBefore >= configIndex || log.commitIndex() < configIndex) {
      return;
    }
    leader.configChanged();
    if (!cluster().isVoter(id)) {
      String successor = leader.caughtUpVoter();
      long term = node.term();
      node.becomeFollower(term, null);
      if (successor != null) {
        node.send(new TimeoutNow(id, successor, term));
      }
    }
  }

  /** Members other than this node the leader replicates to: the latest and committed configs. */
  SortedSet<String> replicationTargets() {
    TreeSet<String> targets = new TreeSet<>(cluster().members());
    // Servers removed by a still-uncommitted entry keep receiving the log until it commits, so
    // they usually learn of their removal (and stop campaigning) instead of timing out.
    targets.addAll(log.configAt(log.commitIndex()).members());
    targets.remove(id);
    return targets;
  }
}
