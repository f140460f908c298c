package io.raftlock.raft;

import io.raftlock.raft.Message.AppendEntriesResponse;
import io.raftlock.raft.Message.RequestVote;
import io.raftlock.raft.Message.RequestVoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The output side of {@link RaftNode}: messages and read states wait here until the driver takes
 * them in a {@link Ready}, and the Ready/advance handshake is enforced here.
 *
 * <p>Invariants: a message that vouches for this node's durable state (a vote, an append
 * acknowledgement) only ever leaves in {@link Ready#messagesAfterPersist()}, so the driver sends
 * it after the Ready's batch is synced (§5.2, thesis §3.8). At most one Ready is outstanding, and
 * the soft and hard state a Ready reports are compared with those of the last advanced one.
 *
 * <p>Threading: owned by the node's thread, like the node.
 */
final class Outbox {
  private final List<Message> messages = new ArrayList<>();
  private final List<Message> messagesAfterPersist = new ArrayList<>();
  private final List<ReadState> readStates = new ArrayList<>();
  private SoftState lastSoftState;
  private HardState lastHardState;
  private Ready outstanding;

  Outbox(SoftState initialSoftState, HardState initialHardState) {
    this.lastSoftState = initialSoftState;
    this.lastHardState = initialHardState;
  }

  /** Routes an outgoing message: votes and append acknowledgements wait for the sync. */
  void send(Message m) {
    if (m instanceof RequestVote || m instanceof RequestVoteResponse || m instanceof AppendEntriesResponse) {
      messagesAfterPersist.add(m);
    } else {
      messages.add(m);
    }
  }

  void addReadState(ReadState rs) {
    readStates.add(rs);
  }

  /** Messages or read states are waiting. */
  boolean hasOutput() {
    return !messages.isEmpty() || !messagesAfterPersist.isEmpty() || !readStates.isEmpty();
  }

  // Field comparisons, not record equality: hasReady() runs on every pass of the driver loop and
  // should not allocate.
  boolean softStateChanged(Role role, String leaderId, long term) {
    return role != lastSoftState.role()
        || term != lastSoftState.term()
        || !Objects.equals(leaderId, lastSoftState.leaderId());
  }

  boolean hardStateChanged(long term, String votedFor, long commitIndex) {
    return term != lastHardState.currentTerm()
        || commitIndex != lastHardState.commitIndex()
        || !Objects.equals(votedFor, lastHardState.votedFor());
  }

  /**
   * Builds the Ready with everything waiting here and in {@code log} ({@code softState} and
   * {@code hardState} null when unchanged); it is outstanding until {@link #advance}.
   */
  Ready take(SoftState softState, HardState hardState, RaftLog log, int maxEntriesPerReady) {
    outstanding =
        new Ready(
            softState,
            hardState,
            log.takePendingSnapshot(),
            log.takeUnpersisted(),
            List.copyOf(messages),
            List.copyOf(messagesAfterPersist),
            log.takeCommitted(maxEntriesPerReady),
            List.copyOf(readStates));
    messages.clear();
    messagesAfterPersist.clear();
    readStates.clear();
    return outstanding;
  }

  void advance(Ready rd) {
    if (rd != outstanding) {
      throw new IllegalStateException("advance() of a Ready that is not the outstanding one");
    }
    if (rd.softState() != null) {
      lastSoftState = rd.softState();
    }
    if (rd.hardState() != null) {
      lastHardState = rd.hardState();
    }
    outstanding = null;
  }

  void checkNotOutstanding() {
    if (outstanding != null) {
      throw new IllegalStateException("call advance() before using the node again");
    }
  }
}
