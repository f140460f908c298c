package io.raftlock.shedlock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.testing.JarCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cases of ShedLock's own provider suites, {@code AbstractLockProviderIntegrationTest} and
 * {@code AbstractExtensibleLockProviderIntegrationTest} (their test-support artifact is not
 * available to this build), one test per case with the same steps, against a 3-node cluster.
 *
 * <p>Where ShedLock's cases sleep, these wait with Awaitility for the state the sleep was for.
 * Where they use leases shorter than the server's 1 s minimum (50 ms, 1 ms), the lease is the
 * 1 s minimum, as ShedLock's {@code doTestTimeout(Duration)} hook allows for other stores. The
 * fuzz case runs ShedLock's 8 threads on two jobs with 10 rather than 100 iterations each (5, not
 * 10, for the short one): every attempt is a round trip to the leader.
 */
class LockProviderContractTest {
  private static final Duration LOCK_AT_LEAST_FOR = Duration.ofSeconds(2);
  private static final Duration ORIGINAL_LOCK_DURATION = Duration.ofSeconds(2);
  private static RaftLockClient client;
  private static RaftLockLockProvider provider;

  private final String lockName1 = UUID.randomUUID().toString();

  @BeforeAll
  static void connect() {
    client = RaftLockClient.builder().endpoints(JarCluster.shared().endpoints()).build();
    provider = new RaftLockLockProvider(client);
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  // ---------------------------------------------------------------- AbstractLockProviderIntegrationTest

  @Test
  void shouldCreateLock() {
    Optional<SimpleLock> lock = provider.lock(lockConfig(lockName1));
    assertTrue(lock.isPresent());

    assertLocked(lockName1);
    lock.get().unlock();
    assertUnlocked(lockName1);
  }

  @Test
  void shouldNotReturnSecondLock() {
    Optional<SimpleLock> lock = provider.lock(lockConfig(lockName1));
    assertTrue(lock.isPresent());
    assertFalse(provider.lock(lockConfig(lockName1)).isPresent());
    lock.get().unlock();
  }

  @Test
  void shouldCreateTwoIndependentLocks() {
    Optional<SimpleLock> lock1 = provider.lock(lockConfig(lockName1));
    assertTrue(lock1.isPresent());

    Optional<SimpleLock> lock2 = provider.lock(lockConfig("name2"));
    assertTrue(lock2.isPresent());

    lock1.get().unlock();
    lock2.get().unlock();
  }

  @Test
  void shouldLockTwiceInARow() {
    Optional<SimpleLock> lock1 = provider.lock(lockConfig(lockName1));
    assertTrue(lock1.isPresent());
    lock1.get().unlock();

    Optional<SimpleLock> lock2 = provider.lock(lockConfig(lockName1));
    assertTrue(lock2.isPresent());
    lock2.get().unlock();
  }

  @Test
  void shouldTimeout() {
    doTestTimeout(RaftLockLockProvider.MIN_LEASE);
  }

  private void doTestTimeout(Duration lockAtMostFor) {
    Optional<SimpleLock> lock1 = provider.lock(lockConfig(lockName1, lockAtMostFor, Duration.ZERO));
    assertTrue(lock1.isPresent());
    assertLocked(lockName1);

    // lockAtMostFor ends on the server: the lease expires although nobody unlocked it
    await().atMost(lockAtMostFor.plusSeconds(5)).until(() -> !isLocked(lockName1));

    Optional<SimpleLock> lock2 = provider.lock(lockConfig(lockName1, Duration.ofMillis(50), Duration.ZERO));
    assertTrue(lock2.isPresent());
    lock2.get().unlock();
  }

  @Test
  void shouldBeAbleToLockRightAfterUnlock() {
    LockConfiguration lockConfiguration = lockConfig(lockName1);
    for (int i = 0; i < 10; i++) {
      Optional<SimpleLock> lock = provider.lock(lockConfiguration);
      assertTrue(lock.isPresent(), "Successfully locked");
      assertFalse(provider.lock(lockConfiguration).isPresent());
      lock.get().unlock();
    }
  }

  @Test
  void fuzzTestShouldPass() throws Exception {
    int threads = 8;
    int iterations = 10;
    int shortIterations = 5;
    Job job1 = new Job("fuzz-1-" + lockName1);
    Job job2 = new Job("fuzz-2-" + lockName1);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Callable<Void>> tasks = IntStream.range(0, threads).mapToObj(i -> (Callable<Void>) () -> {
        job(i == 0 ? shortIterations : iterations, i % 2 == 0 ? job1 : job2);
        return null;
      }).toList();
      for (Future<Void> f : executor.invokeAll(tasks, 2, TimeUnit.MINUTES)) {
        f.get();
      }
    } finally {
      executor.shutdownNow();
    }
    assertEquals(threads / 2 * iterations, job2.counter);
    assertEquals((threads / 2 - 1) * iterations + shortIterations, job1.counter);
  }

  /** ShedLock's FuzzTester job: an unsynchronised read-modify-write that only mutual exclusion keeps exact. */
  private static final class Job {
    final String name;
    volatile int counter;

    Job(String name) {
      this.name = name;
    }

    LockConfiguration config() {
      return new LockConfiguration(Instant.now(), name, Duration.ofMinutes(5), Duration.ofMillis(5));
    }
  }

