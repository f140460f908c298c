package io.raftlock.raft;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower's log (§5.3 nextIndex/matchIndex, plus flow control).
 *
 * <p>Invariants: {@code 0 <= matchIndex < nextIndex}; in-flight indexes are increasing and all
 * {@code > matchIndex}; at most {@code maxInflight} of them.
 *
 * <p>States:
 *
 * <ul>
 *   <li>PROBE: we do not know where the logs diverge; one AppendEntries at a time, then wait for
 *       its answer (or the next heartbeat) before sending again.
 *   <li>REPLICATE: logs match up to {@code matchIndex}; AppendEntries are pipelined optimistically
 *       ({@code nextIndex} moves at send time) up to {@code maxInflight} unanswered messages.
 *   <li>SNAPSHOT: an InstallSnapshot is on its way; nothing else is sent until it is answered.
 * </ul>
 */
final class Progress {
  enum State {
    PROBE,
    REPLICATE,
    SNAPSHOT
  }

  long matchIndex;
  long nextIndex;
  State state = State.PROBE;
  /** PROBE only: an AppendEntries is outstanding; cleared by its answer or a heartbeat. */
  boolean probeSent;
  /** SNAPSHOT only: index of the snapshot being sent. */
  long pendingSnapshotIndex;
  /** SNAPSHOT only: heartbeats answered while the snapshot is unacknowledged. */
  int heartbeatsDuringSnapshot;
  /** Heard from since the last CheckQuorum round (§6.2 / thesis §3.6 CheckQuorum). */
  boolean recentActive;
  /** Highest heartbeat sequence this follower has echoed (ReadIndex and lease confirmation). */
  long ackedHeartbeatSeq;
  /** Last heartbeat sequence broadcast before {@code matchIndex} last moved. */
  long matchSeq;
  /** The highest commit index sent to this follower in an AppendEntries. */
  long sentCommit;

  private final int maxInflight;
  /** Last index carried by each unanswered AppendEntries in REPLICATE state. */
  private final ArrayDeque<Long> inflight = new ArrayDeque<>();

  Progress(long nextIndex, int maxInflight) {
    this.nextIndex = nextIndex;
    this.maxInflight = maxInflight;
  }

  boolean isPaused() {
    return switch (state) {
      case PROBE -> probeSent;
      case REPLICATE -> inflight.size() >= maxInflight;
      case SNAPSHOT -> true;
    };
  }

  int inflightCount() {
    return inflight.size();
  }

  void becomeProbe() {
    // After a snapshot the follower holds at least its index; probe from just past it.
    long next = state == State.SNAPSHOT ? Math.max(matchIndex, pendingSnapshotIndex) + 1 : matchIndex + 1;
    reset(State.PROBE);
    nextIndex = next;
  }

  void becomeReplicate() {
    reset(State.REPLICATE);
    nextIndex = matchIndex + 1;
  }

  void becomeSnapshot(long snapshotIndex) {
    reset(State.SNAPSHOT);
    pendingSnapshotIndex = snapshotIndex;
  }

  private void reset(State s) {
    state = s;
    probeSent = false;
    pendingSnapshotIndex = 0;
    heartbeatsDuringSnapshot = 0;
    inflight.clear();
  }

  /** Records an AppendEntries just sent whose last entry is {@code lastIndex}. */
  void sentEntries(long lastIndex, boolean hasEntries) {
    if (state == State.REPLICATE) {
      if (hasEntries) {
        nextIndex = lastIndex + 1;
        inflight.addLast(lastIndex);
      }
    } else if (state == State.PROBE) {
      probeSent = true;
    }
  }

  void freeOldestInflight() {
    inflight.pollFirst();
  }

  /** A successful reply: returns true when it moved {@code matchIndex} forward. */
  boolean maybeUpdate(long index) {
    boolean updated = false;
    if (index > matchIndex) {
      matchIndex = index;
      updated = true;
      probeSent = false;
    }
    nextIndex = Math.max(nextIndex, index + 1);
    while (!inflight.isEmpty() && inflight.peekFirst() <= index) {
      inflight.removeFirst();
    }
    return updated;
  }

  /**
   * A rejection of an append whose prevLogIndex was {@code rejected}; {@code probeFrom} is where
   * the follower's hint says to look. Returns false when the rejection is stale (already known).
   */
  boolean maybeDecrease(long rejected, long probeFrom) {
    if (state == State.REPLICATE) {
      if (rejected <= matchIndex) {
        return false; // answers an append older than what we know matches
      }
      reset(State.PROBE);
    } else if (nextIndex - 1 != rejected) {
      return false; // not the probe we are waiting for
    }
    nextIndex = Math.max(matchIndex + 1, Math.min(rejected, probeFrom + 1));
    probeSent = false;
    return true;
  }

  @Override
  public String toString() {
    return state + "{match=" + matchIndex + " next=" + nextIndex + " inflight=" + inflight.size() + "}";
  }
}
