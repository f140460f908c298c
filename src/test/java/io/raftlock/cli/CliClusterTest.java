package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.testing.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's one-shot commands, in-process, against a real 3-node cluster: output and exit codes. */
@Timeout(60)
class CliClusterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path root;
  static LocalCluster cluster;
  static String endpoints;
  final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  @BeforeAll
  static void start() {
    cluster = new LocalCluster(3, root).start();
    endpoints = cluster.ids().stream().map(id -> "127.0.0.1:" + cluster.clientPort(id)).collect(Collectors.joining(","));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  int run(String... args) {
    outBytes.reset();
    errBytes.reset();
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(1, List.of("--endpoints", endpoints)); // before a "--"

    return Cli.run(argv, new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of());
  }

  JsonNode json() throws Exception {
    return JSON.readTree(outBytes.toString(StandardCharsets.UTF_8));
  }

  String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void acquireInfoRenewReleaseRoundTripWithExitCodes() throws Exception {
    assertEquals(Cli.OK, run("acquire", "jobs/a", "--ttl", "20s", "--client-id", "alice", "--meta", "team=ops", "--json"));
    JsonNode acquired = json();
    assertTrue(acquired.get("acquired").asBoolean());
    long token = acquired.get("token").asLong();
    assertTrue(token > 0);
    assertEquals("alice", acquired.get("clientId").asText());

    assertEquals(Cli.REFUSED, run("acquire", "jobs/a", "--client-id", "bob"));
    assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("held by another client"));
    assertEquals(Cli.REFUSED, run("acquire", "jobs/a", "--client-id", "bob", "--wait", "--wait-timeout", "1s"));

    assertEquals(Cli.OK, run("info", "jobs/a"));
    assertTrue(out().contains("owner      alice"), out());
    assertTrue(out().contains("token      " + token), out());
    assertEquals(Cli.OK, run("info", "jobs/a", "--json", "--stale"));
    assertEquals("alice", json().get("lockInfo").get("ownerId").asText());

    assertEquals(Cli.OK, run("renew", "jobs/a", "--client-id", "alice", "--token", Long.toString(token), "--ttl", "25s"));
    assertTrue(out().startsWith("renewed jobs/a"), out());
    assertEquals(Cli.REFUSED, run("renew", "jobs/a", "--client-id", "bob", "--token", Long.toString(token)));
    assertEquals(Cli.REFUSED, run("release", "jobs/a", "--client-id", "alice", "--token", Long.toString(token + 1000)));
    assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("VERSION_MISMATCH"));

    assertEquals(Cli.OK, run("release", "jobs/a", "--client-id", "alice", "--token", Long.toString(token)));
    assertEquals(Cli.REFUSED, run("info", "jobs/a"));
    assertTrue(out().contains("jobs/a is free"), out());
    assertEquals(Cli.USAGE, run("acquire", "bad\u0001name"));
  }

  /**
   * Any client can store escape sequences in metadata and bidi overrides in its id: the human
   * output shows them escaped (the screen is not cleared, nothing is reordered), --json keeps the
   * exact values.
   */
  @Test
  void controlCharactersFromTheClusterAreEscapedInHumanOutputAndExactInJson() throws Exception {
    String note = "\u001b[2J\u001b[31mred\u0007\u009b1m";
    String owner = "mallory\u202egnp.exe";
    assertEquals(Cli.OK, run("acquire", "jobs/esc", "--client-id", owner, "--ttl", "30s", "--meta", "note=" + note));
    for (String[] cmd : new String[][] {{"info", "jobs/esc"}, {"locks", "--pattern", "jobs/esc"}}) {
      assertEquals(Cli.OK, run(cmd), String.join(" ", cmd) + ": " + errBytes);
      String human = out();
      assertTrue(human.chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b || c == 0x202e),
          "raw control characters printed by " + cmd[0] + ": " + human);
      assertTrue(human.contains("mallory\\u202egnp.exe"), human);
      if (cmd[0].equals("info")) {
        assertTrue(human.contains("\\u001b[2J\\u001b[31mred\\u0007\\u009b1m"), human);
      }
    }
    assertEquals(Cli.OK, run("info", "jobs/esc", "--json"));
    assertEquals(note, json().get("lockInfo").get("metadata").get("note").asText());
    assertEquals(owner, json().get("lockInfo").get("ownerId").asText());
  }

  @Test
  void acquireWithWaitIsGrantedWhenTheHoldersLeaseExpires() throws Exception {
    assertEquals(Cli.OK, run("acquire", "jobs/w", "--client-id", "first", "--ttl", "2s", "--json"));
    // The holder never renews: committed expiry hands the lock to the waiting CLI.
    assertEquals(Cli.OK, run("acquire", "jobs/w", "--client-id", "second", "--wait", "--wait-timeout", "20s", "--json"));
    assertTrue(json().get("token").asLong() > 0);
    assertEquals(Cli.OK, run("info", "jobs/w", "--json"));
    assertEquals("second", json().get("lockInfo").get("ownerId").asText());
  }

  /**
   * A waiting acquire says on stderr that it is queued and where; stdout stays one JSON document.
   * The holder's lease is long, so the waiter is granted only when the holder releases.
   */
  @Test
  void acquireWithWaitSaysItIsQueuedAndAtWhichPosition() throws Exception {
    assertEquals(Cli.OK, run("acquire", "jobs/q", "--client-id", "holder", "--ttl", "60s", "--json"));
    long token = json().get("token").asLong();
    ByteArrayOutputStream waiterOut = new ByteArrayOutputStream();
    ByteArrayOutputStream waiterErr = new ByteArrayOutputStream();
    java.util.concurrent.CompletableFuture<Integer> waiter = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        Cli.run(List.of("acquire", "jobs/q", "--endpoints", endpoints, "--client-id", "patient", "--wait",
            "--wait-timeout", "30s", "--json"), new PrintStream(waiterOut, true, StandardCharsets.UTF_8),
            new PrintStream(waiterErr, true, StandardCharsets.UTF_8), Map.of()));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .failFast(waiter::isDone)
        .until(() -> waiterErr.toString(StandardCharsets.UTF_8).contains(
            "acquire: queued for jobs/q at position 1 of 1 (next; held by holder)"));
    assertEquals(Cli.OK, run("release", "jobs/q", "--client-id", "holder", "--token", Long.toString(token)));
    assertEquals(Cli.OK, waiter.get(20, java.util.concurrent.TimeUnit.SECONDS));
    JsonNode granted = JSON.readTree(waiterOut.toString(StandardCharsets.UTF_8));
    assertTrue(granted.get("token").asLong() > token, granted.toString());
  }

  @Test
  void locksListsWithFiltersAndPages() throws Exception {
    for (String name : List.of("list/x1", "list/x2", "list/y1")) {
      assertEquals(Cli.OK, run("acquire", name, "--client-id", name.endsWith("1") ? "owner-1" : "owner-2",
          "--meta", "kind=" + name.charAt(5)));
    }
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--json"));
    assertEquals(3, json().get("locks").size());
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--owner", "owner-1", "--json"));
    assertEquals(2, json().get("locks").size());
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--meta", "kind=y", "--json"));
    assertEquals("list/y1", json().get("locks").get(0).get("lockId").asText());
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--expires-before", "10m", "--held", "--limit", "2"));
    assertTrue(out().contains("2 of 3 matching locks (more: --offset 2)"), out());
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--expires-after", "10m", "--json"));
    assertEquals(0, json().path("locks").size());
    assertEquals(Cli.OK, run("locks", "--pattern", "list/*", "--contested", "--json"));
    assertEquals(0, json().path("locks").size());
  }

  @Test
  void lockKillsTheCommandAndExitsWithFourWhenTheLockIsLost() throws Exception {
    Path marker = root.resolve("lost-marker");
    java.util.concurrent.CompletableFuture<Integer> code = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        run("lock", "jobs/lost", "--ttl", "2s", "--client-id", "doomed", "--", "sh", "-c", "echo $$ > " + marker + "; exec sleep 60"));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .failFast(() -> {
          if (code.isDone()) {
            throw new AssertionError("finished early: " + code.join() + " " + errBytes.toString(StandardCharsets.UTF_8));
          }
        })
        .until(() -> java.nio.file.Files.exists(marker) && !java.nio.file.Files.readString(marker).isBlank());
    long childPid = Long.parseLong(java.nio.file.Files.readString(marker).trim());
    // Quorum lost: renewals cannot succeed, so the local deadline passes and the command is killed.
    String leader = cluster.awaitLeader();
    List<String> stopped = cluster.running().stream().filter(id -> !id.equals(leader)).toList();
    try {
      stopped.forEach(cluster::stop);
      assertEquals(Cli.LOST, code.get(30, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("lock jobs/lost lost (RENEWAL_FAILED)"),
          errBytes.toString(StandardCharsets.UTF_8));
      assertTrue(ProcessHandle.of(childPid).map(ph -> !ph.isAlive()).orElse(true), "the command was killed");
    } finally {
      stopped.forEach(cluster::start);
      cluster.awaitLeader();
    }
  }

  @Test
  void statusAndHealthCoverEveryEndpoint() throws Exception {
    cluster.awaitLeader();
    assertEquals(Cli.OK, run("status", "--json", "--details"));
    JsonNode s = json();
    assertEquals(3, s.size());
    int leaders = 0;
    for (JsonNode n : s) {
      if ("LEADER".equals(n.get("status").get("raftStatus").get("role").asText())) {
        leaders++;
      }
    }
    assertEquals(1, leaders);
    assertEquals(Cli.OK, run("status"));
    assertTrue(out().contains("LEADER"), out());
    assertEquals(Cli.OK, run("health"));
    assertEquals(3, out().lines().filter(l -> l.contains("SERVING") && !l.contains("NOT_SERVING")).count(), out());
  }
}
