package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftlock.raft.RaftStatus;
import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;
import org.awaitility.Awaitility;

/**
 * The committed state of a {@link LocalCluster}, for tests that must show a burst of requests
 * changed nothing: the leader's term and commit index, and every running member's state hash once
 * it has applied that commit index (hashes are only comparable at the same applied index).
 */
public record CommittedState(long term, long commitIndex, List<Long> hashes) {

  public static CommittedState of(LocalCluster cluster) {
    RaftStatus leader = cluster.node(cluster.awaitLeader()).status();
    long commit = leader.commitIndex();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cluster.running().stream()
        .allMatch(id -> cluster.node(id).status().appliedIndex() >= commit));
    List<Long> hashes = cluster.running().stream().map(id -> cluster.node(id).stateHash().await()).toList();
    return new CommittedState(leader.term(), commit, hashes);
  }

  /**
   * Nothing was committed since {@code this} and the state is unchanged, on every replica. If a
   * leader change happened meanwhile (a loaded machine), the new leader's own entries (its no-op,
   * the lease promotion stamped with its clock) legitimately moved the commit index and the hash;
   * then the check is that the replicas agree and that {@code heldLocks} (the number of locks held
   * now) is what it was, which no refused request could change.
   */
  public void assertUnchanged(LocalCluster cluster, int heldLocksBefore, IntSupplier heldLocks) {
    CommittedState after = of(cluster);
    assertEquals(1, after.hashes.stream().distinct().count(), "replicas agree: " + after);
    if (after.term == term) {
      assertEquals(commitIndex, after.commitIndex, "nothing was committed");
      assertEquals(hashes.get(0), after.hashes.get(0), "state unchanged");
    } else {
      assertEquals(heldLocksBefore, heldLocks.getAsInt(), "no lock was taken or released");
    }
  }
}
