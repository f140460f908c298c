package io.raftlock.raft;

import java.util.List;

/**
 * Everything the core wants done, taken with {@link RaftNode#ready()}. The driver must:
 *
 * <ol>
 *   <li>send {@link #messages()} at once: these are a leader's AppendEntries, InstallSnapshot,
 *       TimeoutNow and read replies, which vouch for nothing on this node's disk (a leader may
 *       replicate before its own write completes, thesis §10.2.1);
 *   <li>hand {@link #persistBatch()} to storage; when it is durable, call
 *       {@link RaftNode#persisted(long, long)} and only then send {@link #messagesAfterPersist()}.
 *       Those are votes and acknowledgements that claim data is on disk (§5.2, thesis §3.8).
 *       Because storage completes batches in order, waiting for this batch also waits for every
 *       earlier one; a Ready with an empty batch must still wait for earlier pending batches;
 *   <li>install {@link #snapshot()} into the state machine (when not null), then apply
 *       {@link #committedEntries()} in order, then call {@link RaftNode#advance(Ready)};
 *   <li>serve reads of {@link #readStates()} once the state machine has applied their index.
 * </ol>
 *
 * @param softState role/leader when they changed since the last Ready, else null
 * @param hardState term/vote/commit when changed since the last Ready, else null
 * @param snapshot a snapshot received from the leader to persist and install, else null
 * @param entries new entries to persist (may overwrite a suffix of the stored log)
 */
public record Ready(
    SoftState softState,
    HardState hardState,
    Snapshot snapshot,
    List<Entry> entries,
    List<Message> messages,
    List<Message> messagesAfterPersist,
    List<Entry> committedEntries,
    List<ReadState> readStates) {

  public PersistBatch persistBatch() {
    return new PersistBatch(hardState, snapshot, entries);
  }

  public boolean isEmpty() {
    return softState == null
        && hardState == null
        && snapshot == null
        && entries.isEmpty()
        && messages.isEmpty()
        && messagesAfterPersist.isEmpty()
        && committedEntries.isEmpty()
        && readStates.isEmpty();
  }
}
