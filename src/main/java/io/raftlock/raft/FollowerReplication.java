package io.raftlock.raft;

import io.raftlock.raft.Message.AppendEntries;
import io.raftlock.raft.Message.AppendEntriesResponse;
import io.raftlock.raft.Message.Heartbeat;
import io.raftlock.raft.Message.HeartbeatResponse;
import io.raftlock.raft.Message.InstallSnapshot;

/**
 * The receiving end of replication: the receiver rules of AppendEntries (§5.3, Figure 2) and
 * InstallSnapshot (§7, Figure 13), and heartbeats. Each handler checks the leader's message
 * against the log, applies it, and returns the one answer owed to the leader, or null when the
 * message is dropped as if lost. {@link Leader} is the sending end.
 *
 * <p>It keeps no state of its own: what it changes is the log. The caller has already settled the
 * message's term and made this node follow its sender, so {@code term} is the leader's.
 */
final class FollowerReplication {
  private final RaftLog log;
  private final String id;

  FollowerReplication(RaftLog log, String id) {
    this.log = log;
    this.id = id;
  }

  /**
   * Appends what matches our log from {@code ae.prevLogIndex()} on, or answers with a hint where
   * our log diverges (the leader skips a whole conflicting term per round trip). With
   * {@code belowReserve} entries cannot be made durable, so a message carrying any is dropped.
   */
  Message appendEntries(AppendEntries ae, long term, boolean belowReserve) {
    if (ae.prevLogIndex() < log.commitIndex()) {
      // Everything up to our commit index matches the leader already (Leader Completeness);
      // tell it where we are instead of re-checking entries we may have compacted.
      return new AppendEntriesResponse(id, ae.from(), term, true, log.commitIndex(), 0, 0, 0);
    }
    if (belowReserve && !ae.entries().isEmpty()) {
      return null; // they would have to be persisted (see RaftNode.storageBelowReserve)
    }
    if (log.matchTerm(ae.prevLogIndex(), ae.prevLogTerm())) {
      long lastNew = log.appendFromLeader(ae.prevLogIndex(), ae.entries());
      log.commitTo(Math.min(ae.leaderCommit(), lastNew));
      return new AppendEntriesResponse(id, ae.from(), term, true, lastNew, 0, 0, 0);
    }
    long hintIndex = log.findConflictByTerm(Math.min(ae.prevLogIndex(), log.lastIndex()), ae.prevLogTerm());
    return new AppendEntriesResponse(
        id, ae.from(), term, false, 0, ae.prevLogIndex(), hintIndex, log.term(hintIndex));
  }

  Message heartbeat(Heartbeat hb, long term) {
    // The leader only sends a commit index we are known to hold (≤ our matchIndex); after a
    // crash that lost entries we may hold less, hence the min.
    log.commitTo(Math.min(hb.commit(), log.lastIndex()));
    return new HeartbeatResponse(id, hb.from(), term, hb.seq(), log.lastIndex());
  }

  /**
   * Takes the leader's snapshot unless our log already covers it. With {@code belowReserve} a
   * snapshot that would replace the log cannot be saved, so it is dropped.
   */
  Message installSnapshot(InstallSnapshot is, long term, boolean belowReserve) {
    Snapshot snap = is.snapshot();
    long match;
    if (snap.index() <= log.commitIndex()) {
      match = log.commitIndex();
    } else if (log.matchTerm(snap.index(), snap.term())) {
      log.commitTo(snap.index()); // we hold the entries it covers: just fast-forward commit
      match = snap.index();
    } else if (belowReserve) {
      return null; // the snapshot would have to be saved (see RaftNode.storageBelowReserve)
    } else {
      log.restore(snap);
      match = snap.index();
    }
    return new AppendEntriesResponse(id, is.from(), term, true, match, 0, 0, 0);
  }
}
