package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static io.raftlock.lock.Cmds.acquire;
import static io.raftlock.lock.Cmds.acquireWait;
import static io.raftlock.lock.Cmds.enqueue;
import static io.raftlock.lock.Cmds.release;
import static io.raftlock.lock.Cmds.renew;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * {@link LockCommand.Promote}: after a leader change no lease ends before
 * {@code t + leaseTtl}, where {@code t} is the (clamped) time of the Promote entry; a lease is
 * never shortened; {@code leaseTtlMs} follows grants, promotions and renews and survives
 * snapshots.
 */
class PromoteTest {
  private final LockStateMachine sm = new LockStateMachine();

  private long leaseTtl(LockStateMachine m, String lockId) {
    return m.table.get(lockId).leaseTtlMs;
  }

  private long expiresAt(String lockId) {
    return sm.lockInfo(lockId).orElseThrow().expiresAtMs();
  }

  @Test
  void newLeaderWithAClockAheadDoesNotCutTheLeaseShort() {
    // Old leader granted at T0 for 10 s; the new leader's clock reads T0 + 7 s when it takes over.
    sm.apply(1, acquire("a", "h", 10_000, T0));
    ApplyResult p = sm.apply(2, new LockCommand.Promote(T0 + 7_000));
    assertEquals(new LockReply.Promoted(1), p.reply());
    assertTrue(p.events().isEmpty());
    assertEquals(T0 + 17_000, expiresAt("a"));
    assertEquals(T0 + 17_000, sm.nextDeadlineMs());
    assertEquals(T0 + 7_000, sm.smTimeMs());
    // The old deadline has passed on the new clock, but the lease is not due.
    ApplyResult early = sm.apply(3, new LockCommand.Expire(T0 + 16_999));
    assertEquals(new LockReply.Expired(0, 0), early.reply());
    LockInfo info = sm.lockInfo("a").orElseThrow();
    assertEquals("h", info.ownerId());
    assertEquals(1, info.token());
    assertEquals(T0, info.acquiredAtMs());
    ApplyResult due = sm.apply(4, new LockCommand.Expire(T0 + 17_000));
    assertEquals(new LockReply.Expired(1, 0), due.reply());
    assertEquals(List.of(new LockEvent.Expired("a", "h", 1, 4)), due.events());
    assertTrue(sm.lockInfo("a").isEmpty());
  }

  @Test
  void promoteNeverShortensALease() {
    // Time is already T0 + 5 s; a Promote stamped T0 (a leader clock behind) uses the clamped time.
    sm.apply(1, acquire("a", "h", 10_000, T0 + 5_000));
    ApplyResult p = sm.apply(2, new LockCommand.Promote(T0));
    assertEquals(new LockReply.Promoted(0), p.reply());
    assertEquals(T0 + 15_000, expiresAt("a"));
    assertEquals(T0 + 5_000, sm.smTimeMs());
    // A repeat at the same time changes nothing (not even the hash).
    long hash = sm.stateHash();
    assertEquals(new LockReply.Promoted(0),
        sm.apply(3, new LockCommand.Promote(T0 + 5_000)).reply());
    assertEquals(hash, sm.stateHash());
  }

  @Test
  void promoteUsesTheTtlOfTheLastRenewAndKeepsTheLeaseHeapInOrder() {
    sm.apply(1, acquire("a", "h1", 10_000, T0)); // ends T0 + 10 s, ttl 10 s
    sm.apply(2, acquire("b", "h2", 3_000, T0));
    ApplyResult r = sm.apply(3, renew("b", "h2", 2, 9_000, T0 + 2_000)); // ends T0 + 11 s
    assertEquals(new LockReply.Renewed(T0 + 11_000), r.reply());
    assertEquals(9_000, leaseTtl(sm, "b"));
    assertEquals(T0 + 10_000, sm.nextDeadlineMs()); // a first
    assertEquals(new LockReply.Promoted(2),
        sm.apply(4, new LockCommand.Promote(T0 + 5_000)).reply());
    // The order flips: b (T0 + 14 s) now ends before a (T0 + 15 s).
    assertEquals(T0 + 15_000, expiresAt("a"));
    assertEquals(T0 + 14_000, expiresAt("b"));
    assertEquals(T0 + 14_000, sm.nextDeadlineMs());
    ApplyResult first = sm.apply(5, new LockCommand.Expire(T0 + 14_000));
    assertEquals(List.of(new LockEvent.Expired("b", "h2", 2, 5)), first.events());
    assertEquals(new LockReply.Expired(0, 0),
        sm.apply(6, new LockCommand.Expire(T0 + 14_999)).reply());
    assertEquals(T0 + 15_000, sm.nextDeadlineMs());
    ApplyResult second = sm.apply(7, new LockCommand.Expire(T0 + 15_000));
    assertEquals(List.of(new LockEvent.Expired("a", "h1", 1, 7)), second.events());
    assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
  }

