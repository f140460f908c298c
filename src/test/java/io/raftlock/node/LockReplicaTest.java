package io.raftlock.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStateMachine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The lock state machine as Raft's state machine: leader time stamping, forwarded results. */
class LockReplicaTest {
  @Test
  void theLeaderStampsItsLeaseTimeOnEveryCommand() {
    LockReplica replica = new LockReplica(e -> {});
    LockCommand built = new LockCommand.Renew("lock-1", "client-1", 7, 30_000, "req-9", 111);
    LockCommand stamped = LockCommandCodec.decode(
        replica.stampOnLeader(LockCommandCodec.encode(built), 3, 999, 5_000_000));
    assertEquals(new LockCommand.Renew("lock-1", "client-1", 7, 30_000, "req-9", 999), stamped,
        "the term's first stamp anchors at the wall clock");
    LockCommand later = LockCommandCodec.decode(
        replica.stampOnLeader(LockCommandCodec.encode(built), 3, 999 + 600_000, 12_000_000));
    assertEquals(999 + 7, later.timeMs(), "then monotonic time only, whatever the wall clock says");
    byte[] garbage = {42, 42};
    assertEquals(garbage, replica.stampOnLeader(garbage, 3, 999, 0), "unreadable bytes pass through untouched");
  }

  @Test
  void theExpiryDecisionUsesTheSameLeaseTimeAsTheStamps() {
    LockReplica replica = new LockReplica(e -> {});
    replica.apply(1, replica.stampOnLeader(LockCommandCodec.encode(new LockCommand.Acquire(
        "lock-1", "client-1", 1_000, false, 0, 0, new TreeMap<>(), "req-1", 0)), 2, 50_000, 0));
    assertEquals(new LockCommand.Promote(50_000), replica.leaderCommand(2, false, 0, 0));
    assertNull(replica.leaderCommand(2, true, 99_999_999, 999_999_999L), "1 s lease, 999 ms elapsed");
    assertEquals(new LockCommand.Expire(51_000), replica.leaderCommand(2, true, 0, 1_000_000_000L));
  }

  @Test
  void afterItsPromoteALeaderConfiguresItsOwnLimitsBeforeExpiring() {
    LockStateMachine.Config lower = new LockStateMachine.Config(1, 60_000, 50, 5);
    LockReplica replica = new LockReplica(e -> {}, lower);
    replica.apply(1, replica.stampOnLeader(LockCommandCodec.encode(new LockCommand.Acquire(
        "lock-1", "client-1", 1_000, false, 0, 0, new TreeMap<>(), "req-1", 0)), 2, 50_000, 0));
    assertEquals(new LockCommand.Promote(50_000), replica.leaderCommand(2, false, 0, 0));
    long due = 1_000_000_000L;
    LockCommand configure = replica.leaderCommand(2, true, 0, due);
    assertEquals(new LockCommand.Configure(lower, 51_000), configure, "settings first, though the lease is due");
    replica.apply(2, LockCommandCodec.encode(configure));
    assertEquals(lower, replica.stateMachine().config());
    assertEquals(new LockCommand.Expire(51_000), replica.leaderCommand(2, true, 0, due));
  }

  @Test
  void aLeaderWithTheCommittedLimitsProposesNoConfigure() {
    LockReplica replica = new LockReplica(e -> {});
    assertEquals(LockStateMachine.Config.GENESIS, replica.stateMachine().config());
    assertEquals(LockStateMachine.Config.RECOMMENDED, replica.desiredConfig());
    assertNull(replica.leaderCommand(2, true, 50_000, 0), "recommended = genesis: nothing to commit");
  }

  @Test
  void aReplayedSnapshotIsTheLiveOne() {
    LockReplica live = new LockReplica(e -> {});
    List<byte[]> commands = List.of(
        LockCommandCodec.encode(new LockCommand.OpenSession("svc", 10_000, new TreeMap<>(), 1_000)),
        LockCommandCodec.encode(new LockCommand.Acquire("a", "c1", 5_000, false, 0, 0, new TreeMap<>(), "r1", 1_100)),
        LockCommandCodec.encode(new LockCommand.Acquire("a", "c2", 5_000, true, 9_000, 1, new TreeMap<>(), "r2", 1_200)),
        LockCommandCodec.encode(new LockCommand.Acquire("b", "c2", 2_000, false, 0, 0, new TreeMap<>(), "r3", 1_300)),
        new byte[0], // undecodable: answered INTERNAL_ERROR alike by the live state and the copy
        LockCommandCodec.encode(new LockCommand.Expire(8_000)),
        LockCommandCodec.encode(new LockCommand.Release("a", "c2", 2, "r4", 8_100, 0)));
    long[] indexes = new long[commands.size()];
    byte[] base = null;
    int split = 3;
    for (int i = 0; i < commands.size(); i++) {
      indexes[i] = i + 1;
      live.apply(indexes[i], commands.get(i));
      if (i + 1 == split) {
        base = live.snapshot();
      }
    }
    ReplicatedStateMachine.Replica fromStart = live.replica(null);
    ReplicatedStateMachine.Replica fromBase = live.replica(base);
    for (int i = 0; i < commands.size(); i++) {
      fromStart.apply(indexes[i], commands.get(i));
      if (i >= split) {
        fromBase.apply(indexes[i], commands.get(i));
      }
    }
    assertArrayEquals(live.snapshot(), fromStart.snapshot(), "from the initial state");
    assertArrayEquals(live.snapshot(), fromBase.snapshot(), "from a snapshot and the entries after it");
    assertNotEquals(Arrays.toString(base), Arrays.toString(live.snapshot()), "the entries after the base changed the state");
    live.apply(indexes.length + 1, LockCommandCodec.encode(
        new LockCommand.Acquire("z", "c3", 5_000, false, 0, 0, new TreeMap<>(), "r9", 8_200)));
    assertNotEquals(Arrays.toString(live.snapshot()), Arrays.toString(fromStart.snapshot()),
        "the copy shares nothing with the live state");
  }

  @Test
  void aForwardedResultIsTheReplyWithNoEvents() {
    List<LockEvent> events = new ArrayList<>();
    LockReplica leader = new LockReplica(events::add);
    byte[] acquire = LockCommandCodec.encode(new LockCommand.Acquire(
        "lock-1", "client-1", 30_000, false, 0, 0, new TreeMap<>(), "req-1", 1_000));
    ApplyResult here = (ApplyResult) leader.apply(7, acquire);
    assertFalse(here.events().isEmpty(), "a grant publishes an event where it is applied");

    ApplyResult forwarded = (ApplyResult) new LockReplica(e -> {})
        .decodeResult(leader.encodeResult(here));
    assertEquals(here.reply(), forwarded.reply());
    assertEquals(List.of(), forwarded.events());
  }
}
