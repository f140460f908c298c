package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The state machine's settings are replicated state: {@link LockStateMachine.Config#GENESIS} at
 * the start of every log, then whatever the applied {@link LockCommand.Configure} entries say, at
 * their index, on every replica; snapshots carry them.
 */
class ConfigureTest {
  private static final LockStateMachine.Config LOWER = new LockStateMachine.Config(2, 5_000, 2, 1);

  @Test
  void everyLogStartsFromTheFrozenGenesisSettings() {
    assertEquals(new LockStateMachine.Config(1000, 600_000, 100_000, 1000), LockStateMachine.Config.GENESIS,
        "GENESIS decides how every existing log replays: never change it (change RECOMMENDED instead)");
    assertEquals(LockStateMachine.Config.GENESIS, new LockStateMachine().config());
  }

  @Test
  void configureRoundTripsAndOutOfRangeSettingsDoNotDecode() {
    LockCommand.Configure c = new LockCommand.Configure(LOWER, T0);
    assertEquals(c, LockCommandCodec.decode(LockCommandCodec.encode(c)));
    byte[] negative = configureBytes(-1, 5_000, 2, 1);
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(negative));
    byte[] tooLong = configureBytes(2, LockStateMachine.Config.MAX_DEDUPE_RETENTION_MS + 1, 2, 1);
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(tooLong));

    LockStateMachine sm = new LockStateMachine();
    long before = sm.stateHash();
    LockReply reply = sm.apply(1, negative).reply();
    assertEquals(ErrorCode.INTERNAL_ERROR, ((LockReply.Error) reply).code());
    assertEquals(before, sm.stateHash(), "refused alike everywhere, and changes nothing");
  }

  @Test
  void aLoweredWaiterCapKeepsTheQueueAndRefusesNewWaitersFromItsIndexOn() {
    LockStateMachine sm = new LockStateMachine();
    sm.apply(1, Cmds.acquire("a", "holder", 30_000, T0));
    for (int i = 1; i <= 3; i++) {
      assertInstanceOf(LockReply.Queued.class, sm.apply(1 + i, wait("w" + i)).reply());
    }
    assertEquals(new LockReply.Configured(0), sm.apply(5, new LockCommand.Configure(LOWER, T0)).reply());
    assertEquals(LOWER, sm.config());
    assertEquals(3, sm.lockInfo("a").orElseThrow().waiterCount(), "queued waiters stay");
    assertEquals(ErrorCode.WAIT_QUEUE_FULL, ((LockReply.Error) sm.apply(6, wait("w4")).reply()).code());
    sm.apply(7, Cmds.cancel("a", "w1", T0));
    assertEquals(ErrorCode.WAIT_QUEUE_FULL, ((LockReply.Error) sm.apply(8, wait("w4")).reply()).code(),
        "two waiters left: still at the cap");
    sm.apply(9, Cmds.cancel("a", "w2", T0));
    assertInstanceOf(LockReply.Queued.class, sm.apply(10, wait("w4")).reply());
    sm.apply(11, new LockCommand.Configure(LockStateMachine.Config.GENESIS, T0));
    assertInstanceOf(LockReply.Queued.class, sm.apply(12, wait("w5")).reply(), "raised again");
  }

  @Test
  void loweredIdempotencyBoundsEvictTheOldestRequestIdsAtOnce() {
    LockStateMachine sm = new LockStateMachine();
    for (int i = 1; i <= 4; i++) { // client-owned request ids remembered at T0 + 1..4 s
      sm.apply(i, new LockCommand.CancelWait("x", "c", "r" + i, T0 + i * 1_000));
    }
    sm.apply(5, new LockCommand.OpenSession("s", 10_000, null, T0 + 4_000));
    for (int i = 1; i <= 3; i++) {
      sm.apply(5 + i, new LockCommand.CancelWait("x", "", "q" + i, T0 + 4_000, 5));
    }
    assertEquals(4 + 3, sm.stats().dedupeEntries()); // the client-owned ones and the session's
    // At T0 + 7.5 s a 5 s retention drops r1 and r2; a bound of 2 would keep r3 and r4 anyway;
    // the session keeps its newest request only.
    LockReply reply = sm.apply(9, new LockCommand.Configure(LOWER, T0 + 7_500)).reply();
    assertEquals(new LockReply.Configured(2 + 2), reply);
    assertEquals(2 + 1, sm.stats().dedupeEntries());

    LockStateMachine same = new LockStateMachine();
    same.apply(1, new LockCommand.Configure(new LockStateMachine.Config(1000, 600_000, 1, 1000), T0));
    LockCommand first = new LockCommand.Acquire("b", "c", 30_000, false, 0, 0, null, "k1", T0);
    assertEquals(new LockReply.Granted(2, T0, T0 + 30_000), same.apply(2, first).reply());
    same.apply(3, new LockCommand.Release("b", "c", 2, "k2", T0)); // evicts k1: the bound is 1
    assertEquals(new LockReply.Granted(4, T0, T0 + 30_000), same.apply(4, first).reply(),
        "a retry of an evicted request id runs again");
  }

  @Test
  void aSnapshotCarriesTheCommittedSettings() {
    LockStateMachine sm = new LockStateMachine();
    sm.apply(1, new LockCommand.Configure(LOWER, T0));
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(LOWER, back.config());
    assertEquals(sm.stateHash(), back.stateHash());
  }

  /**
   * A replica that replays the whole log from genesis and one that restores a snapshot taken at
   * any point and applies the rest end in the same state, Configure entries included.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void replayFromGenesisAndRestoreFromASnapshotEndIdentical(
      @ForAll("logs") List<Ops.Op> ops, @ForAll @IntRange(min = 0, max = 100) int snapshotPercent) {
    ReferenceModel model = new ReferenceModel(LockStateMachine.Config.GENESIS);
    Ops.Driver driver = new Ops.Driver();
    List<LockCommand> log = new ArrayList<>();
    for (Ops.Op op : ops) {
      LockCommand cmd = driver.next(op, model);
      model.apply(log.size() + 1, cmd);
      log.add(cmd);
    }
    LockStateMachine replayed = new LockStateMachine();
    for (int i = 0; i < log.size(); i++) {
      replayed.apply(i + 1, LockCommandCodec.encode(log.get(i)));
    }
    int cut = log.size() * snapshotPercent / 100;
    LockStateMachine before = new LockStateMachine();
    for (int i = 0; i < cut; i++) {
      before.apply(i + 1, LockCommandCodec.encode(log.get(i)));
    }
    LockStateMachine restored = LockStateMachine.restore(before.snapshot());
    for (int i = cut; i < log.size(); i++) {
      restored.apply(i + 1, LockCommandCodec.encode(log.get(i)));
    }
    assertEquals(replayed.config(), restored.config());
    assertEquals(replayed.stateHash(), restored.stateHash());
  }

  @Provide
  Arbitrary<List<Ops.Op>> logs() {
    return Ops.sequences(1, 120);
  }

  private static LockCommand wait(String client) {
    return Cmds.enqueue("a", client, 60_000, 0, T0);
  }

  private static byte[] configureBytes(long maxWaiters, long retentionMs, long maxEntries, long sessionMax) {
    ByteWriter w = new ByteWriter(32);
    w.writeByte(LockCommandCodec.VERSION);
    w.writeByte(LockCommandCodec.TAG_CONFIGURE);
    w.writeSignedVarLong(maxWaiters);
    w.writeSignedVarLong(retentionMs);
    w.writeSignedVarLong(maxEntries);
    w.writeSignedVarLong(sessionMax);
    w.writeSignedVarLong(T0);
    return w.toByteArray();
  }
}
