package io.raftlock.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader's pending linearizable reads (thesis §6.4). A read records the commit index when it
 * arrives and the sequence number of the next heartbeat broadcast; once a majority of voters has
 * echoed a heartbeat with that number or later, the leader was still leader after the read
 * arrived, so the read may be served at the recorded index.
 *
 * <p>No lease (thesis §6.4.1) is derived from these confirmations; see {@link RaftConfig} for why.
 *
 * <p>Invariant: {@code pending} is ordered by sequence number; every sequence in it is >
 * {@code confirmedSeq}.
 */
final class ReadIndexTracker {
  /** A read waiting for confirmation; {@code requester} is null for this node's own clients. */
  record PendingRead(long requestId, long readIndex, String requester, long seq) {}

  private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();

  private long lastSeq;
  private long confirmedSeq;
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

  /** Numbers the next heartbeat broadcast. */
  long nextBroadcast() {
    broadcastWanted = false;
    return ++lastSeq;
  }

  /** A majority has now echoed {@code majoritySeq}: returns the reads it confirms. */
  List<PendingRead> confirm(long majoritySeq) {
    if (majoritySeq <= confirmedSeq) {
      return List.of();
    }
    confirmedSeq = majoritySeq;
    List<PendingRead> ready = new ArrayList<>();
    while (!pending.isEmpty() && pending.peekFirst().seq() <= majoritySeq) {
      ready.add(pending.removeFirst());
    }
    return ready;
  }

  /** Leadership ended: hand back every pending read to be failed. */
  List<PendingRead> reset() {
    List<PendingRead> dropped = new ArrayList<>(pending);
    pending.clear();
    broadcastWanted = false;
    confirmedSeq = lastSeq;
    return dropped;
  }

  int pendingCount() {
    return pending.size();
  }
}
