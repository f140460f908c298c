package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static io.raftlock.lock.Cmds.acquire;
import static io.raftlock.lock.Cmds.acquireWait;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LockQueriesTest {
  private final LockStateMachine sm = new LockStateMachine();

  @BeforeEach
  void fill() {
    sm.apply(1, Cmds.acquireMeta("db/users", "svc-a", Map.of("env", "prod", "team", "x"), T0));
    sm.apply(2, acquire("db/orders", "svc-b", 20_000, T0));
    sm.apply(3, acquire("cache/1", "svc-a", 5_000, T0));
    sm.apply(4, acquireWait("db/orders", "svc-c", 5_000, 60_000, 0, T0));
  }

  private List<String> ids(LockFilter f) {
    return sm.listLocks(f, 0, 0).locks().stream().map(LockInfo::lockId).toList();
  }

  @Test
  void listsAllSortedByLockId() {
    assertEquals(List.of("cache/1", "db/orders", "db/users"), ids(LockFilter.ALL));
  }

  @Test
  void filtersByGlobsContentionExpiryAndMetadata() {
    assertEquals(List.of("db/orders", "db/users"), ids(LockFilter.ALL.withLockIdGlob("db/*")));
    assertEquals(List.of("cache/1", "db/users"), ids(LockFilter.ALL.withOwnerGlob("*-a")));
    assertEquals(List.of("db/orders"), ids(LockFilter.ALL.withOnlyContested(true)));
    assertEquals(List.of("cache/1"), ids(LockFilter.ALL.withExpiryWindow(null, T0 + 10_000)));
    assertEquals(List.of("db/orders"), ids(LockFilter.ALL.withExpiryWindow(T0 + 10_000, null)));
    assertEquals(List.of("db/users"), ids(LockFilter.ALL.withMetadata(Map.of("env", "prod"))));
    assertEquals(List.of(), ids(LockFilter.ALL.withMetadata(Map.of("env", "dev"))));
    assertEquals(List.of("db/users"),
        ids(new LockFilter("db/?sers", "svc-?", true, false, null, null, null)));
  }

  @Test
  void paginates() {
    LockPage first = sm.listLocks(LockFilter.ALL, 2, 0);
    assertEquals(3, first.total());
    assertTrue(first.hasMore());
    assertEquals(2, first.locks().size());
    LockPage second = sm.listLocks(LockFilter.ALL, 2, 2);
    assertEquals(List.of("db/users"), second.locks().stream().map(LockInfo::lockId).toList());
    assertFalse(second.hasMore());
    assertEquals(0, sm.listLocks(LockFilter.ALL, 2, 10).locks().size());
    assertThrows(IllegalArgumentException.class, () -> sm.listLocks(LockFilter.ALL, 2, -1));
    assertEquals(LockLimits.MAX_PAGE_LIMIT, LockLimits.pageLimit(5_000));
    assertEquals(LockLimits.DEFAULT_PAGE_LIMIT, LockLimits.pageLimit(0));
  }

  @Test
  void lockInfoShowsWaiters() {
    LockInfo info = sm.lockInfo("db/orders").orElseThrow();
    assertEquals(List.of(new WaiterInfo("svc-c", 0, T0, T0 + 60_000, 0)), info.waiters());
    assertEquals(1, info.waiterCount());
    assertTrue(sm.lockInfo("nope").isEmpty());
  }

  @Test
  void globs() {
    assertTrue(Glob.matches("*", ""));
    assertTrue(Glob.matches("a*b*c", "axxbyyc"));
    assertTrue(Glob.matches("a?c", "abc"));
    assertFalse(Glob.matches("a?c", "ac"));
    assertTrue(Glob.matches("*x", "xxx"));
    assertFalse(Glob.matches("a*b", "acbd"));
    assertTrue(Glob.matches("**", "anything"));
    assertTrue(Glob.matches(null, "x"));
  }

  @Test
  void freeLocksAreDropped() {
    LockStateMachine fresh = new LockStateMachine();
    long index = 0;
    for (int i = 0; i < 10_000; i++) {
      fresh.apply(++index, acquire("lock-" + i, "c", 5_000, T0 + i));
      fresh.apply(++index, Cmds.release("lock-" + i, "c", index - 1, T0 + i));
    }
    assertEquals(0, fresh.stats().activeLocks());
    assertEquals(0, fresh.table.locks.size());
    assertEquals(0, fresh.table.leases.size());
  }
}
