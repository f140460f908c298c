package io.raftlock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftlock lock NAME -- COMMAND} end to end: the fat jar as a 3-node cluster of processes
 * and as the CLI. Commands guarded by the same lock never overlap, the exit status is
 * COMMAND's, and SIGTERM stops COMMAND and releases the lock at once (not after the TTL).
 */
@Timeout(120)
class CliLockIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");

  @TempDir static Path root;
  static ProcessCluster cluster;
  static String endpoints;

  @BeforeAll
  static void start() throws Exception {
    cluster = ProcessCluster.startedFromTheJar(root);
    endpoints = cluster.endpoints();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Starts the CLI with {@code args} plus the cluster's endpoints; output goes to {@code log}. */
  static Process cli(Path log, String... args) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-jar",
        JAR.toString(), args[0], "--endpoints", endpoints));
    cmd.addAll(List.of(args).subList(1, args.length));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  static int exit(Process p) throws InterruptedException {
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI finished");
    return p.exitValue();
  }

  @Test
  void concurrentLockCommandsNeverOverlap() throws Exception {
    Path markers = root.resolve("markers.txt");
    Files.writeString(markers, "");
    String body = "echo start $RAFTLOCK_CLIENT_ID $RAFTLOCK_TOKEN >> " + markers + "; sleep 0.4; echo end $RAFTLOCK_CLIENT_ID >> " + markers;
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ps.add(cli(root.resolve("overlap-" + i + ".log"), "lock", "it/overlap", "--ttl", "5s", "--client-id", "runner-" + i,
          "--", "sh", "-c", body));
    }
    for (int i = 0; i < ps.size(); i++) {
      assertEquals(0, exit(ps.get(i)), Files.readString(root.resolve("overlap-" + i + ".log")));
    }
    List<String> lines = Files.readAllLines(markers, StandardCharsets.UTF_8);
    assertEquals(6, lines.size(), lines.toString());
    Set<String> runners = new HashSet<>();
    long lastToken = 0;
    for (int i = 0; i < lines.size(); i += 2) {
      String[] start = lines.get(i).split(" ");
      String[] end = lines.get(i + 1).split(" ");
      assertEquals("start", start[0], "runs never interleave: " + lines);
      assertEquals("end", end[0], "runs never interleave: " + lines);
      assertEquals(start[1], end[1], "each start is followed by its own end: " + lines);
      long token = Long.parseLong(start[2]);
      assertTrue(token > lastToken, "each run has a newer fencing token: " + lines);
      lastToken = token;
      runners.add(start[1]);
    }
    assertEquals(3, runners.size());
  }

  @Test
  void theCommandsExitStatusIsPropagatedAndTheLockReleased() throws Exception {
    Path log = root.resolve("status.log");
    assertEquals(7, exit(cli(log, "lock", "it/status", "--", "sh", "-c", "exit 7")));
    assertEquals(127, exit(cli(log, "lock", "it/status", "--", "/nonexistent/command")));
    assertEquals(1, exit(cli(log, "info", "it/status")), "released: " + Files.readString(log));
    assertTrue(Files.readString(log).contains("it/status is free"));
  }

  @Test
  void sigtermStopsTheCommandAndReleasesTheLockAtOnce() throws Exception {
    Path log = root.resolve("sigterm.log");
    Path pidFile = root.resolve("child.pid");
    Process p = cli(log, "lock", "it/term", "--ttl", "60s", "--client-id", "terminated",
        "--", "sh", "-c", "echo $$ > " + pidFile + "; exec sleep 60");
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long childPid = Long.parseLong(Files.readString(pidFile).trim());
    long termAt = System.nanoTime();
    p.destroy(); // SIGTERM
    int status = exit(p);
    assertEquals(143, status, Files.readString(log));
    assertFalse(ProcessHandle.of(childPid).map(ProcessHandle::isAlive).orElse(false), "the command was stopped");
    // Released, not left to expire: another client takes it without waiting for the 60 s TTL.
    Path next = root.resolve("sigterm-next.log");
    assertEquals(0, exit(cli(next, "acquire", "it/term", "--client-id", "successor")), Files.readString(next));
    assertTrue(System.nanoTime() - termAt < TimeUnit.SECONDS.toNanos(30), "well before the TTL");
  }

  /**
   * kill -9 of a lock process: its session is not closed, so the lock is held until the session's
   * TTL ({@code --ttl}) runs out after the last keep-alive, then goes to the waiting process: within
   * the TTL and an election, never while the killed holder's session lives.
   */
  @Test
  void aKilledLockProcessLosesTheLockAfterItsSessionTtlAndTheWaiterGetsIt() throws Exception {
    Path log = root.resolve("killed.log");
    Path pidFile = root.resolve("killed-child.pid");
    Path heirToken = root.resolve("heir.token");
    Process doomed = cli(log, "lock", "it/killed", "--ttl", "4s", "--client-id", "doomed",
        "--", "sh", "-c", "echo $$ > " + pidFile + "; exec sleep 120");
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long childPid = Long.parseLong(Files.readString(pidFile).trim());
    Path heirLog = root.resolve("heir.log");
    Process heir = cli(heirLog, "lock", "it/killed", "--client-id", "heir",
        "--", "sh", "-c", "echo $RAFTLOCK_TOKEN > " + heirToken);
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(heirLog).contains("queued for it/killed"));
    long killedAt = System.nanoTime();
    doomed.destroyForcibly(); // SIGKILL: no release, no session close
    try {
      assertTrue(doomed.waitFor(30, TimeUnit.SECONDS));
      assertFalse(Files.exists(heirToken), "not granted while the killed holder's session lives");
      assertEquals(0, exit(heir), Files.readString(heirLog));
      long afterKillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertTrue(afterKillMs < 40_000, "granted within the 4 s session TTL and an election (40 s allows for a"
          + " starved machine): " + afterKillMs + " ms");
      assertTrue(Long.parseLong(Files.readString(heirToken).trim()) > 0, Files.readString(heirLog));
    } finally {
      ProcessHandle.of(childPid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
