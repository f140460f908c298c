package io.raftlock.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The leader's pending linearizable reads (thesis §6.4). A read records the commit index when it
 * arrives and the sequence number of the next heartbeat broadcast; once a majority of voters has
 * echoed a heartbeat with that number or later, the leader was still leader after the read
 * arrived, so the read may be served at the recorded index.
 *
 * <p>The same confirmations give the lease (thesis §6.4.1): a follower that heard a heartbeat at
 * time t grants no vote before t + electionTimeout, so the leader may serve reads without a round
 * until the send time of its newest majority-confirmed heartbeat + leaseTicks (< electionTicks).
 *
 * <p>Invariant: {@code pending} is ordered by sequence number; every sequence in it is >
 * {@code confirmedSeq}.
 */
final class ReadIndexTracker {
  /** A read waiting for confirmation; {@code requester} is null for this node's own clients. */
  record PendingRead(long requestId, long readIndex, String requester, long seq) {}

  private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
  /** Send tick of each heartbeat broadcast not yet confirmed. */
  private final TreeMap<Long, Long> sentTickBySeq = new TreeMap<>();

  private long lastSeq;
  private long confirmedSeq;
  private long leaseUntilTick = -1;
  private boolean broadcastWanted;

  /** Queues a read; it rides on the next heartbeat broadcast. */
  void add(long requestId, long readIndex, String requester) {
    pending.addLast(new PendingRead(requestId, readIndex, requester, lastSeq + 1));
    broadcastWanted = true;
  }

  long lastSeq() {
    return lastSeq;
  }

  boolean broadcastWanted() {
    return broadcastWanted;
  }

  /** Numbers a heartbeat broadcast made at {@code tick}. */
  long nextBroadcast(long tick) {
    broadcastWanted = false;
    lastSeq++;
    sentTickBySeq.put(lastSeq, tick);
    return lastSeq;
  }

  /**
   * A majority has now echoed {@code majoritySeq}: returns the reads it confirms and extends the
   * lease.
   */
  List<PendingRead> confirm(long majoritySeq, int leaseTicks) {
    if (majoritySeq <= confirmedSeq) {
      return List.of();
    }
    confirmedSeq = majoritySeq;
    Long sentTick = sentTickBySeq.get(majoritySeq);
    if (sentTick != null && leaseTicks > 0) {
      leaseUntilTick = Math.max(leaseUntilTick, sentTick + leaseTicks);
    }
    sentTickBySeq.headMap(majoritySeq, true).clear();
    List<PendingRead> ready = new ArrayList<>();
    while (!pending.isEmpty() && pending.peekFirst().seq() <= majoritySeq) {
      ready.add(pending.removeFirst());
    }
    return ready;
  }

  boolean leaseValid(long nowTick) {
    return nowTick < leaseUntilTick;
  }

  /** The lease no longer holds (the voters changed); reads fall back to heartbeat rounds. */
  void dropLease() {
    leaseUntilTick = -1;
  }

  /** Leadership ended: drop the lease and hand back every pending read to be failed. */
  List<PendingRead> reset() {
    List<PendingRead> dropped = new ArrayList<>(pending);
    pending.clear();
    sentTickBySeq.clear();
    leaseUntilTick = -1;
    broadcastWanted = false;
    confirmedSeq = lastSeq;
    return dropped;
  }

  int pendingCount() {
    return pending.size();
  }
}
