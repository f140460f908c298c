package io.raftlock.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The lock state machine as Raft's state machine: leader time stamping, forwarded results. */
class LockReplicaTest {
  @Test
  void theLeaderStampsItsClockOnEveryCommand() {
    LockReplica replica = new LockReplica(e -> {});
    LockCommand built = new LockCommand.Renew("lock-1", "client-1", 7, 30_000, "req-9", 111);
    LockCommand stamped = LockCommandCodec.decode(replica.stampOnLeader(LockCommandCodec.encode(built), 999));
    assertEquals(new LockCommand.Renew("lock-1", "client-1", 7, 30_000, "req-9", 999), stamped);
    byte[] garbage = {42, 42};
    assertEquals(garbage, replica.stampOnLeader(garbage, 999), "unreadable bytes pass through untouched");
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
