package io.raftlock.raft;

import io.raftlock.raft.Message.RequestVote;
import java.util.TreeMap;

/**
 * The election rules that decide without changing role, term or vote (§5.2, §5.4.1, thesis §4.2,
 * §9.6): whether this node may campaign, whether it grants a vote request, and the count of the
 * votes its own candidacy received. {@link RaftNode} owns the persistent term and vote and the role
 * transitions; it asks here and acts on the answer.
 *
 * <p>It also keeps the node's durable mark: the most up-to-date (term, index) its log ever reached
 * durably. While the log is less up-to-date than that mark the node lost entries it may have
 * acknowledged, so it neither campaigns nor helps elect a candidate that lacks them.
 *
 * <p>Threading: owned by the node's thread, like the node.
 */
final class Election {
  /** The outcome of a count so far (etcd's {@code VoteResult}). */
  enum Tally {
    WON,
    LOST,
    PENDING
  }

  private final RaftLog log;
  private final String id;
  private final long repairIndex;
  private final long repairTerm;
  /** Votes of the current candidacy (pre-vote or real), by voter; true when granted. */
  private final TreeMap<String, Boolean> votes = new TreeMap<>();

  Election(RaftLog log, String id, long durableLastIndex, long durableLastTerm) {
    this.log = log;
    this.id = id;
    this.repairIndex = durableLastIndex;
    this.repairTerm = durableLastTerm;
  }

  /** The configuration in force: the latest in the log, committed or not (thesis §4.1). */
  private ClusterConfig cluster() {
    return log.config();
  }

  /** True while the durable log is less up-to-date than what this node once held durably. */
  boolean needsRepair() {
    long index = log.persistedIndex();
    long term = log.term(index);
    return repairTerm > term || (repairTerm == term && repairIndex > index);
  }

  /**
   * Only voters with an intact log may become candidates. A server its latest configuration
   * removes still campaigns while that change is uncommitted here and it was a voter before
   * (thesis §4.2.2): a leader that appended its own removal and then lost leadership may hold
   * the only log the remaining voters can elect, and without it they would wait forever. It
   * does not count its own vote. Once it knows its removal committed it never campaigns.
   */
  boolean mayCampaign() {
    if (needsRepair()) {
      return false;
    }
    return cluster().isVoter(id)
        || (log.configIndex() > log.commitIndex() && log.configAt(log.commitIndex()).isVoter(id));
  }

  /**
   * Messages are processed without consulting the configuration (thesis §4.1): a leader or
   * candidate may be in a newer configuration than our log holds yet. The exception is a vote
   * request from a server that is not a voter here and whose log is behind ours: we would deny
   * it anyway, and ignoring it (as if lost) also keeps its term from disrupting us. This is what
   * a removed server that missed its removal looks like: it lacks that committed entry.
   */
  boolean ignores(RequestVote rv) {
    return !cluster().isVoter(rv.from()) && !log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm());
  }

  /**
   * Whether to grant {@code rv}, whose term is not behind ours (§5.2, §5.4.1), given this node's
   * persistent vote and the leader it knows in {@code currentTerm}.
   */
  boolean grants(RequestVote rv, String votedFor, String leaderId, long currentTerm) {
    // We may vote for whom we already voted for; otherwise only if we have not voted and know
    // no leader in this term. A pre-vote for a later term is hypothetical, so always eligible.
    boolean eligible =
        rv.from().equals(votedFor)
            || (votedFor == null && leaderId == null)
            || (rv.preVote() && rv.term() > currentTerm);
    // A node that lost acknowledged entries must not help elect a candidate lacking them, so it
    // also compares against its durable mark (blocking its votes entirely could leave a cluster
    // where an intact candidate can never win).
    boolean markOk =
        rv.lastLogTerm() > repairTerm
            || (rv.lastLogTerm() == repairTerm && rv.lastLogIndex() >= repairIndex);
    // Whether we are a voter in our own log is not consulted: the candidate counts only voters of
    // its configuration, and ours may be stale (a learner promoted by an entry we have not yet
    // received may be the vote a new leader needs).
    return eligible
        && log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())
        && (!needsRepair() || markOk);
  }

  /** Starts counting for a new candidacy with this node's own vote, if it is a voter. */
  Tally startCount() {
    votes.clear();
    if (cluster().isVoter(id)) {
      votes.put(id, true); // a candidate outside its own configuration does not count itself
    }
    return Quorum.isMajority(votes.size(), cluster().voters().size()) ? Tally.WON : Tally.PENDING;
  }

  /**
   * Counts one answer to the current candidacy. Only voters of the configuration in force count,
   * and each voter only once (a duplicated or changed answer keeps its first).
   */
  Tally record(String voter, boolean granted) {
    if (!cluster().isVoter(voter)) {
      return Tally.PENDING;
    }
    votes.putIfAbsent(voter, granted);
    int grantedCount = 0;
    int rejectedCount = 0;
    for (boolean v : votes.values()) {
      if (v) {
        grantedCount++;
      } else {
        rejectedCount++;
      }
    }
    int voters = cluster().voters().size();
    if (Quorum.isMajority(grantedCount, voters)) {
      return Tally.WON;
    }
    return Quorum.isMajority(rejectedCount, voters) ? Tally.LOST : Tally.PENDING;
  }
}
