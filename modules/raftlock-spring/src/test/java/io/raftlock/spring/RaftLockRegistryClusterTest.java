package io.raftlock.spring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.testing.JarCluster;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two application instances (two clients, two registries) share locks on a 3-node cluster of
 * server processes, through the Spring Integration {@code LockRegistry} API.
 */
class RaftLockRegistryClusterTest {
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static JarCluster cluster;
  private static RaftLockClient clientA;
  private static RaftLockClient clientB;
  private static RaftLockRegistry registryA;
  private static RaftLockRegistry registryB;
  /** Instance B's thread: a lock is owned by the thread that took it. */
  private static ExecutorService threadB;

  private final String key = "orders/" + UUID.randomUUID();

  @BeforeAll
  static void start() {
    cluster = JarCluster.shared();
    clientA = RaftLockClient.builder().endpoints(cluster.endpoints()).build();
    clientB = RaftLockClient.builder().endpoints(cluster.endpoints()).build();
    registryA = new RaftLockRegistry(clientA, LEASE);
    registryB = new RaftLockRegistry(clientB, LEASE);
    threadB = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  static void stop() {
    threadB.shutdownNow();
    clientA.close();
    clientB.close();
  }

  private static <T> T onB(java.util.concurrent.Callable<T> step) throws Exception {
    return threadB.submit(step).get(60, TimeUnit.SECONDS);
  }

  /** {@code lock.tryLock()} on instance B's thread. */
  private static boolean tryOnB(Lock lock) throws Exception {
    return onB(lock::tryLock);
  }

  @Test
  void obtainGivesOneLockPerKeyAndEachHoldingAHigherFencingToken() {
    RaftLockRegistryLock lock = registryA.obtain(key);
    assertSame(lock, registryA.obtain(key));

    lock.lock();
    long first = lock.token();
    assertTrue(lock.handle().isHeld());
    lock.unlock();
    assertThrows(IllegalStateException.class, lock::token, "no token once unlocked");

    lock.lock();
    assertTrue(lock.token() > first, "tokens of one lock increase");
    lock.unlock();
  }

  @Test
  void anotherInstanceWaitsForAHeldLockAndIsGrantedItOnRelease() throws Exception {
    Lock a = registryA.obtain(key);
    RaftLockRegistryLock b = registryB.obtain(key);
    a.lock();
    long tokenA = registryA.obtain(key).token();
    assertFalse(tryOnB(b), "held by instance A");

    CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return b.tryLock(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, threadB);
    a.unlock();

    assertTrue(waiting.get(30, TimeUnit.SECONDS), "granted when A released it");
    assertTrue(onB(b::token) > tokenA);
    onB(() -> {
      b.unlock();
      return null;
    });
  }

  @Test
  void theLockIsReentrantForItsThreadAndReleasedOnTheClusterAtTheLastUnlock() throws Exception {
    Lock a = registryA.obtain(key);
    Lock b = registryB.obtain(key);
    a.lock();
    a.lock();
    assertFalse(CompletableFuture.supplyAsync(a::tryLock).get(), "another thread of the same instance");
    assertThrows(IllegalStateException.class, () -> {
      try {
        CompletableFuture.runAsync(a::unlock).join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause();
      }
    }, "only the owning thread unlocks");

    a.unlock();
    assertFalse(tryOnB(b), "still held after the inner unlock");
    a.unlock();
    assertTrue(tryOnB(b), "released by the outer unlock");
    onB(() -> {
      b.unlock();
      return null;
    });
  }

  @Test
  void executeLockedRunsTheTaskUnderTheLock() throws Exception {
    Lock b = registryB.obtain(key);
    boolean heldMeanwhile = registryA.executeLocked(key, () -> !tryOnB(b));
    assertTrue(heldMeanwhile);
    assertTrue(tryOnB(b));
    onB(() -> {
      b.unlock();
      return null;
    });
  }

  @Test
  void renewLockConfirmsTheCallersLockAndRefusesAnyOther() {
    assertThrows(IllegalStateException.class, () -> registryA.renewLock(key), "not held");
    Lock a = registryA.obtain(key);
    a.lock();
    registryA.renewLock(key);
    registryA.renewLock(key, Duration.ofSeconds(10));
    a.unlock();
    assertThrows(IllegalStateException.class, () -> registryA.renewLock(key), "unlocked");
  }

  @Test
  void expireUnusedOlderThanForgetsOnlyLocksNoThreadHolds() {
    RaftLockRegistry registry = new RaftLockRegistry(clientA, LEASE);
    RaftLockRegistryLock unused = registry.obtain(key + "/unused");
    RaftLockRegistryLock held = registry.obtain(key + "/held");
    held.lock();
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      registry.expireUnusedOlderThan(0);
      return registry.size() == 1;
    });
    assertSame(held, registry.obtain(key + "/held"));
    assertNotEquals(unused, registry.obtain(key + "/unused"));
    held.unlock();
  }

  @Test
  void aHeldLockIsKeptThroughALeaderKillAndReleasedThroughTheNewLeader() throws Exception {
    // A lease that leaves room for an election and a retry on a loaded machine.
    Duration lease = Duration.ofSeconds(5);
    RaftLockRegistryLock a = new RaftLockRegistry(clientA, lease).obtain(key);
    RaftLockRegistryLock b = registryB.obtain(key);
    a.lock();
    long tokenA = a.token();
    LockHandle holding = a.handle();
    String killed = cluster.awaitLeader(Duration.ofSeconds(30));
    try {
      cluster.kill(killed);
      assertNotEquals(killed, cluster.awaitLeader(Duration.ofSeconds(30)));
      assertFalse(tryOnB(b), "B cannot take A's lock on the new leader");
      // longer than the lease: only the client's keep-alive, now through the new leader, keeps it
      await().during(lease.plusSeconds(1)).atMost(lease.plusSeconds(10)).until(holding::isHeld);
      assertFalse(tryOnB(b), "still A's after a whole lease");
      a.unlock();
      assertTrue(tryOnB(b), "released through the new leader");
      assertTrue(onB(b::token) > tokenA);
      onB(() -> {
        b.unlock();
        return null;
      });
    } finally {
      cluster.start(killed);
    }
    assertEquals(null, holding.lostReason(), "never lost");
  }
}