  private static void job(int iterations, Job job) {
    for (int i = 0; i < iterations; ) {
      Optional<SimpleLock> lock = provider.lock(job.config());
      if (lock.isPresent()) {
        int n = job.counter;
        Thread.yield();
        job.counter = n + 1;
        lock.get().unlock();
        i++;
      }
    }
  }

  @Test
  void shouldLockAtLeastFor() {
    long start = System.nanoTime();
    Optional<SimpleLock> lock1 = provider.lock(lockConfig(lockName1, LOCK_AT_LEAST_FOR.multipliedBy(2), LOCK_AT_LEAST_FOR));
    assertTrue(lock1.isPresent(), "Should be locked");
    lock1.get().unlock();

    // Even though we have unlocked the lock, it will be held for some time
    assertFalse(provider.lock(lockConfig(lockName1)).isPresent(), "Can not acquire lock, grace period did not pass yet");

    // Should be able to acquire once lockAtLeastFor has passed, and not before
    AtomicReference<Optional<SimpleLock>> lock3 = new AtomicReference<>();
    await().atMost(LOCK_AT_LEAST_FOR.plusSeconds(5)).until(() -> {
      lock3.set(provider.lock(lockConfig(lockName1)));
      return lock3.get().isPresent();
    });
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(LOCK_AT_LEAST_FOR) >= 0, "held for lockAtLeastFor");
    lock3.get().get().unlock();
  }

  // ---------------------------------------------------------------- AbstractExtensibleLockProviderIntegrationTest

  @Test
  void shouldBeAbleToExtendLock() {
    SimpleLock lock = lock(ORIGINAL_LOCK_DURATION);

    Optional<SimpleLock> newLock = lock.extend(Duration.ofSeconds(10), Duration.ZERO);
    assertTrue(newLock.isPresent());

    // the original lease would have ended by now
    await().during(ORIGINAL_LOCK_DURATION.plusMillis(500)).atMost(ORIGINAL_LOCK_DURATION.plusSeconds(5))
        .until(() -> isLocked(lockName1));
    newLock.get().unlock();
    assertUnlocked(lockName1);
  }

  @Test
  void shouldNotBeAbleToExtendUnlockedLock() {
    SimpleLock lock = lock(ORIGINAL_LOCK_DURATION);
    lock.unlock();
    assertUnlocked(lockName1);
    assertThrows(IllegalStateException.class, () -> lock.extend(Duration.ofSeconds(10), Duration.ZERO));
  }

  @Test
  void shouldNotBeAbleToExtendExpiredLock() {
    Optional<SimpleLock> lock = provider.lock(lockConfig(lockName1, Duration.ofMillis(1), Duration.ZERO));
    assertTrue(lock.isPresent());
    await().atMost(Duration.ofSeconds(6)).until(() -> !isLocked(lockName1));

    Optional<SimpleLock> newLock = lock.get().extend(Duration.ofSeconds(10), Duration.ZERO);
    assertFalse(newLock.isPresent());
    assertUnlocked(lockName1);
  }

  @Test
  void shouldBeAbleToExtendAtLeast() {
    SimpleLock lock = lock(Duration.ofSeconds(10));

    SimpleLock newLock = extendLock(lock);
    newLock.unlock();
    assertLocked(lockName1);
  }

  @Test
  void lockCanNotBeExtendedTwice() {
    SimpleLock lock = lock(Duration.ofSeconds(10));
    extendLock(lock);

    assertThrows(IllegalStateException.class, () -> lock.extend(Duration.ofSeconds(10), Duration.ofSeconds(9)));
  }

  @Test
  void lockCanNotBeUnlockedAfterExtending() {
    SimpleLock lock = lock(Duration.ofSeconds(10));
    extendLock(lock);

    assertThrows(IllegalStateException.class, lock::unlock);
  }

  private SimpleLock extendLock(SimpleLock lock) {
    Optional<SimpleLock> newLock = lock.extend(Duration.ofSeconds(10), Duration.ofSeconds(9));
    assertTrue(newLock.isPresent());
    return newLock.get();
  }

  private SimpleLock lock(Duration lockAtMostFor) {
    Optional<SimpleLock> lock = provider.lock(lockConfig(lockName1, lockAtMostFor, Duration.ZERO));
    assertTrue(lock.isPresent());
    assertLocked(lockName1);
    return lock.get();
  }

  // ---------------------------------------------------------------- the store, seen through the client

  static LockConfiguration lockConfig(String name) {
    return lockConfig(name, Duration.ofMinutes(5), Duration.ZERO);
  }

  static LockConfiguration lockConfig(String name, Duration lockAtMostFor, Duration lockAtLeastFor) {
    return new LockConfiguration(Instant.now(), name, lockAtMostFor, lockAtLeastFor);
  }

  private static void assertLocked(String name) {
    assertTrue(isLocked(name), name + " is held on the cluster");
  }

  private static void assertUnlocked(String name) {
    assertFalse(isLocked(name), name + " is free on the cluster");
  }

  /** A linearizable read of the lock on the cluster. */
  static boolean isLocked(String name) {
    try {
      GetLockInfoResponse r = client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(provider.lockId(name)).build())
          .toCompletableFuture().join();
      return r.hasLockInfo();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RaftLockException re && re.code() == ErrorCode.LOCK_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }
}
