package io.raftlock.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.storage.StorageOptions;
import io.raftlock.testing.LocalCluster;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose data volume falls below the storage reserve refuses new writes with a typed,
 * retryable error and commits nothing; once space is back it accepts writes again. Each member's
 * data directory is its own tmpfs (needs root; skipped otherwise). Only the leader's volume is
 * filled, and elections are slow, so no member below the reserve ever has to persist an entry
 * (that would fail-stop it, which halts this JVM).
 */
@Timeout(120)
class DiskFullClusterTest {
  private static final long VOLUME_BYTES = StorageOptions.DEFAULT_RESERVE_BYTES + (64L << 20);

  @TempDir Path root;
  private final List<Path> mounts = new ArrayList<>();
  private LocalCluster cluster;

  @AfterEach
  void tearDown() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    for (Path m : mounts) {
      run("umount", "-l", m.toString());
    }
  }

  @Test
  void aLeaderBelowTheReserveRefusesWritesRetryablyAndRecoversWhenSpaceReturns() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
    for (int i = 1; i <= 3; i++) {
      Path dir = Files.createDirectories(root.resolve("node-" + i));
      Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + VOLUME_BYTES, "tmpfs", dir.toString()) == 0,
          "cannot mount a tmpfs");
      mounts.add(dir);
    }
    // Elections take 1-2 s: the leader keeps its role while its volume is full.
    cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        100, c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api())).start();
    String leader = cluster.awaitLeader();
    List<String> eps = List.of("127.0.0.1:" + cluster.clientPort(leader));
    try (RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId("disk")
        .operationTimeout(Duration.ofSeconds(2)).build()) {
      assertTrue(acquire(c, "before").getAcquired());

      // Fill the leader's volume to 32 MiB under the reserve.
      Path filler = cluster.config(leader).dataDir().resolve("filler");
      long free = Files.getFileStore(cluster.config(leader).dataDir()).getUsableSpace();
      try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
        byte[] block = new byte[1 << 20];
        long toWrite = free - (StorageOptions.DEFAULT_RESERVE_BYTES - (32L << 20));
        for (long n = 0; n < toWrite; n += block.length) {
          f.write(block);
        }
      }
      long commitBefore = cluster.node(leader).status().commitIndex();
      // The writer refreshes its view of free space after a sync: the first write may pass.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        RaftLockException e = assertInstanceOf(RaftLockException.class,
            assertThrows(CompletionException.class, () -> acquire(c, "during")).getCause());
        assertTrue(e.retryable(), e::toString);
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e::toString);
        assertTrue(e.getMessage().contains("disk is full"), e.getMessage());
      });
      long commitFull = cluster.node(leader).status().commitIndex();
      assertTrue(commitFull - commitBefore <= 2, "at most the write that passed before the refresh");
      assertEquals(leader, cluster.leader().orElseThrow(), "the leader is still serving");

      Files.delete(filler);
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertTrue(acquire(c, "after").getAcquired()));
    }
  }

  private static io.raftlock.proto.api.AcquireResponse acquire(RaftLockClient c, String lock) {
    return c.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId("disk")
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build()).toCompletableFuture().join();
  }

  private static int run(String... cmd) throws Exception {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start().waitFor();
  }
}
