package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * restore(snapshot(s)) equals s: same bytes, same hash, same queries, and the same future
 * behaviour (replies, events, hashes) under the same suffix of commands.
 */
class SnapshotTest {
  private static final LockStateMachine.Config CONFIG = LockStateMachineModelTest.CONFIG;

  @Provide
  Arbitrary<List<Ops.Op>> sequences() {
    return Ops.sequences(2, 80);
  }

  @Property(tries = 2000, edgeCases = EdgeCasesMode.NONE)
  void restoredMachineBehavesLikeTheOriginal(@ForAll("sequences") List<Ops.Op> ops,
      @ForAll @IntRange(min = 0, max = 100) int splitPercent) {
    LockStateMachine original = new LockStateMachine(CONFIG);
    ReferenceModel driverModel = new ReferenceModel(CONFIG);
    Ops.Driver driver = new Ops.Driver();
    int split = ops.size() * splitPercent / 100;
    long index = 0;
    for (Ops.Op op : ops.subList(0, split)) {
      LockCommand cmd = driver.next(op, driverModel);
      index++;
      driverModel.apply(index, cmd);
      original.apply(index, cmd);
    }
    byte[] snapshot = original.snapshot();
    LockStateMachine restored = LockStateMachine.restore(snapshot);
    assertArrayEquals(snapshot, restored.snapshot());
    assertEquals(original.stateHash(), restored.stateHash());
    assertSameQueries(original, restored);
    for (Ops.Op op : ops.subList(split, ops.size())) {
      LockCommand cmd = driver.next(op, driverModel);
      index++;
      driverModel.apply(index, cmd);
      assertEquals(original.apply(index, cmd), restored.apply(index, cmd), cmd.toString());
      assertEquals(original.stateHash(), restored.stateHash());
    }
    assertSameQueries(original, restored);
    // What the node's off-loop snapshots rely on: restore + replay gives the live bytes.
    assertArrayEquals(original.snapshot(), restored.snapshot());
  }

  private static void assertSameQueries(LockStateMachine a, LockStateMachine b) {
    assertEquals(a.listLocks(LockFilter.ALL, 1000, 0), b.listLocks(LockFilter.ALL, 1000, 0));
    assertEquals(a.stats(), b.stats());
    assertEquals(a.nextDeadlineMs(), b.nextDeadlineMs());
    assertEquals(a.smTimeMs(), b.smTimeMs());
  }

  @Property(tries = 2000)
  void garbageSnapshotsThrowOnlyTheTypedException(@ForAll @Size(max = 200) byte[] garbage) {
    try {
      LockStateMachine.restore(garbage);
    } catch (LockCodecException expected) {
      // The only failure allowed.
    }
  }

  @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
  void corruptedSnapshotsAreRejected(@ForAll("sequences") List<Ops.Op> ops,
      @ForAll @IntRange(min = 0, max = 100_000) int where, @ForAll boolean truncate) {
    LockStateMachine sm = new LockStateMachine(CONFIG);
    ReferenceModel driverModel = new ReferenceModel(CONFIG);
    Ops.Driver driver = new Ops.Driver();
    long index = 0;
    for (Ops.Op op : ops) {
      LockCommand cmd = driver.next(op, driverModel);
      driverModel.apply(++index, cmd);
      sm.apply(index, cmd);
    }
    byte[] snapshot = sm.snapshot();
    int at = where % snapshot.length;
    byte[] bad = truncate ? Arrays.copyOf(snapshot, at) : snapshot.clone();
    if (!truncate) {
      bad[at] ^= (byte) (1 + where % 255);
    }
    assertThrows(LockCodecException.class, () -> LockStateMachine.restore(bad));
  }

  @Test
  void versionTwoSnapshotsAreStillReadAndTheirRequestIdsMatchAnyCommand() {
    ByteWriter w = new ByteWriter(64);
    w.writeFixedInt(SnapshotCodec.MAGIC);
    w.writeByte(2);
    w.writeVarLong(1000); // maxWaitersPerLock
    w.writeVarLong(600_000); // dedupeRetentionMs
    w.writeVarLong(100_000); // dedupeMaxEntries
    w.writeSignedVarLong(Cmds.T0);
    for (int i = 0; i < 7; i++) {
      w.writeSignedVarLong(i == 0 ? 1 : 0); // counters: one grant
    }
    w.writeVarLong(1); // lock "a" held by "c"
    w.writeString("a");
    w.writeString("c");
    w.writeSignedVarLong(1); // token
    w.writeSignedVarLong(Cmds.T0);
    w.writeSignedVarLong(Cmds.T0 + 10_000);
    w.writeSignedVarLong(10_000); // leaseTtlMs
    w.writeVarLong(0); // metadata
    w.writeVarLong(0); // waiters
    w.writeVarLong(1); // dedupe: (c, r1) -> Granted(1, T0, T0 + 10 s)
    w.writeString("c");
    w.writeString("r1");
    w.writeSignedVarLong(Cmds.T0);
    ReplyCodec.write(w, new LockReply.Granted(1, Cmds.T0, Cmds.T0 + 10_000));
    LockStateMachine sm = LockStateMachine.restore(SnapshotCodec.sealed(w));
    assertEquals(new LockInfo("a", "c", 1, Cmds.T0, Cmds.T0 + 10_000, 0, List.of(),
        new java.util.TreeMap<>()), sm.lockInfo("a").orElseThrow());
    assertEquals(LockLimits.DEFAULT_SESSION_DEDUPE_MAX_ENTRIES,
        sm.config.sessionDedupeMaxEntries());
    assertEquals(0, sm.stats().sessions());
    // The remembered reply has no fingerprint: as before fingerprints, the id alone decides.
    assertEquals(new LockReply.Granted(1, Cmds.T0, Cmds.T0 + 10_000),
        sm.apply(2, new LockCommand.Release("a", "c", 1, "r1", Cmds.T0)).reply());
    byte[] v3 = sm.snapshot();
    assertEquals(SnapshotCodec.VERSION, v3[4]);
    assertEquals(sm.stateHash(), LockStateMachine.restore(v3).stateHash());
  }

