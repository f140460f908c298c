package io.raftlock.raft;

/**
 * Tuning of one Raft node, in ticks (the driver decides how long a tick is).
 *
 * @param nodeId this node's id
 * @param electionTicks base election timeout; the actual one is drawn from [electionTicks,
 *     2 * electionTicks) on each reset (§5.2)
 * @param heartbeatTicks leader heartbeat interval; must be well below electionTicks
 * @param maxInflight unanswered AppendEntries per follower in REPLICATE state
 * @param maxEntriesPerAppend entries in one AppendEntries
 * @param maxBytesPerAppend approximate payload bytes in one AppendEntries
 * @param maxEntriesPerReady committed entries handed out to apply in one Ready
 * @param preVote run the PreVote round before a real election (thesis §9.6)
 * @param checkQuorum leaders step down without a majority's contact for an election timeout,
 *     and followers that hear from a leader ignore votes for a while (thesis §6.2)
 *
 * <p>There are no lease reads: every ReadIndex read waits for a majority's heartbeat echo. A lease
 * counted in ticks is unsafe here: ticks missed during a pause (GC, a starved event loop) are not
 * replayed, so the leader's tick count runs slow against its followers' election timers, and a
 * restarted follower has forgotten the lease it promised to respect.
 */
public record RaftConfig(
    String nodeId,
    int electionTicks,
    int heartbeatTicks,
    int maxInflight,
    int maxEntriesPerAppend,
    long maxBytesPerAppend,
    int maxEntriesPerReady,
    boolean preVote,
    boolean checkQuorum) {

  public RaftConfig {
    require(nodeId != null && !nodeId.isBlank(), "nodeId is required");
    require(heartbeatTicks >= 1, "heartbeatTicks must be ≥ 1");
    require(electionTicks > heartbeatTicks, "electionTicks must exceed heartbeatTicks");
    require(maxInflight >= 1, "maxInflight must be ≥ 1");
    require(maxEntriesPerAppend >= 1, "maxEntriesPerAppend must be ≥ 1");
    require(maxBytesPerAppend >= 1, "maxBytesPerAppend must be ≥ 1");
    require(maxEntriesPerReady >= 1, "maxEntriesPerReady must be ≥ 1");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Defaults: 10-tick election timeout, heartbeat every tick, PreVote and CheckQuorum on. */
  public static RaftConfig defaults(String nodeId) {
    return new RaftConfig(nodeId, 10, 1, 256, 512, 1 << 20, 4096, true, true);
  }

  public RaftConfig withPreVote(boolean on) {
    return new RaftConfig(nodeId, electionTicks, heartbeatTicks, maxInflight, maxEntriesPerAppend,
        maxBytesPerAppend, maxEntriesPerReady, on, checkQuorum);
  }

  public RaftConfig withCheckQuorum(boolean on) {
    return new RaftConfig(nodeId, electionTicks, heartbeatTicks, maxInflight, maxEntriesPerAppend,
        maxBytesPerAppend, maxEntriesPerReady, preVote, on);
  }

  public RaftConfig withBatching(int maxInflight, int maxEntriesPerAppend, long maxBytesPerAppend) {
    return new RaftConfig(nodeId, electionTicks, heartbeatTicks, maxInflight, maxEntriesPerAppend,
        maxBytesPerAppend, maxEntriesPerReady, preVote, checkQuorum);
  }
}
