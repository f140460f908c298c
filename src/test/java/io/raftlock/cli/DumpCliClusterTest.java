package io.raftlock.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.client.RaftLockClient;
import io.raftlock.lock.LockCommand;
import io.raftlock.testing.FreePorts;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.LogCommands;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code dump} in-process against a real 3-node cluster: the JSON Lines format of the checker. */
@Timeout(120)
class DumpCliClusterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path root;
  static LocalCluster cluster;
  final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  @BeforeAll
  static void start() {
    cluster = new LocalCluster(3, root).start();
    List<String> eps = cluster.ids().stream().map(DumpCliClusterTest::address).toList();
    try (RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId("c7").build()) {
      for (int i = 0; i < 5; i++) {
        c.unlock(c.lock("L" + i, Duration.ofSeconds(60)));
      }
    }
    // Every member applied everything: dumps of any two agree.
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.ids().stream()
        .map(id -> cluster.node(id).status().appliedIndex() + "/" + cluster.node(id).status().commitIndex())
        .distinct().count() == 1);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String address(String id) {
    return "127.0.0.1:" + cluster.clientPort(id);
  }

  int run(String... args) {
    outBytes.reset();
    errBytes.reset();
    return Cli.run(List.of(args), new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of());
  }

  static List<JsonNode> lines(String text) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void writesTheHeaderThenEveryCommittedEntryAsJsonLines() throws Exception {
    String follower = cluster.follower();
    Path file = root.resolve("dump-" + follower + ".jsonl");
    // Small pages: the command pages through the whole log.
    assertEquals(Cli.OK, run("dump", "--endpoint", address(follower), "--out", file.toString(), "--page-entries", "3"),
        this::err);
    assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("committed entries of " + follower));
    assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".partial")));
    List<JsonNode> dump = lines(Files.readString(file));
    JsonNode header = dump.get(0);
    assertEquals(List.of("node", "firstIndex", "commitIndex", "appliedIndex", "stateHash"), fields(header));
    assertEquals(follower, header.get("node").asText());
    assertEquals(1, header.get("firstIndex").asLong());
    assertTrue(header.get("stateHash").asText().matches("[0-9a-f]{16}"));
    long commit = header.get("commitIndex").asLong();
    assertEquals(commit, dump.size() - 1, "one line per committed entry from index 1");
    int acquires = 0;
    for (int i = 1; i < dump.size(); i++) {
      JsonNode e = dump.get(i);
      assertEquals(List.of("index", "term", "type", "data"), fields(e));
      assertEquals(i, e.get("index").asLong());
      assertTrue(e.get("term").asLong() >= 1);
      if (e.get("type").asText().equals("NORMAL")) {
        LockCommand cmd = LogCommands.decode(Base64.getDecoder().decode(e.get("data").asText()));
        if (cmd instanceof LockCommand.Acquire a && a.clientId().equals("c7")) {
          acquires++;
        }
      } else {
        assertTrue(List.of("NOOP", "CONFIG").contains(e.get("type").asText()));
      }
    }
    assertTrue(acquires >= 5, "the five acquires are in the log: " + acquires);

    // To stdout, from an index: the same entries; the leader's log has the same ones once applied.
    String leader = cluster.awaitLeader();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertEquals(Cli.OK, run("dump", "--endpoint", address(leader), "--from", "4", "--json"), err());
      List<JsonNode> tail = lines(outBytes.toString(StandardCharsets.UTF_8));
      assertEquals(leader, tail.get(0).get("node").asText());
      assertEquals(commit, tail.get(0).get("commitIndex").asLong());
      assertEquals(header.get("stateHash"), tail.get(0).get("stateHash"));
      assertEquals(dump.subList(4, dump.size()), tail.subList(1, tail.size()));
    });
  }

  @Test
  void badArgumentsAndAnUnreachableNodeGiveTheUsualExitCodes() {
    String node = address(cluster.ids().get(0));
    assertEquals(Cli.USAGE, run("dump", "--endpoint", node, "--from", "-1"));
    assertTrue(err().contains("--from"), err());
    assertEquals(Cli.USAGE, run("dump", "--endpoint", "nohost"));
    assertEquals(Cli.USAGE, run("dump", "--endpoint", node, "--page-entries", "10001"));
    assertEquals(Cli.USAGE, run("dump", "--endpoint", node, "extra"));
    // Several --endpoints and no --endpoint: which node to dump is ambiguous.
    assertEquals(Cli.USAGE, run("dump", "--endpoints", node + "," + node));
    assertEquals(Cli.UNAVAILABLE, run("dump", "--endpoint", "127.0.0.1:" + FreePorts.next(), "--timeout", "1s"));
    assertEquals(Cli.OK, run("dump", "--help"));
    assertTrue(outBytes.toString(StandardCharsets.UTF_8).contains("--endpoint"));
  }

  private static List<String> fields(JsonNode n) {
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }
}