  @Test
  void versionFourSnapshotsAreStillReadWithNothingNumbered() {
    ByteWriter w = new ByteWriter(64);
    w.writeFixedInt(SnapshotCodec.MAGIC);
    w.writeByte(SnapshotCodec.VERSION_WITHOUT_ACKS);
    for (long v : new long[] {1000, 600_000, 100_000, 1000}) {
      w.writeVarLong(v); // config
    }
    w.writeSignedVarLong(Cmds.T0);
    for (int i = 0; i < 7; i++) {
      w.writeSignedVarLong(0); // counters
    }
    AclCodec.writeState(w, AclState.EMPTY);
    w.writeVarLong(1); // session 1 "w", remembering r1 -> Released
    w.writeSignedVarLong(1);
    w.writeString("w");
    w.writeSignedVarLong(10_000);
    w.writeSignedVarLong(Cmds.T0 + 10_000);
    w.writeVarLong(0); // metadata
    w.writeString(""); // principal
    w.writeVarLong(1);
    w.writeString("r1");
    w.writeSignedVarLong(CommandFingerprint.UNKNOWN);
    ReplyCodec.write(w, new LockReply.Released(false));
    w.writeVarLong(0); // locks
    w.writeVarLong(0); // dedupe
    LockStateMachine sm = LockStateMachine.restore(SnapshotCodec.sealed(w));
    assertEquals(1, sm.sessionInfo(1).orElseThrow().rememberedRequests());
    // The unnumbered reply is still an answer, and no acknowledgement drops it (only the cap).
    LockCommand.Release retry = new LockCommand.Release("a", "", 1, "r1", Cmds.T0, 1);
    assertEquals(new LockReply.Released(false), sm.apply(2, retry).reply());
    sm.apply(3, new LockCommand.Sequenced(9, 9, new LockCommand.Release("a", "", 1, "r9", Cmds.T0, 1)));
    assertEquals(new LockReply.Released(false), sm.apply(4, retry).reply());
    byte[] v5 = sm.snapshot();
    assertEquals(SnapshotCodec.VERSION, v5[4]);
    assertEquals(sm.stateHash(), LockStateMachine.restore(v5).stateHash());
  }

  @Test
  void snapshotsNamingAnUnknownSessionAreRejected() {
    LockStateMachine sm = new LockStateMachine();
    sm.apply(1, new LockCommand.OpenSession("w", 10_000, null, Cmds.T0));
    sm.apply(2, new LockCommand.Acquire("a", "", 0, false, 0, 0, null, "", Cmds.T0, 1));
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(sm.lockInfo("a"), back.lockInfo("a"));
    assertEquals(sm.sessionInfo(1), back.sessionInfo(1));
    // Drop the session from the table: the lock now names a session the snapshot lacks.
    back.sessions.remove(back.sessions.get(1));
    assertThrows(LockCodecException.class, () -> LockStateMachine.restore(back.snapshot()));
  }

  @Test
  void emptyMachineRoundTripsAndConfigIsKept() {
    LockStateMachine.Config config = new LockStateMachine.Config(7, 1234, 56);
    LockStateMachine sm = new LockStateMachine(config);
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(sm.stateHash(), back.stateHash());
    assertEquals(config, back.config);
    assertNotEquals(sm.stateHash(), new LockStateMachine().stateHash());
  }

  @Test
  void hashCoversTheIdempotencyTableAndTime() {
    LockStateMachine a = new LockStateMachine();
    LockStateMachine b = new LockStateMachine();
    a.apply(1, new LockCommand.CancelWait("x", "c", "r1", Cmds.T0));
    b.apply(1, new LockCommand.CancelWait("x", "c", "r2", Cmds.T0));
    assertNotEquals(a.stateHash(), b.stateHash());
    LockStateMachine c = new LockStateMachine();
    c.apply(1, new LockCommand.Expire(Cmds.T0 + 1));
    LockStateMachine d = new LockStateMachine();
    d.apply(1, new LockCommand.Expire(Cmds.T0));
    assertNotEquals(c.stateHash(), d.stateHash());
  }
}