  @Test
  void promoteMeasuresFromTheClampedTimeNotTheCommandStamp() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquire("b", "h", 60_000, T0 + 5_000)); // state-machine time is now T0 + 5 s
    // The new leader's clock reads T0 + 1 s: the grace is measured from T0 + 5 s. b was granted
    // at T0 + 5 s and already ends at T0 + 5 s + 60 s: not extended.
    assertEquals(new LockReply.Promoted(1),
        sm.apply(3, new LockCommand.Promote(T0 + 1_000)).reply());
    assertEquals(T0 + 15_000, expiresAt("a"));
    assertEquals(T0 + 65_000, expiresAt("b"));
  }

  @Test
  void leaseTtlIsSetOnGrantAndRenew() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    assertEquals(10_000, leaseTtl(sm, "a"));
    sm.apply(2, renew("a", "h", 1, 2_000, T0 + 1_000));
    assertEquals(2_000, leaseTtl(sm, "a"));
    // A failed renew (wrong token) changes nothing.
    sm.apply(3, renew("a", "h", 99, 50_000, T0 + 1_000));
    assertEquals(2_000, leaseTtl(sm, "a"));
    // A re-acquire by the holder is not a renew.
    sm.apply(4, acquire("a", "h", 60_000, T0 + 1_000));
    assertEquals(2_000, leaseTtl(sm, "a"));
    assertEquals(new LockReply.Promoted(1),
        sm.apply(5, new LockCommand.Promote(T0 + 2_000)).reply());
    assertEquals(T0 + 4_000, expiresAt("a"));
  }

  @Test
  void promotedWaiterGetsItsOwnTtlAsLeaseTtl() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "w", 4_000, 60_000, 0, T0));
    sm.apply(3, release("a", "h", 1, T0 + 1_000));
    assertEquals("w", sm.lockInfo("a").orElseThrow().ownerId());
    assertEquals(4_000, leaseTtl(sm, "a"));
    sm.apply(4, new LockCommand.Promote(T0 + 3_000));
    assertEquals(T0 + 7_000, expiresAt("a")); // not T0 + 13 s from the old holder's TTL
  }

  @Test
  void waiterPromotedOnExpiryOrFromEnqueueWaiterGetsItsTtl() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "w", 6_000, 60_000, 0, T0));
    sm.apply(3, new LockCommand.Expire(T0 + 10_000));
    assertEquals("w", sm.lockInfo("a").orElseThrow().ownerId());
    assertEquals(6_000, leaseTtl(sm, "a"));
    sm.apply(4, acquire("b", "h", 10_000, T0 + 10_000));
    sm.apply(5, enqueue("b", "e", 60_000, 0, T0 + 10_000));
    sm.apply(6, release("b", "h", 4, T0 + 11_000));
    assertEquals("e", sm.lockInfo("b").orElseThrow().ownerId());
    assertEquals(LockLimits.DEFAULT_TTL_MS, leaseTtl(sm, "b"));
  }

  @Test
  void waitersAndTheirDeadlinesAreUntouched() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "w", 4_000, 5_000, 0, T0));
    LockInfo before = sm.lockInfo("a").orElseThrow();
    sm.apply(3, new LockCommand.Promote(T0 + 1_000));
    LockInfo after = sm.lockInfo("a").orElseThrow();
    assertEquals(before.waiters(), after.waiters());
    assertEquals(T0 + 5_000, sm.nextDeadlineMs()); // the wait deadline, not moved
  }

  @Test
  void promoteOnAnEmptyMachineOnlyAdvancesTime() {
    assertEquals(new LockReply.Promoted(0), sm.apply(1, new LockCommand.Promote(T0)).reply());
    assertEquals(T0, sm.smTimeMs());
    assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
  }

  @Test
  void invalidPromoteChangesNothing() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    long hash = sm.stateHash();
    ApplyResult r = sm.apply(2, new LockCommand.Promote(-1));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertInstanceOf(LockReply.Error.class, r.reply()).code());
    r = sm.apply(3, new LockCommand.Promote(LockLimits.MAX_TIME_MS + 1));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        assertInstanceOf(LockReply.Error.class, r.reply()).code());
    assertEquals(hash, sm.stateHash());
  }

  @Test
  void promoteAsBytesThroughTheStateMachine() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    ApplyResult r = sm.apply(2, LockCommandCodec.encode(new LockCommand.Promote(T0 + 1_000)));
    assertEquals(new LockReply.Promoted(1), r.reply());
    assertEquals(T0 + 11_000, expiresAt("a"));
  }

  @Test
  void snapshotKeepsLeaseTtlAndTheHashCoversIt() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, renew("a", "h", 1, 60_000, T0 + 1_000));
    sm.apply(3, acquire("b", "h", 5_000, T0 + 1_000));
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(60_000, leaseTtl(back, "a"));
    assertEquals(5_000, leaseTtl(back, "b"));
    assertEquals(sm.stateHash(), back.stateHash());
    // Same future: the restored machine promotes with the restored TTLs.
    LockCommand promote = new LockCommand.Promote(T0 + 2_000);
    assertEquals(new LockReply.Promoted(2), sm.apply(4, promote).reply());
    assertEquals(new LockReply.Promoted(2), back.apply(4, promote).reply());
    assertEquals(T0 + 62_000, back.lockInfo("a").orElseThrow().expiresAtMs());
    assertEquals(T0 + 7_000, back.lockInfo("b").orElseThrow().expiresAtMs());
    assertEquals(sm.stateHash(), back.stateHash());
    // Two states that differ only in a lease's TTL have different hashes.
    back.table.get("a").leaseTtlMs = 59_999;
    assertNotEquals(sm.stateHash(), back.stateHash());
  }

  @Test
  void versionOneSnapshotRestoresWithAnUpperBoundOfTheTtl() {
    byte[] v1 = versionOneSnapshot(
        new long[] {T0, T0 + 10_000},                 // never renewed: exactly the TTL
        new long[] {T0, T0 + 3 * 24 * 3_600_000L});   // renewed for days: capped at MAX_TTL_MS
    LockStateMachine m = LockStateMachine.restore(v1);
    assertEquals(10_000, leaseTtl(m, "l0"));
    assertEquals(LockLimits.MAX_TTL_MS, leaseTtl(m, "l1"));
    assertEquals(T0 + 10_000, m.nextDeadlineMs());
    // Written back as the current version, which a restore reads to the same state.
    byte[] v2 = m.snapshot();
    assertEquals(SnapshotCodec.VERSION, v2[4]);
    assertEquals(5, SnapshotCodec.VERSION);
    assertEquals(m.stateHash(), LockStateMachine.restore(v2).stateHash());
  }

  /** A version-1 snapshot (no leaseTtlMs) of default config, with locks l0, l1, ... */
  private static byte[] versionOneSnapshot(long[]... acquiredAndExpires) {
    ByteWriter w = new ByteWriter(64);
    w.writeFixedInt(SnapshotCodec.MAGIC);
    w.writeByte(1);
    w.writeVarLong(LockStateMachine.Config.GENESIS.maxWaitersPerLock());
    w.writeVarLong(LockStateMachine.Config.GENESIS.dedupeRetentionMs());
    w.writeVarLong(LockStateMachine.Config.GENESIS.dedupeMaxEntries());
    w.writeSignedVarLong(T0); // smTimeMs
    for (int i = 0; i < 7; i++) {
      w.writeSignedVarLong(0); // counters
    }
    w.writeVarLong(acquiredAndExpires.length);
    for (int i = 0; i < acquiredAndExpires.length; i++) {
      w.writeString("l" + i);
      w.writeString("h");
      w.writeSignedVarLong(i + 1); // token
      w.writeSignedVarLong(acquiredAndExpires[i][0]);
      w.writeSignedVarLong(acquiredAndExpires[i][1]);
      w.writeVarLong(0); // metadata
      w.writeVarLong(0); // waiters
    }
    w.writeVarLong(0); // dedupe
    return SnapshotCodec.sealed(w);
  }

  @Provide
  Arbitrary<List<Ops.Op>> sequences() {
    return Ops.sequences(1, 80);
  }

  /** Two replicas applying the same log, Promotes included, stay byte-for-byte equal. */
  @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
  void replicasApplyingTheSameLogHaveEqualState(@ForAll("sequences") List<Ops.Op> ops) {
    LockStateMachine.Config config = LockStateMachineModelTest.CONFIG;
    LockStateMachine a = new LockStateMachine(config);
    LockStateMachine b = new LockStateMachine(config);
    ReferenceModel driverModel = new ReferenceModel(config);
    Ops.Driver driver = new Ops.Driver();
    long index = 0;
    for (Ops.Op op : ops) {
      LockCommand cmd = driver.next(op, driverModel);
      index++;
      driverModel.apply(index, cmd);
      byte[] entry = LockCommandCodec.encode(cmd);
      assertEquals(a.apply(index, entry), b.apply(index, entry), cmd.toString());
      assertEquals(a.stateHash(), b.stateHash(), cmd.toString());
    }
  }
}
