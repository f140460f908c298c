package io.raftlock.storage;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.HardState;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What {@code raftlock snapshot restore} writes for one member of the new cluster: the backup's
 * state at the backup's index, under a new configuration and a fresh term.
 *
 * <ul>
 *   <li><b>Index kept.</b> Fencing tokens are Raft indexes, so the new cluster's log continues
 *       after the backup's index and every token it grants is above every token in the backup.
 *   <li><b>Configuration rewritten</b> to the voters given ({@code --initial-cluster}), by
 *       default the backup's voters; learners are not carried (add them again once it runs). Every
 *       member of the new cluster must be restored from the same file with the same voters, so
 *       their snapshots agree.
 *   <li><b>Fresh term</b>: the snapshot's term is the backup's plus one, and so is the hard
 *       state's current term (no vote). The restored members' logs then compare as more
 *       up-to-date than the log any old member had at the backup (Raft §5.4.1): an old member
 *       with that history can neither win an election among them nor keep its entries after the
 *       backup's index, which the new leader overwrites.
 * </ul>
 */
public record RestorePlan(String nodeId, Snapshot snapshot, HardState hardState) {
  static final int MAX_ID_CHARS = 128;

  /**
   * The plan for {@code nodeId} from {@code backup}; {@code voters} null or empty: the backup's.
   *
   * @throws IllegalArgumentException a bad id, or {@code nodeId} not among the voters
   */
  public static RestorePlan of(Snapshot backup, String nodeId, List<String> voters) {
    SortedSet<String> members = voters == null || voters.isEmpty()
        ? new TreeSet<>(backup.meta().config().voters()) : new TreeSet<>(voters);
    if (voters != null && !voters.isEmpty() && members.size() != voters.size()) {
      throw new IllegalArgumentException("--initial-cluster names a member twice: " + voters);
    }
    for (String id : members) {
      checkId(id);
    }
    checkId(nodeId);
    if (!members.contains(nodeId)) {
      throw new IllegalArgumentException("node id '" + nodeId + "' is not a voter of the restored cluster "
          + members + (voters == null || voters.isEmpty() ? " (the backup's voters; give --initial-cluster to "
          + "choose others)" : ""));
    }
    long term = backup.term() + 1;
    Snapshot restored = new Snapshot(new SnapshotMeta(backup.index(), term, new ClusterConfig(members,
        new TreeSet<>())), backup.data());
    return new RestorePlan(nodeId, restored, new HardState(term, null, backup.index()));
  }

  /** A server id as the Admin API takes it: 1..128 characters, no whitespace or control characters. */
  private static void checkId(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_ID_CHARS) {
      throw new IllegalArgumentException("a node id must be 1.." + MAX_ID_CHARS + " characters, got '" + id + "'");
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isWhitespace(id.charAt(i)) || Character.isISOControl(id.charAt(i))) {
        throw new IllegalArgumentException("node id '" + id + "' has whitespace or a control character");
      }
    }
  }
}
