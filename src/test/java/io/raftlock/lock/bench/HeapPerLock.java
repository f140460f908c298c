package io.raftlock.lock.bench;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockStateMachine;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap cost of held locks and of waiters: used heap after full GCs, before and after building the
 * state. Run with {@code scripts/bench-lock.sh} (a figure for the docs, not a test). Lock ids
 * and client ids are counted (they are retained by the state machine); commands are not.
 *
 * <p>Usage: {@code HeapPerLock [locks]}
 */
public final class HeapPerLock {
  static final long T0 = 1_700_000_000_000L;

  private HeapPerLock() {}

  /** {@code locks} held locks "lock-i", owners drawn from {@code clients} distinct client ids. */
  static LockStateMachine heldLocks(int locks, int clients) {
    LockStateMachine sm = new LockStateMachine();
    String[] clientIds = new String[clients];
    for (int i = 0; i < clients; i++) {
      clientIds[i] = "client-" + i;
    }
    for (int i = 0; i < locks; i++) {
      sm.apply(i + 1, new LockCommand.Acquire("lock-" + i, clientIds[i % clients], 60_000, false,
          0, 0, null, "", T0));
    }
    return sm;
  }

  public static void main(String[] args) {
    int locks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    System.out.printf("held locks, distinct client per lock: %.1f bytes/lock%n",
        perItem(locks, () -> heldLocks(locks, locks)));
    System.out.printf("held locks, 1000 clients share them:  %.1f bytes/lock%n",
        perItem(locks, () -> heldLocks(locks, 1000)));
    int lockCount = 1000;
    int waitersPerLock = 100;
    LockStateMachine base = heldLocks(lockCount, lockCount);
    long before = usedAfterGc();
    long index = lockCount;
    for (int l = 0; l < lockCount; l++) {
      for (int w = 0; w < waitersPerLock; w++) {
        base.apply(++index, new LockCommand.Acquire("lock-" + l, "waiter-" + l + "-" + w, 60_000,
            true, 600_000, 0, null, "", T0));
      }
    }
    long after = usedAfterGc();
    System.out.printf("waiters (%d locks x %d), distinct client per waiter: %.1f bytes/waiter%n",
        lockCount, waitersPerLock, (after - before) / (double) (lockCount * waitersPerLock));
    System.out.println("(check: " + base.stats().waiters() + " waiters)");
  }

  private static double perItem(int items, java.util.function.Supplier<LockStateMachine> build) {
    long before = usedAfterGc();
    LockStateMachine sm = build.get();
    long after = usedAfterGc();
    if (sm.stats().activeLocks() != items) {
      throw new IllegalStateException("expected " + items + " locks");
    }
    return (after - before) / (double) items;
  }

  private static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 5; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
