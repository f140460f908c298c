package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/** {@code members} and {@code transfer-leader} in-process against a real 3-node cluster. */
@Timeout(90)
class MembersCliClusterTest {
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
    argv.addAll(1, List.of("--endpoints", endpoints));
    return Cli.run(argv, new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of());
  }

  JsonNode json() throws Exception {
    return JSON.readTree(outBytes.toString(StandardCharsets.UTF_8));
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void listAddPromoteRemoveWithExitCodes() throws Exception {
    assertEquals(Cli.OK, run("members", "list", "--json"));
    JsonNode list = json();
    assertEquals(3, list.get("members").size());
    list.get("members").forEach(m -> assertEquals("VOTER", m.get("role").asText()));
    assertEquals(Cli.OK, run("members", "list"));
    assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("node-1"));

    // A learner that never comes up: it does not count, so the cluster keeps going.
    assertEquals(Cli.OK, run("members", "add-learner", "node-9", "--peer", "127.0.0.1:1", "--client", "127.0.0.1:2"));
    assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("node-9(learner)"));
    assertEquals(Cli.REFUSED, run("members", "add-learner", "node-9", "--peer", "127.0.0.1:1",
        "--client", "127.0.0.1:2", "--json"));
    assertEquals("ALREADY_MEMBER", json().get("error").get("code").asText());
    // It never caught up: promotion is refused as still behind until --timeout.
    assertEquals(Cli.UNAVAILABLE, run("members", "promote", "node-9", "--timeout", "1s"));
    assertTrue(err().contains("LEARNER_BEHIND"), err());
    assertEquals(Cli.OK, run("members", "remove", "node-9"));
    assertEquals(Cli.REFUSED, run("members", "remove", "node-9"));
    assertTrue(err().contains("NOT_A_MEMBER"), err());

    // Validation: the server names the field; nothing changed.
    assertEquals(Cli.USAGE, run("members", "add-learner", "node 9", "--peer", "127.0.0.1:1", "--client",
        "127.0.0.1:2", "--json"));
    assertEquals("id", json().get("error").get("field").asText());
    assertEquals(Cli.USAGE, run("members", "add-learner", "node-9", "--peer", "nohost", "--client", "127.0.0.1:2",
        "--json"));
    assertEquals("peer_address", json().get("error").get("field").asText());
    assertEquals(Cli.USAGE, run("members", "add-learner", "node-9", "--peer", "127.0.0.1:1"));
    assertEquals(Cli.USAGE, run("members", "promote"));
    assertEquals(Cli.USAGE, run("members", "grow", "node-9"));
    assertEquals(Cli.OK, run("members", "list", "--json"));
    assertEquals(3, json().get("members").size());
  }

  @Test
  void transferLeaderMovesLeadership() throws Exception {
    String before = cluster.awaitLeader();
    assertEquals(Cli.OK, run("transfer-leader", "--json"));
    String after = json().get("leaderId").asText();
    assertNotEquals(before, after);
    assertEquals(Cli.USAGE, run("transfer-leader", "no such node"));
  }
}
