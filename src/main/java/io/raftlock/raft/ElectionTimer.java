package io.raftlock.raft;

import java.util.random.RandomGenerator;

/**
 * The node's logical timers, counted in ticks (§5.2): the election timeout and, while leading,
 * the heartbeat interval. Time only moves when the driver calls {@link RaftNode#tick()}, and the
 * randomness comes from the node's seeded generator, so a seed replays the same elections.
 *
 * <p>Invariants: {@code electionElapsed} counts the ticks since the last reset (a leader heard
 * from, a vote granted, a campaign started, an election round of a leader); a follower's timeout
 * is drawn anew at each {@link #reset} from {@code [electionTicks, 2 * electionTicks)}, so
 * candidates rarely time out together; a leader counts whole election rounds of
 * {@code electionTicks} (CheckQuorum, abandoned transfers) and heartbeat rounds of
 * {@code heartbeatTicks}.
 *
 * <p>Threading: owned by the node's thread, like the node.
 */
final class ElectionTimer {
  private final int electionTicks;
  private final int heartbeatTicks;
  private final RandomGenerator random;
  private int electionElapsed;
  private int heartbeatElapsed;
  private int randomizedElectionTimeout;

  ElectionTimer(RaftConfig config, RandomGenerator random) {
    this.electionTicks = config.electionTicks();
    this.heartbeatTicks = config.heartbeatTicks();
    this.random = random;
    reset();
  }

  /** Starts the election timeout over with a newly drawn length. */
  void reset() {
    electionElapsed = 0;
    randomizedElectionTimeout = electionTicks + random.nextInt(electionTicks);
  }

  /** Starts the election timeout over, keeping its length (a leader heard from, a vote granted). */
  void restart() {
    electionElapsed = 0;
  }

  /** A new leadership: both of the leader's rounds start now. */
  void startLeading() {
    heartbeatElapsed = 0;
    electionElapsed = 0;
  }

  /** One tick off the leader: true when the election timeout ran out. */
  boolean tickTimesOut() {
    electionElapsed++;
    return electionElapsed >= randomizedElectionTimeout;
  }

  /** One tick on the leader: true when an election round ended (and the next one started). */
  boolean tickEndsElectionRound() {
    heartbeatElapsed++;
    electionElapsed++;
    if (electionElapsed < electionTicks) {
      return false;
    }
    electionElapsed = 0;
    return true;
  }

  /** True once per heartbeat round, at its end (and the next one starts); leader only. */
  boolean heartbeatDue() {
    if (heartbeatElapsed < heartbeatTicks) {
      return false;
    }
    heartbeatElapsed = 0;
    return true;
  }

  /** Less than an election timeout passed since the last reset (thesis §4.2.3's lease). */
  boolean withinElectionTimeout() {
    return electionElapsed < electionTicks;
  }
}
