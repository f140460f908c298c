package io.raftlock.storage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistentState;
import io.raftlock.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process appends and reports every durable index; it is killed with SIGKILL at random
 * moments and after every restart each reported-durable entry must be present and intact.
 */
class CrashRecoveryTest {
  private static final Pattern DURABLE = Pattern.compile("^D (\\d+) (\\d+) E$");
  private static final int KILLS = 20;

  @TempDir Path dir;
  private Process child;

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  @Test
  void everyReportedDurableEntrySurvivesKillMinus9() throws Exception {
    long seed = System.nanoTime();
    System.out.println("crash test seed " + seed);
    Random random = new Random(seed);
    Path data = dir.resolve("data");
    Map<Long, Long> durableTermByIndex = new ConcurrentHashMap<>();
    long maxDurable = 0;
    for (int round = 1; round <= KILLS; round++) {
      long term = round;
      AtomicLong reported = new AtomicLong(-1);
      child = ChildJvm.start(CrashChild.class, dir.resolve("child.log"), data.toString(),
          Long.toString(term), Integer.toString(1 + random.nextInt(5000)),
          Boolean.toString(random.nextBoolean()));
      Thread reader = readDurableReports(child, durableTermByIndex, reported);
      long start = System.nanoTime();
      long base = maxDurable;
      long target = random.nextInt(4) == 0 ? 0 : base + random.nextInt(3000);
      await().atMost(Duration.ofSeconds(30)).until(() -> reported.get() >= target || !child.isAlive());
      assertTrue(child.isAlive(), "child died on its own in round " + round + ", see child.log");
      child.destroyForcibly().waitFor();
      reader.join();
      maxDurable = Math.max(maxDurable, reported.get());
      long killed = System.nanoTime();
      verify(data, durableTermByIndex, maxDurable, seed, round);
      System.out.printf("round %d: killed at %d ms after %d durable, verified in %d ms%n", round,
          (killed - start) / 1_000_000, reported.get(), (System.nanoTime() - killed) / 1_000_000);
    }
    assertTrue(maxDurable > 0, "nothing was ever reported durable");
  }

  private static long segmentFiles(Path data) throws java.io.IOException {
    try (var files = java.nio.file.Files.list(data.resolve(ChronicleLog.DIR))) {
      return files.filter(f -> f.toString().endsWith(".cq4")).count();
    }
  }

  private static Thread readDurableReports(Process p, Map<Long, Long> terms, AtomicLong reported) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          Matcher m = DURABLE.matcher(line);
          if (m.matches()) {
            long last = Long.parseLong(m.group(1));
            terms.put(last, Long.parseLong(m.group(2)));
            reported.accumulateAndGet(last, Math::max);
          } else if (line.startsWith("R ")) {
            reported.compareAndSet(-1, 0);
          }
        }
      } catch (java.io.IOException e) {
        // the pipe breaks when the child is killed: everything read so far counts
      }
    }, "crash-child-reader");
    t.start();
    return t;
  }

  /** Recovers in this JVM and checks every reported entry (and all before it) against its payload. */
  private static void verify(Path data, Map<Long, Long> reportedTerms, long maxDurable, long seed,
      int round) throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(
        StorageOptions.defaults(data).withReserveBytes(0))) {
      PersistentState st = s.recover();
      String ctx = "seed " + seed + " round " + round + ": " + s.recoveryReport();
      assertTrue(st.lastIndex() >= maxDurable, "lost durable entries; " + ctx);
      assertTrue(!st.lostDurableEntries(), "needs repair after kill -9; " + ctx);
      assertTrue(s.recoveryReport().problems().isEmpty(), ctx);
      long snap = st.snapshot() == null ? 0 : st.snapshot().index();
      if (st.snapshot() != null) {
        assertEquals("snap-" + snap, new String(st.snapshot().data(), StandardCharsets.UTF_8), ctx);
      }
      for (Entry e : st.entries()) {
        assertArrayEquals(CrashChild.payload(e.term(), e.index()), e.data(), "entry " + e + "; " + ctx);
      }
      for (Map.Entry<Long, Long> r : reportedTerms.entrySet()) {
        if (r.getKey() > snap) {
          assertEquals(r.getValue(), st.entries().get((int) (r.getKey() - snap - 1)).term(),
              "term of reported entry " + r.getKey() + "; " + ctx);
        }
      }
      System.out.printf("round %d: snapshot %d, log to %d, %d segment files%n", round, snap,
          st.lastIndex(), segmentFiles(data));
    }
  }
}
