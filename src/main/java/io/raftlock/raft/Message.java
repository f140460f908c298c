package io.raftlock.raft;

import java.util.List;

/**
 * Messages exchanged between Raft nodes (Raft paper Figure 2, thesis §3.10 and §6.4, §9.6). Every
 * message names its sender, receiver and the sender's term; receivers compare terms first.
 */
public sealed interface Message {
  String from();

  String to();

  long term();

  /**
   * RequestVote (§5.2). With {@code preVote} it is the PreVote round of thesis §9.6: {@code term}
   * is the term the candidate would campaign in, and granting it changes no state on the voter.
   * {@code transfer} marks a campaign started by TimeoutNow, which voters accept even while they
   * still hear from a leader (thesis §3.10).
   */
  record RequestVote(
      String from,
      String to,
      long term,
      long lastLogIndex,
      long lastLogTerm,
      boolean preVote,
      boolean transfer)
      implements Message {}

  record RequestVoteResponse(String from, String to, long term, boolean voteGranted, boolean preVote)
      implements Message {}

  /** AppendEntries (§5.3). An empty {@code entries} list probes where the logs diverge. */
  record AppendEntries(
      String from,
      String to,
      long term,
      long prevLogIndex,
      long prevLogTerm,
      List<Entry> entries,
      long leaderCommit)
      implements Message {}

  /**
   * The leader's periodic heartbeat (§5.2). It asserts leadership and carries
   * {@code commit = min(leaderCommit, follower's matchIndex)}, which the follower is known to hold,
   * so it needs no consistency check. {@code seq} numbers the broadcast: once a majority echoes
   * it, the leader knows it was still leader when it sent it (ReadIndex, thesis §6.4).
   */
  record Heartbeat(String from, String to, long term, long commit, long seq) implements Message {}

  /**
   * Echo of a heartbeat. {@code lastIndex} lets the leader notice a follower that came back with
   * fewer entries than it had acknowledged (a corrupted log tail) and repair it.
   */
  record HeartbeatResponse(String from, String to, long term, long seq, long lastIndex)
      implements Message {}

  /**
   * Reply to AppendEntries and InstallSnapshot. On success {@code matchIndex} is the last index
   * the follower now holds durably. On rejection, {@code rejectedIndex} is the prevLogIndex that
   * failed and ({@code hintIndex}, {@code hintTerm}) is the follower's last entry at or before it
   * whose term is ≤ the leader's prevLogTerm: the leader skips a whole term per round trip
   * instead of one index (fast backtracking, §5.3 last paragraphs).
   */
  record AppendEntriesResponse(
      String from,
      String to,
      long term,
      boolean success,
      long matchIndex,
      long rejectedIndex,
      long hintIndex,
      long hintTerm)
      implements Message {}

  /** InstallSnapshot (§7). The transport may chunk {@code snapshot.data()}; the core sees it whole. */
  record InstallSnapshot(String from, String to, long term, Snapshot snapshot) implements Message {}

  /** Leadership transfer (thesis §3.10): the target campaigns at once, skipping PreVote. */
  record TimeoutNow(String from, String to, long term) implements Message {}

  /** A follower asks the leader for a read index on behalf of its client (thesis §6.4). */
  record ReadIndexRequest(String from, String to, long term, long requestId) implements Message {}

  record ReadIndexResponse(
      String from, String to, long term, long requestId, long readIndex, boolean success)
      implements Message {}
}
