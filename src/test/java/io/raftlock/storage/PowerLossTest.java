package io.raftlock.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistentState;
import io.raftlock.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Power loss: the data directory lives on an ext4 image mounted through a loop device. After the
 * writer is killed, the image file is copied while still mounted, so the copy holds exactly what
 * reached the block layer (dirty pages of the inner file system are lost, as in a power cut). The
 * copy is mounted (its journal replays) and recovered: every acknowledged entry must be there.
 * Needs root and loop devices; skipped with a message otherwise.
 */
class PowerLossTest {
  private static final int ROUNDS = 3;

  @TempDir Path dir;
  private final Deque<Path> mounts = new ArrayDeque<>();
  private Process child;

  @BeforeEach
  void requireLoopDevices() {
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")),
        "power-loss test skipped: no /dev/loop-control (loop devices unavailable)");
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "power-loss test skipped: mounting a loop image needs root");
    for (String tool : new String[] {"losetup", "mkfs.ext4", "mount", "umount"}) {
      Assumptions.assumeTrue(onPath(tool), "power-loss test skipped: " + tool + " not found");
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (child != null) {
      child.destroyForcibly().waitFor();
    }
    while (!mounts.isEmpty()) {
      Path m = mounts.pop();
      if (run("umount", m.toString()) != 0) {
        run("umount", "-l", m.toString()); // lazy: never leave a mount behind
      }
    }
  }

  @Test
  void acknowledgedEntriesSurviveAPowerCut() throws Exception {
    Path image = dir.resolve("disk.img");
    Path mnt = Files.createDirectories(dir.resolve("mnt"));
    try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(512L << 20);
    }
    Assumptions.assumeTrue(run("mkfs.ext4", "-q", "-F", image.toString()) == 0,
        "power-loss test skipped: mkfs.ext4 failed");
    Assumptions.assumeTrue(mount(image, mnt), "power-loss test skipped: cannot loop-mount an image");
    long seed = System.nanoTime();
    Random random = new Random(seed);
    long maxAcked = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      AtomicLong acked = new AtomicLong(-1);
      child = ChildJvm.start(CrashChild.class, dir.resolve("child.log"),
          mnt.resolve("data").toString(), Integer.toString(round),
          Integer.toString(500 + random.nextInt(5000)), Boolean.toString(random.nextBoolean()));
      Thread reader = readAcks(child, acked);
      long target = maxAcked + 1 + random.nextInt(20_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> acked.get() >= target || !child.isAlive());
      assertTrue(child.isAlive(), "child died on its own, see child.log");
      child.destroyForcibly().waitFor();
      reader.join();
      maxAcked = Math.max(maxAcked, acked.get());
      Path copy = dir.resolve("copy-" + round + ".img");
      Files.copy(image, copy); // the "disk" as the power cut left it
      Path mntCopy = Files.createDirectories(dir.resolve("mnt-copy-" + round));
      assertTrue(mount(copy, mntCopy), "cannot mount the copied image");
      verify(mntCopy.resolve("data"), maxAcked, "seed " + seed + " round " + round);
      unmount(mntCopy);
      Files.delete(copy);
    }
  }

  private static void verify(Path data, long maxAcked, String ctx) throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(
        StorageOptions.defaults(data).withReserveBytes(0))) {
      PersistentState st = s.recover();
      String msg = ctx + ": acked " + maxAcked + ", " + s.recoveryReport();
      System.out.println(msg);
      assertTrue(st.lastIndex() >= maxAcked, "acknowledged entries lost: " + msg);
      assertTrue(!s.recoveryReport().needsRepair(), msg);
      for (Entry e : st.entries()) {
        assertArrayEquals(CrashChild.payload(e.term(), e.index()), e.data(), "entry " + e);
      }
    }
  }

  private static Thread readAcks(Process p, AtomicLong acked) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          String[] f = line.split(" ");
          if (f.length == 4 && f[0].equals("D") && f[3].equals("E")) {
            acked.accumulateAndGet(Long.parseLong(f[1]), Math::max);
          } else if (f[0].equals("R")) {
            acked.compareAndSet(-1, 0);
          }
        }
      } catch (IOException e) {
        // the child was killed: what was read counts
      }
    }, "power-loss-child-reader");
    t.start();
    return t;
  }

  private boolean mount(Path image, Path at) throws Exception {
    if (run("mount", "-o", "loop", image.toString(), at.toString()) != 0) {
      return false;
    }
    mounts.push(at);
    return true;
  }

  private void unmount(Path at) throws Exception {
    if (run("umount", at.toString()) == 0) {
      mounts.remove(at);
    }
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
