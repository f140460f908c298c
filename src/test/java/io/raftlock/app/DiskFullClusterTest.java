package io.raftlock.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.testing.LocalCluster;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose data volume falls below the storage reserve hands leadership to a caught-up
 * voter and, while the volume stays full, neither campaigns nor takes entries; the cluster keeps
 * granting, releasing and expiring locks; once space is back the node catches up. Each member's
 * data directory is its own tmpfs (needs root; skipped otherwise). The volume keeps room beyond
 * the reserve, so nothing reaches a truly full disk (that would fail-stop the node, which halts
 * this JVM).
 */
@Timeout(120)
class DiskFullClusterTest {
  private static final long RESERVE_BYTES = 32L << 20;
  private static final long VOLUME_BYTES = RESERVE_BYTES + (64L << 20);

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
  void aLeaderBelowTheReserveHandsOverAndCatchesUpWhenSpaceReturns() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
    for (int i = 1; i <= 3; i++) {
      Path dir = Files.createDirectories(root.resolve("node-" + i));
      Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + VOLUME_BYTES, "tmpfs", dir.toString()) == 0,
          "cannot mount a tmpfs");
      mounts.add(dir);
    }
    cluster = new LocalCluster(3, root, c -> c.withStorageReserveBytes(RESERVE_BYTES)).start();
    String full = cluster.awaitLeader();
    List<String> eps = cluster.ids().stream().map(cluster::clientAddress).toList();
    try (RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId("disk")
        .operationTimeout(Duration.ofSeconds(5)).build()) {
      assertTrue(c.unlock(c.lock("before", Duration.ofSeconds(30))));
      // Held by a client that never renews: only expiry can free it.
      assertTrue(c.acquire(AcquireRequest.newBuilder().setLockId("abandoned").setClientId("gone")
          .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3)).build())
          .toCompletableFuture().join().getAcquired());

      Path filler = fillBelowReserve(cluster.config(full).dataDir());
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leader().filter(l -> !l.equals(full)).isPresent());
      long lastIndexWhenFull = cluster.node(full).status().lastIndex();

      for (int i = 0; i < 20; i++) {
        LockHandle h = c.lock("during-" + i, Duration.ofSeconds(30));
        assertTrue(c.unlock(h), "released under the new leader");
      }
      Optional<LockHandle> freed = c.tryLock("abandoned", Duration.ofSeconds(30), Duration.ofSeconds(20));
      assertTrue(freed.isPresent(), "the abandoned lock expired under the new leader");
      assertTrue(c.unlock(freed.get()));
      RaftStatus fullStatus = cluster.node(full).status();
      assertEquals(Role.FOLLOWER, fullStatus.role(), "the full node does not campaign");
      assertEquals(lastIndexWhenFull, fullStatus.lastIndex(), "the full node took no entries");
      assertNotEquals(full, cluster.leader().orElseThrow());

      Files.delete(filler);
      String leader = cluster.leader().orElseThrow();
      long commit = cluster.node(leader).status().commitIndex();
      await().atMost(Duration.ofSeconds(15))
          .until(() -> cluster.node(full).status().appliedIndex() >= commit);
      assertTrue(c.unlock(c.lock("after", Duration.ofSeconds(30))));
    }
  }

  /** Writes a filler file until 16 MiB under the reserve are left free; returns it. */
  private static Path fillBelowReserve(Path dataDir) throws Exception {
    Path filler = dataDir.resolve("filler");
    long toWrite = Files.getFileStore(dataDir).getUsableSpace() - (RESERVE_BYTES - (16L << 20));
    try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
      byte[] block = new byte[1 << 20];
      for (long n = 0; n < toWrite; n += block.length) {
        f.write(block);
      }
    }
    return filler;
  }

  private static int run(String... cmd) throws Exception {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start().waitFor();
  }
}
