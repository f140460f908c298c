package io.raftlock.shedlock;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.RaftLockClient;
import io.raftlock.testing.JarCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.Test;

/**
 * Two application instances run the same scheduled task through ShedLock. While the first runs it,
 * the cluster's leader is killed ({@code kill -9}): the lock survives on the new leader (the
 * second instance still cannot take it), and the first instance's unlock after the task reaches
 * the new leader, so the second instance gets the lock at once rather than after lockAtMostFor.
 */
class LeaderKillDuringTaskTest {
  private static final Duration FAILOVER = Duration.ofSeconds(30);

  @Test
  void theTasksLockSurvivesALeaderKillAndIsReleasedAfterTheTask() throws Exception {
    JarCluster cluster = JarCluster.shared();
    String name = "nightly-" + UUID.randomUUID();
    AtomicReference<String> killed = new AtomicReference<>();
    AtomicReference<String> newLeader = new AtomicReference<>();
    try (RaftLockClient first = RaftLockClient.builder().endpoints(cluster.endpoints()).build();
         RaftLockClient second = RaftLockClient.builder().endpoints(cluster.endpoints()).build()) {
      RaftLockLockProvider secondProvider = new RaftLockLockProvider(second);

      new DefaultLockingTaskExecutor(new RaftLockLockProvider(first)).executeWithLock((Runnable) () -> {
        killed.set(cluster.awaitLeader(FAILOVER));
        cluster.kill(killed.get());
        newLeader.set(cluster.awaitLeader(FAILOVER));
        assertFalse(secondProvider.lock(config(name)).isPresent(), "the second instance runs the task meanwhile");
      }, config(name));

      assertTrue(newLeader.get() != null, "the task ran");
      assertNotEquals(killed.get(), newLeader.get());
      Optional<SimpleLock> next = secondProvider.lock(config(name));
      assertTrue(next.isPresent(), "released through the new leader after the task");
      next.get().unlock();
    } finally {
      if (killed.get() != null) {
        cluster.start(killed.get());
      }
    }
  }

  private static LockConfiguration config(String name) {
    return new LockConfiguration(Instant.now(), name, Duration.ofMinutes(5), Duration.ZERO);
  }
}
