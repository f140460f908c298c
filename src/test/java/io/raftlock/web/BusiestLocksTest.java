package io.raftlock.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockLimits;
import io.raftlock.lock.LockStateMachine;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusiestLocksTest {
  static final long T0 = 1_700_000_000_000L;

  private final LockStateMachine sm = new LockStateMachine();
  private final RecentGrants recent = new RecentGrants(8);
  private long index;

  private void apply(LockCommand cmd) {
    sm.apply(++index, cmd).events().forEach(recent);
  }

  private void acquire(String lock, String client) {
    apply(new LockCommand.Acquire(lock, client, 60_000, false, 0, 0, null, "", T0 + index));
  }

  private void waitFor(String lock, String client) {
    apply(new LockCommand.EnqueueWaiter(lock, client, 60_000, 0, "", T0 + index));
  }

  private static List<String> ids(BusiestLocks.Summary s) {
    return s.shown().stream().map(LockInfo::lockId).toList();
  }

  @Test
  void mostWaitersFirstThenNewestGrant() {
    acquire("a", "c1");
    acquire("b", "c2");
    acquire("c", "c3");
    acquire("d", "c4");
    waitFor("c", "w1");
    waitFor("c", "w2");
    waitFor("a", "w3");
    BusiestLocks.Summary s = BusiestLocks.pick(sm, recent, 3);
    assertEquals(List.of("c", "a", "d"), ids(s)); // d: the newest grant among the uncontested
    assertEquals(4, s.stats().activeLocks());
    assertEquals(3, s.stats().waiters());
    LockInfo c = s.shown().get(0);
    assertEquals("c3", c.ownerId());
    assertEquals(3, c.token()); // the index of its granting entry
    assertEquals(2, c.waiterCount());
  }

  @Test
  void beyondOnePageContestedThenRecentGrantsStillHeld() {
    for (int i = 0; i < LockLimits.MAX_PAGE_LIMIT + 5; i++) {
      acquire(String.format("bulk-%05d", i), "bulk");
    }
    acquire("old", "c1");
    waitFor("bulk-00000", "w1");
    apply(new LockCommand.Release("old", "c1", index - 1, "", T0 + index)); // no longer held
    acquire("fresh", "c2");
    BusiestLocks.Summary s = BusiestLocks.pick(sm, recent, 4);
    List<String> expected = new ArrayList<>(List.of("bulk-00000", "fresh"));
    // The rest of the ring: the newest bulk grants, newest first; "old" is gone.
    expected.add(String.format("bulk-%05d", LockLimits.MAX_PAGE_LIMIT + 4));
    expected.add(String.format("bulk-%05d", LockLimits.MAX_PAGE_LIMIT + 3));
    assertEquals(expected, ids(s));
  }

  @Test
  void ringKeepsTheNewestGrantsOnly() {
    RecentGrants ring = new RecentGrants(2);
    LockStateMachine m = new LockStateMachine();
    for (int i = 1; i <= 3; i++) {
      m.apply(i, new LockCommand.Acquire("l" + i, "c", 1_000, false, 0, 0, null, "", T0)).events().forEach(ring);
    }
    assertEquals(List.of(new RecentGrants.Grant("l3", 3), new RecentGrants.Grant("l2", 2)), ring.newestFirst());
    assertThrows(IllegalArgumentException.class, () -> new RecentGrants(0));
  }
}
