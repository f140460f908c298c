package io.raftlock.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftlock auth ...} in-process against a real 3-node cluster that snapshots every few
 * entries: auth is set up from the command line, and the ACL state (keys, roles, and the
 * principal each holding belongs to) survives snapshots and a restart of every member.
 */
@Timeout(240)
class AuthCliClusterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path root;
  LocalCluster cluster;
  String endpoints;
  final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

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

  /** A cluster whose members snapshot every 10 applied entries and keep 5 behind. */
  LocalCluster snapshottingCluster() {
    return new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        c.electionTicks(), c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        10, 5, c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api())).start();
  }

  @Test
  void authIsSetUpFromTheCliAndSurvivesSnapshotsAndARestart() throws Exception {
    cluster = snapshottingCluster();
    try {
      endpoints = cluster.ids().stream().map(cluster::clientAddress).collect(Collectors.joining(","));
      assertEquals(Cli.OK, run("auth", "enable", "--json"));
      String admin = json().get("key").asText();
      assertTrue(admin.startsWith("rlk_"), admin);
      assertEquals(Cli.REFUSED, run("auth", "status"), "no key: refused");
      assertEquals(Cli.REFUSED, run("members", "list"));
      assertEquals(Cli.OK, run("members", "list", "--api-key", admin));
      for (String[] step : new String[][] {{"role", "create", "jobs"}, {"role", "grant", "jobs", "lock", "jobs/*"},
          {"principal", "create", "alice"}, {"principal", "create", "bob"}, {"principal", "assign", "alice", "jobs"},
          {"principal", "assign", "bob", "jobs"}}) {
        List<String> argv = new ArrayList<>(List.of("auth"));
        argv.addAll(List.of(step));
        argv.addAll(List.of("--api-key", admin));
        assertEquals(Cli.OK, run(argv.toArray(String[]::new)), String.join(" ", step) + ": " + errBytes);
      }
      assertEquals(Cli.USAGE, run("auth", "role", "grant", "jobs", "write", "jobs/*", "--api-key", admin));
      assertEquals(Cli.REFUSED, run("auth", "principal", "create", "alice", "--api-key", admin), "exists already");
      assertEquals(Cli.OK, run("auth", "key", "create", "alice", "--api-key", admin, "--json"));
      String alice = json().get("key").asText();
      assertEquals(Cli.OK, run("auth", "key", "create", "bob", "--api-key", admin, "--json"));
      String bob = json().get("key").asText();
      assertEquals(Cli.OK, run("auth", "status", "--api-key", admin, "--json"));
      assertEquals(3, json().get("keys").size(), outBytes.toString(StandardCharsets.UTF_8));
      long aclIndex = json().get("appliedIndex").asLong();

      long token = holdAndCheck(alice, bob, "jobs/before-restart");
      // Enough entries that every member's snapshot holds the ACL state and the holding.
      for (int i = 0; i < 15; i++) {
        holdAndCheck(alice, bob, "jobs/churn-" + i);
      }
      // Every member's snapshot is past the ACL entries, which compaction then drops from the log.
      for (String id : cluster.ids()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> snapshotIndex(id, admin) > aclIndex);
      }
      List<String> ids = List.copyOf(cluster.running());
      ids.forEach(cluster::stop);
      ids.forEach(cluster::start);
      cluster.awaitLeader();
      assertEquals(Cli.OK, run("auth", "status", "--api-key", admin, "--json"));
      assertTrue(json().get("enabled").asBoolean());
      try (Stock bobClient = new Stock(cluster, bob)) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
          ReleaseResponse r = bobClient.api.release(ReleaseRequest.newBuilder().setLockId("jobs/before-restart")
              .setClientId("worker").setVersion(token).build());
          return r.getError().getCode() == io.raftlock.proto.api.ErrorCode.PERMISSION_DENIED;
        });
      }
      try (Stock aliceClient = new Stock(cluster, alice)) {
        ReleaseResponse r = aliceClient.api.release(ReleaseRequest.newBuilder().setLockId("jobs/before-restart")
            .setClientId("worker").setVersion(token).build());
        assertTrue(r.getReleased(), r.toString());
      }
    } finally {
      cluster.close();
    }
  }

  long snapshotIndex(String id, String key) throws Exception {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + cluster.clientAddress(id) + "/status"))
            .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body()).get("snapshotIndex").asLong();
  }

  /** Alice takes {@code lock} (held on), bob may not release it; returns the token. */
  long holdAndCheck(String alice, String bob, String lock) throws Exception {
    try (Stock a = new Stock(cluster, alice); Stock b = new Stock(cluster, bob)) {
      AcquireResponse granted = a.api.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId("worker")
          .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600)).build());
      assertTrue(granted.getAcquired(), granted.toString());
      long token = granted.getLock().getVersion();
      ReleaseResponse r = b.api.release(ReleaseRequest.newBuilder().setLockId(lock).setClientId("worker")
          .setVersion(token).build());
      assertEquals(io.raftlock.proto.api.ErrorCode.PERMISSION_DENIED, r.getError().getCode(), r.toString());
      try {
        b.api.acquire(AcquireRequest.newBuilder().setLockId("other/" + lock).setClientId("worker").build());
        throw new AssertionError("other/ must be refused");
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
      }
      return token;
    }
  }

  /** A stock grpc-java client of the leader, sending {@code key}. */
  static final class Stock implements AutoCloseable {
    final ManagedChannel channel;
    final StockRaftLock api;

    Stock(LocalCluster cluster, String key) {
      channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(cluster.awaitLeader()))
          .usePlaintext().build();
      api = new StockRaftLock(StockAuth.withKey(channel, key), 20_000);
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
