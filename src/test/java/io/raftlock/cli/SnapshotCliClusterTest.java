package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.StockSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshot save} from a running 3-node cluster with auth on, {@code snapshot restore} into
 * three new data directories, and a new cluster started on them: locks with their holders and
 * tokens, a session, and the auth state came through, and new tokens are above the saved ones.
 */
@Timeout(300)
class SnapshotCliClusterTest {
  @TempDir Path root;
  final CliRun cli = new CliRun();
  final List<ManagedChannel> channels = new ArrayList<>();

  int run(String... args) {
    return cli.run(args);
  }

  JsonNode json() throws Exception {
    return cli.json();
  }

  String err() {
    return cli.err();
  }

  static String endpoints(LocalCluster c) {
    return c.ids().stream().map(c::clientAddress).collect(Collectors.joining(","));
  }

  StockRaftLock api(LocalCluster c, String key) {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", c.clientPort(c.awaitLeader()))
        .usePlaintext().build();
    channels.add(ch);
    return new StockRaftLock(StockAuth.withKey(ch, key), 20_000);
  }

  StockSession session(LocalCluster c, String key) {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", c.clientPort(c.awaitLeader()))
        .usePlaintext().build();
    channels.add(ch);
    return new StockSession(StockAuth.withKey(ch, key));
  }

  static long acquire(StockRaftLock api, String lock, String owner) {
    AcquireResponse r = api.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(owner)
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600)).build());
    assertTrue(r.getAcquired(), r.toString());
    return r.getLock().getVersion();
  }

  @Test
  void savedFromARunningClusterAndRestoredIntoANewOne() throws Exception {
    Path file = root.resolve("backup.rlsnap");
    long jobToken;
    long sessionToken;
    long sessionId;
    String admin;
    JsonNode saved;
    try (LocalCluster old = new LocalCluster(3, root.resolve("old")).start()) {
      String eps = endpoints(old);
      assertEquals(Cli.OK, run("auth", "enable", "--endpoints", eps, "--json"), err());
      admin = json().get("key").asText();
      assertEquals(Cli.OK, run("auth", "role", "create", "jobs", "--endpoints", eps, "--api-key", admin), err());
      StockRaftLock api = api(old, admin);
      jobToken = acquire(api, "jobs/nightly", "worker-1");
      acquire(api, "jobs/hourly", "worker-2");
      StockSession s = session(old, admin);
      SessionResponse opened = s.call(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
          .setName("sx-holder").setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(300))));
      assertTrue(opened.hasOpened(), opened.toString());
      sessionId = opened.getOpened().getSessionId();
      AcquireResponse held = s.call(SessionRequest.newBuilder().setAcquire(AcquireRequest.newBuilder()
          .setLockId("jobs/by-session"))).getAcquire();
      assertTrue(held.getAcquired(), held.toString());
      sessionToken = held.getLock().getVersion();

      // Auth on: the snapshot is an admin call.
      assertEquals(Cli.REFUSED, run("snapshot", "save", file.toString(), "--endpoints", eps));
      assertFalse(file.toFile().exists(), "a refused save writes nothing");
      // Any member answers after a read barrier: ask a follower.
      String survivor = old.follower();
      assertEquals(Cli.OK, run("snapshot", "save", file.toString(), "--endpoint", old.clientAddress(survivor),
          "--api-key", admin, "--json"), err());
      saved = json();

      // A lost majority: no copy can be shown current, but --stale takes the survivor's state
      // (which applied the grants: it passed the barrier above).
      old.ids().stream().filter(id -> !id.equals(survivor)).forEach(old::stop);
      Path stale = root.resolve("stale.rlsnap");
      assertEquals(Cli.UNAVAILABLE, run("snapshot", "save", stale.toString(), "--endpoint",
          old.clientAddress(survivor), "--api-key", admin, "--timeout", "2s"));
      assertFalse(stale.toFile().exists());
      assertEquals(Cli.OK, run("snapshot", "save", stale.toString(), "--endpoint", old.clientAddress(survivor),
          "--api-key", admin, "--stale", "--json"), err());
      assertFalse(json().get("linearizable").asBoolean());
      assertTrue(json().get("index").asLong() >= sessionToken, json().toString());
    }
    long index = saved.get("index").asLong();
    assertTrue(index >= sessionToken, "the copy holds every acknowledged write: " + saved);
    assertTrue(saved.get("linearizable").asBoolean());
    assertEquals("[\"node-1\",\"node-2\",\"node-3\"]", saved.get("voters").toString());

    assertEquals(Cli.OK, run("snapshot", "status", file.toString(), "--json"), err());
    JsonNode status = json();
    assertEquals(index, status.get("index").asLong());
    assertEquals(3, status.get("locks").asInt(), status.toString());
    assertEquals(1, status.get("sessions").asInt(), status.toString());
    assertTrue(status.get("authEnabled").asBoolean());

    // The new cluster: new ports and data directories, the same ids (the default membership).
    try (LocalCluster restored = new LocalCluster(3, root.resolve("new"))) {
      for (String id : restored.ids()) {
        assertEquals(Cli.OK, run("snapshot", "restore", file.toString(), "--data-dir",
            restored.config(id).dataDir().toString(), "--node-id", id, "--json"), err());
        assertEquals(index, json().get("index").asLong());
        assertEquals(saved.get("term").asLong() + 1, json().get("term").asLong(), "a fresh term");
      }
      restored.start();
      assertTrue(restored.node(restored.awaitLeader()).status().term() > saved.get("term").asLong());
      String eps = endpoints(restored);

      // Auth came through: no key is refused, the saved admin key works, the role is there.
      assertEquals(Cli.REFUSED, run("auth", "status", "--endpoints", eps));
      assertEquals(Cli.OK, run("auth", "status", "--endpoints", eps, "--api-key", admin, "--json"), err());
      assertTrue(json().get("enabled").asBoolean());
      assertTrue(json().toString().contains("jobs"), json().toString());

      StockRaftLock api = api(restored, admin);
      LockInfo nightly = api.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("jobs/nightly").build())
          .getLockInfo();
      assertEquals("worker-1", nightly.getOwnerId());
      assertEquals(jobToken, nightly.getVersion());
      LockInfo bySession = api.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("jobs/by-session").build())
          .getLockInfo();
      assertEquals("sx-holder", bySession.getOwnerId());
      assertEquals(sessionToken, bySession.getVersion());

      // The session can be resumed on the new cluster, within its TTL.
      StockSession again = session(restored, admin);
      assertTrue(again.call(SessionRequest.newBuilder().setResume(ResumeSessionRequest.newBuilder()
          .setSessionId(sessionId))).hasOpened(), "the session came through");

      // The log continues after the backup's index: new tokens are above every saved one.
      long fresh = acquire(api, "jobs/after-restore", "worker-3");
      assertTrue(fresh > index && fresh > sessionToken, fresh + " after index " + index);
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
