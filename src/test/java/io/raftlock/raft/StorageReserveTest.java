package io.raftlock.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A node whose storage is below its free-space reserve ({@link RaftNode#storageBelowReserve}):
 * one node at a time; the handover of a leader runs in the simulator (ScenarioTest).
 */
class StorageReserveTest {
  private static final ClusterConfig THREE = ClusterConfig.ofVoters(Set.of("a", "b", "c"));

  private final RaftNode b =
      new RaftNode(RaftConfig.defaults("b"), THREE, PersistentState.empty(), new SplittableRandom(1));

  /** Takes a Ready, reports its batch durable at once, and returns it. */
  private Ready cycle() {
    Ready rd = b.ready();
    b.advance(rd);
    PersistBatch batch = rd.persistBatch();
    if (batch.lastIndex() > 0) {
      b.persisted(batch.lastIndex(), batch.lastTerm());
    }
    return rd;
  }

  /** Every message the node sends over {@code ticks} ticks. */
  private List<Message> tick(int ticks) {
    List<Message> sent = new ArrayList<>();
    for (int i = 0; i < ticks; i++) {
      b.tick();
      while (b.hasReady()) {
        Ready rd = cycle();
        sent.addAll(rd.messages());
        sent.addAll(rd.messagesAfterPersist());
      }
    }
    return sent;
  }

  @Test
  void belowTheReserveANodeNeitherCampaignsNorObeysTimeoutNowUntilSpaceReturns() {
    b.storageBelowReserve(true);
    assertEquals(List.of(), tick(100), "no vote requests after ten election timeouts");
    b.step(new Message.TimeoutNow("a", "b", 0));
    assertEquals(Role.FOLLOWER, b.role());
    assertEquals(0, b.term());

    b.storageBelowReserve(false);
    assertTrue(tick(40).stream().anyMatch(m -> m instanceof Message.RequestVote), "campaigns again");
  }

  @Test
  void aCandidateThatCrossesTheReserveGivesUp() {
    tick(40);
    assertEquals(Role.PRE_CANDIDATE, b.role());
    b.storageBelowReserve(true);
    assertEquals(Role.FOLLOWER, b.role());
  }

  @Test
  void belowTheReserveAFollowerDropsEntriesButFollowsTheLeaderAndLearnsCommit() {
    b.storageBelowReserve(true);
    Message.AppendEntries append = new Message.AppendEntries("a", "b", 1, 0, 0,
        List.of(Entry.normal(1, 1, new byte[] {7})), 1);
    b.step(append);
    Ready dropped = cycle();
    assertEquals(List.of(), dropped.persistBatch().entries(), "nothing to persist");
    assertEquals(List.of(), dropped.messagesAfterPersist(), "no acknowledgement");
    assertEquals("a", b.leaderId());
    assertEquals(0, b.lastIndex());
    b.step(new Message.Heartbeat("a", "b", 1, 0, 1));
    assertTrue(cycle().messages().stream().anyMatch(m -> m instanceof Message.HeartbeatResponse));

    b.storageBelowReserve(false);
    b.step(append);
    Ready taken = cycle();
    assertEquals(1, taken.persistBatch().lastIndex());
    assertEquals(1, b.commitIndex());
  }
}
