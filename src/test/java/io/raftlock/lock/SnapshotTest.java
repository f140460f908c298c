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
