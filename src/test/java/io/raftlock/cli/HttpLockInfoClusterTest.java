package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.testing.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's {@code GET /v1/lock-info} (docs/api.md), which the command line's lean path and any
 * plain HTTP client use, against a real 3-node cluster: the body is the {@code GetLockInfoResponse}
 * the other transports give (a held lock, a free one with its in-band {@code LOCK_NOT_FOUND}),
 * bad parameters are a 400 with the error, and with auth on the key in the {@code Authorization}
 * header is required and checked (401 and PERMISSION_DENIED without it or with a wrong one).
 */
@Timeout(120)
class HttpLockInfoClusterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path root;
  LocalCluster cluster;
  String endpoints;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  int cli(String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(1, List.of("--endpoints", endpoints));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = Cli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of("RAFTLOCK_LEAN", "off"));
    lastOut = out.toString(StandardCharsets.UTF_8);
    return code;
  }

  String lastOut;

  /** GET on {@code node}: the status and the body read as JSON. */
  record Answer(int status, JsonNode body) { }

  Answer get(String node, String query, String apiKey) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + cluster.clientAddress(node)
        + "/v1/lock-info?" + query)).timeout(Duration.ofSeconds(10));
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()));
  }

  void startCluster() {
    cluster = new LocalCluster(3, root).start();
    endpoints = cluster.ids().stream().map(cluster::clientAddress).collect(Collectors.joining(","));
    cluster.awaitLeader();
  }

  @Test
  void answersAsTheApiDoesOnEveryNode() throws Exception {
    startCluster();
    assertEquals(Cli.OK, cli("acquire", "http/a b", "--client-id", "alice", "--ttl", "60s", "--meta", "zone=b"));
    for (String node : cluster.ids()) {
      Answer held = get(node, "lockId=http%2Fa+b&includeWaiters=true", null);
      assertEquals(200, held.status(), node + ": " + held.body());
      assertEquals("alice", held.body().path("lockInfo").path("ownerId").asText());
      assertEquals("b", held.body().path("lockInfo").path("metadata").path("zone").asText());
      Answer stale = get(node, "lockId=http%2Fa+b&staleRead=true", null);
      assertEquals(200, stale.status());
    }
    assertEquals(Cli.OK, cli("info", "http/a b", "--json"));
    assertEquals(JSON.readTree(lastOut).path("lockInfo"), get(cluster.ids().get(0), "lockId=http%2Fa+b", null)
        .body().path("lockInfo"), "the same lock as the gRPC call gives");

    Answer free = get(cluster.ids().get(1), "lockId=http%2Fnone", null);
    assertEquals(200, free.status());
    assertEquals("LOCK_NOT_FOUND", free.body().path("error").path("code").asText());

    Answer noName = get(cluster.ids().get(0), "includeWaiters=true", null);
    assertEquals(400, noName.status());
    assertEquals("INVALID_ARGUMENT", noName.body().path("error").path("code").asText());
    Answer badFlag = get(cluster.ids().get(0), "lockId=x&staleRead=yes", null);
    assertEquals(400, badFlag.status());
    assertEquals("INVALID_ARGUMENT", badFlag.body().path("error").path("code").asText());
  }

  @Test
  void withAuthOnTheKeyIsRequired() throws Exception {
    startCluster();
    assertEquals(Cli.OK, cli("auth", "enable", "--json"));
    String admin = JSON.readTree(lastOut).path("key").asText();
    assertEquals(Cli.OK, cli("acquire", "http/auth", "--client-id", "alice", "--api-key", admin));
    String node = cluster.ids().get(2);

    Answer withKey = get(node, "lockId=http%2Fauth", admin);
    assertEquals(200, withKey.status(), withKey.body().toString());
    assertEquals("alice", withKey.body().path("lockInfo").path("ownerId").asText());
    Answer noKey = get(node, "lockId=http%2Fauth", null);
    assertEquals(401, noKey.status(), noKey.body().toString());
    assertEquals("PERMISSION_DENIED", noKey.body().path("error").path("code").asText()); // the API's code; the status says 401
    Answer wrongKey = get(node, "lockId=http%2Fauth", "rlk_wrong");
    assertEquals(401, wrongKey.status(), wrongKey.body().toString());
  }
}
