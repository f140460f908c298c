package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.testing.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code info} over the lean path ({@link HttpRead}: one HTTP/1.1 GET of {@code /v1/lock-info}
 * with the JDK's HttpURLConnection) in-process against a real 3-node cluster: the lean path serves
 * it (past a node that is down and one that accepts but never answers), and every
 * answer (held, free, waiters and metadata, an invalid name, an unreachable cluster, auth with a
 * key, without one and with a wrong one) prints the same bytes and exits with the same code as the
 * full path ({@code RAFTLOCK_LEAN=off}) in the same state.
 */
@Timeout(180)
class InfoLeanPathClusterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Map<String, String> FULL = Map.of("RAFTLOCK_LEAN", "off");
  @TempDir Path root;
  LocalCluster cluster;
  String endpoints;

  /** One run's exit code and output. */
  record Run(int code, String out, String err) {
    /** The output without the one thing that moves between two runs: the time left on the lease. */
    String stable() {
      return out.replaceAll("\\(in [^)]*\\)", "(in …)");
    }
  }

  Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> argv = new ArrayList<>(List.of(args));
    if (!argv.contains("--endpoints")) {
      argv.addAll(1, List.of("--endpoints", endpoints));
    }
    int code = Cli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code info ARGS} on both paths: the same exit code, stdout and stderr; the lean run is returned. */
  Run sameOnBothPaths(String... args) {
    Run lean = run(Map.of(), args);
    Run full = run(FULL, args);
    assertEquals(full.code(), lean.code(), () -> String.join(" ", args) + "\nlean: " + lean + "\nfull: " + full);
    assertEquals(full.stable(), lean.stable(), String.join(" ", args));
    assertEquals(full.err(), lean.err(), String.join(" ", args));
    return lean;
  }

  CliContext context(String endpointList, String apiKey) {
    CommonOptions o = new CommonOptions();
    o.endpoints = endpointList;
    o.apiKey = apiKey;
    o.timeout = Duration.ofSeconds(9); // the lean path's budget: 3 s, 1 s per endpoint
    return new CliContext("info", o, new Cli.Io(new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(new ByteArrayOutputStream()), Map.of(), false));
  }

  /** The lean transport alone, from the first endpoint on: the body, or empty when it leaves the answer to the full path. */
  Optional<String> leanCall(String endpointList, String apiKey, String lock) {
    return HttpRead.get(context(endpointList, apiKey), "/v1/lock-info", Map.of("lockId", lock), 0);
  }

  /** The exit code {@code info NAME [--waiters] [--stale]} gets over the lean path alone, or null when it would fall back. */
  Integer leanInfo(String lock, boolean waiters, boolean stale) {
    InspectCommands.Info info = new InspectCommands.Info();
    info.name = lock;
    info.waiters = waiters;
    info.stale = stale;
    return info.lean(context(endpoints, null));
  }

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  void startCluster() {
    cluster = new LocalCluster(3, root).start();
    endpoints = cluster.ids().stream().map(cluster::clientAddress).collect(Collectors.joining(","));
    cluster.awaitLeader();
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void infoOverTheLeanPathPrintsWhatTheFullPathPrints() throws Exception {
    startCluster();
    assertEquals(Cli.OK, run(Map.of(), "acquire", "lean/a", "--client-id", "alice", "--ttl", "60s",
        "--meta", "zone=b", "--meta", "note=\u001b[2Jx").code());
    CompletableFuture<Run> bob = CompletableFuture.supplyAsync(() ->
        run(Map.of(), "acquire", "lean/a", "--client-id", "bob", "--wait", "--wait-timeout", "60s", "--json"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
        JSON.readTree(run(FULL, "info", "lean/a", "--json").out()).path("lockInfo").path("waiterCount").asInt() == 1);

    assertTrue(leanCall(endpoints, null, "lean/a").isPresent(), "the lean path serves info");
    assertEquals(Cli.OK, leanInfo("lean/a", false, false), "info is answered over the lean path");
    assertEquals(Cli.OK, leanInfo("lean/a", true, true), "with --waiters --stale too");
    assertEquals(Cli.REFUSED, leanInfo("lean/none", false, false), "a free lock too");
    int down = closedPort();
    assertTrue(leanCall("127.0.0.1:" + down + "," + endpoints, null, "lean/a").isPresent(),
        "a node that cannot be reached gives way to the next");
    try (ServerSocket hung = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      // The kernel accepts the connection into the backlog; nothing ever answers on it.
      String first = "127.0.0.1:" + hung.getLocalPort();
      assertTrue(leanCall(first + "," + endpoints, null, "lean/a").isPresent(),
          "a node that accepts but does not answer gives way to the next within its share");
      Run allHung = sameOnBothPaths("info", "lean/a", "--endpoints", first, "--timeout", "2s", "--json");
      assertEquals(Cli.UNAVAILABLE, allHung.code(), allHung.out());
    }

    Run held = sameOnBothPaths("info", "lean/a");
    assertEquals(Cli.OK, held.code());
    assertTrue(held.out().contains("owner      alice"), held.out());
    assertTrue(held.out().contains("\\u001b[2Jx"), "escaped as on the full path: " + held.out());
    Run training = run(Map.of("RAFTLOCK_CDS_TRAINING", "1"), "info", "lean/a");
    assertEquals(held.stable(), training.stable(), "the launcher's training run prints the lean answer once");
    assertEquals("", training.err());
    Run waiters = sameOnBothPaths("info", "lean/a", "--waiters", "--stale");
    assertTrue(waiters.out().contains("\n  0. bob priority 0, gives up at "), waiters.out());
    Run json = sameOnBothPaths("info", "lean/a", "--waiters", "--json");
    JsonNode doc = JSON.readTree(json.out());
    assertEquals("\u001b[2Jx", doc.path("lockInfo").path("metadata").path("note").asText());
    assertEquals("bob", doc.path("lockInfo").path("waitersInfo").path(0).path("clientId").asText());
    assertTrue(doc.path("held").asBoolean());
    assertEquals("lean/a", doc.path("lock").asText());

    Run free = sameOnBothPaths("info", "lean/none");
    assertEquals(Cli.REFUSED, free.code());
    assertEquals("lean/none is free\n", free.out());
    Run freeJson = sameOnBothPaths("info", "lean/none", "--json");
    assertEquals("LOCK_NOT_FOUND", JSON.readTree(freeJson.out()).path("error").path("code").asText());
    assertFalse(JSON.readTree(freeJson.out()).path("held").asBoolean(true));

    // A refusal (400 {"error": ...}) is left to the full path, which reports it as it always has.
    assertTrue(leanCall(endpoints, null, "").isEmpty());
    Run invalid = sameOnBothPaths("info", "", "--json");
    assertEquals(Cli.USAGE, invalid.code());
    assertEquals("INVALID_ARGUMENT", JSON.readTree(invalid.out()).path("error").path("code").asText());

    // No node reachable: the full path's answer after its retries, exit 3.
    assertTrue(leanCall("127.0.0.1:" + down, null, "lean/a").isEmpty());
    Run unreachable = sameOnBothPaths("info", "lean/a", "--endpoints", "127.0.0.1:" + down, "--timeout", "1s", "--json");
    assertEquals(Cli.UNAVAILABLE, unreachable.code());
    assertEquals("UNAVAILABLE", JSON.readTree(unreachable.out()).path("error").path("code").asText());

    long token = doc.path("lockInfo").path("version").asLong();
    assertEquals(Cli.OK, run(Map.of(), "release", "lean/a", "--client-id", "alice", "--token", Long.toString(token)).code());
    assertEquals(Cli.OK, bob.get(30, TimeUnit.SECONDS).code());
  }

  @Test
  void withAuthTheKeyTravelsInItsHeaderAndEveryRefusalIsTheFullPaths() throws Exception {
    startCluster();
    Run enabled = run(Map.of(), "auth", "enable", "--json");
    assertEquals(Cli.OK, enabled.code(), enabled.err());
    String admin = JSON.readTree(enabled.out()).path("key").asText();
    assertEquals(Cli.OK, run(Map.of(), "acquire", "lean/auth", "--client-id", "alice", "--api-key", admin).code());

    assertTrue(leanCall(endpoints, admin, "lean/auth").isPresent(), "the key is sent in the Authorization header");
    assertTrue(leanCall(endpoints, null, "lean/auth").isEmpty(), "no key: refused by the node, the full path");
    assertTrue(leanCall(endpoints, "rlk_wrong", "lean/auth").isEmpty(), "a wrong key: 401, the full path");

    Run withKey = sameOnBothPaths("info", "lean/auth", "--api-key", admin, "--json");
    assertEquals(Cli.OK, withKey.code());
    assertEquals("alice", JSON.readTree(withKey.out()).path("lockInfo").path("ownerId").asText());
    Map<String, String> envKey = Map.of("RAFTLOCK_API_KEY", admin);
    assertEquals(run(FULL, "info", "lean/auth", "--api-key", admin).stable(), run(envKey, "info", "lean/auth").stable());

    Run noKey = sameOnBothPaths("info", "lean/auth", "--json");
    Run wrongKey = sameOnBothPaths("info", "lean/auth", "--api-key", "rlk_wrong", "--json");
    for (Run refused : List.of(noKey, wrongKey)) {
      assertEquals("PERMISSION_DENIED", JSON.readTree(refused.out()).path("error").path("code").asText(), refused.out());
      assertEquals(Cli.REFUSED, refused.code(), "no or a wrong key exits 1, as docs/cli.md says");
    }
  }
}
