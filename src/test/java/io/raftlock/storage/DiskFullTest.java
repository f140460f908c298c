package io.raftlock.storage;

import static io.raftlock.storage.StorageFixtures.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistentState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk (a small tmpfs): the write that hits it fails (Chronicle reports SIGBUS on the
 * mapped file as InternalError), that batch and every later one complete with the error, nothing
 * after it is acknowledged, and once space is back every acknowledged entry is there.
 */
class DiskFullTest {
  @TempDir Path dir;
  private Path mnt;

  @AfterEach
  void unmount() throws Exception {
    if (mnt != null) {
      if (run("umount", mnt.toString()) != 0) {
        run("umount", "-l", mnt.toString());
      }
    }
  }

  @Test
  void fullDiskStopsTheStoreAndLosesNothingAcknowledged() throws Exception {
    Path at = Files.createDirectories(dir.resolve("small"));
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "disk-full test skipped: mounting a tmpfs needs root");
    Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", at.toString()) == 0,
        "disk-full test skipped: cannot mount a small tmpfs");
    mnt = at;
    StorageOptions o = StorageOptions.defaults(at.resolve("data")).withReserveBytes(0);
    AtomicLong acked = new AtomicLong();
    Throwable failure;
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(o)) {
      s.recover();
      failure = fillUntilFailure(s, acked);
      assertNotNull(s.failure());
      CompletableFuture<Throwable> later = new CompletableFuture<>();
      s.persist(batch(List.of(entry(acked.get() + 1))), later::complete);
      assertSame(s.failure(), later.get(10, TimeUnit.SECONDS), "the store refuses further work");
    }
    System.out.println("disk full after " + acked.get() + " acknowledged entries: " + failure);
    assertTrue(failure instanceof InternalError || failure instanceof java.io.IOError
        || failure instanceof java.io.IOException, "unexpected failure type " + failure);
    assertEquals(0, run("mount", "-o", "remount,size=96m", at.toString()));
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(o)) {
      PersistentState st = s.recover();
      assertTrue(st.lastIndex() >= acked.get(), "acked " + acked.get() + ", " + s.recoveryReport());
      for (Entry e : st.entries()) {
        assertEquals(entry(e.index()), e);
      }
    }
  }

  /** Persists 100-entry batches in sequence until one fails; returns the cause. */
  private static Throwable fillUntilFailure(ChronicleRaftStorage s, AtomicLong acked)
      throws Exception {
    for (long next = 1; next < 10_000_000; next += 100) {
      List<Entry> es = new ArrayList<>();
      for (long i = next; i < next + 100; i++) {
        es.add(entry(i));
      }
      CompletableFuture<Throwable> done = new CompletableFuture<>();
      s.persist(batch(es), done::complete);
      Throwable t = done.get(30, TimeUnit.SECONDS);
      if (t != null) {
        return t;
      }
      acked.set(next + 99);
    }
    throw new AssertionError("the 24 MiB volume never filled");
  }

  private static Entry entry(long i) {
    byte[] data = new byte[200];
    java.util.Arrays.fill(data, (byte) i);
    return Entry.normal(1, i, data);
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
