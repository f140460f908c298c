package io.raftlock.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.testing.BlockedEventLoops;
import io.raftlock.testing.FreePorts;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes through the Raft verticle over the real gRPC transport: a fourth node that
 * the others were never configured with is added as a learner, catches up by snapshot, is
 * promoted, and stays reachable after the leader that added it removes itself (the others
 * learned its address when it called them). Refusals fail at once with a typed status.
 */
class MembershipVerticleTest {
  @TempDir Path dataRoot;
  private final BlockedEventLoops blocked = new BlockedEventLoops();
  private final Map<String, Integer> ports = new TreeMap<>();
  private final Map<String, Vertx> vertxes = new LinkedHashMap<>();
  private final Map<String, RaftVerticle<?>> nodes = new LinkedHashMap<>();
  private final Map<String, RaftVerticleTest.SumStateMachine> machines = new LinkedHashMap<>();

  @BeforeAll
  static void preload() {
    System.setProperty("chronicle.analytics.disable", "true");
    GrpcPeerTransport.preload();
  }

  @AfterEach
  void stopAll() {
    new ArrayList<>(vertxes.keySet()).forEach(id -> vertxes.remove(id).close().await());
    blocked.assertNone();
  }

  /** Starts {@code id} knowing the addresses of {@code known}, with {@code bootstrap} voters. */
  private void start(String id, Set<String> known, Set<String> bootstrap) {
    Map<String, PeerTransportConfig.PeerAddress> members = new TreeMap<>();
    Map<String, MemberDirectory.Addresses> book = new TreeMap<>();
    for (String n : known) {
      members.put(n, new PeerTransportConfig.PeerAddress("127.0.0.1", ports.get(n)));
      book.put(n, new MemberDirectory.Addresses("127.0.0.1:" + ports.get(n), null));
    }
    Vertx vertx = blocked.newVertx();
    GrpcPeerTransport transport =
        new GrpcPeerTransport(vertx, PeerTransportConfig.of(id, "127.0.0.1", ports.get(id), members));
    ChronicleRaftStorage storage = new ChronicleRaftStorage(StorageOptions.defaults(dataRoot.resolve(id)));
    RaftVerticle.Options options = new RaftVerticle.Options(RaftConfig.defaults(id),
        ClusterConfig.ofVoters(bootstrap), 10, 50, 10, id.hashCode());
    RaftVerticleTest.SumStateMachine sm = new RaftVerticleTest.SumStateMachine();
    RaftVerticle<?> v = new RaftVerticle<>(options, storage, transport, sm, err -> {});
    v.followMembership(new MemberDirectory(book), dataRoot.resolve(id));
    vertx.deployVerticle(v).await();
    vertxes.put(id, vertx);
    nodes.put(id, v);
    machines.put(id, sm);
  }

  private String awaitLeader() {
    String[] leader = new String[1];
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      for (String id : vertxes.keySet()) {
        RaftStatus s = nodes.get(id).status();
        if (s != null && s.leaderReady() && !s.removed()) {
          leader[0] = id;
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  private void propose(String on, int count) {
    List<Future<Applied>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      futures.add(nodes.get(on).propose(ByteBuffer.allocate(8).putLong(0, 1).array()));
    }
    Future.all(futures).await();
  }

  private static MembershipException refusal(Future<ClusterConfig> f) {
    await().atMost(Duration.ofSeconds(5)).until(f::isComplete);
    assertTrue(f.failed(), () -> "expected a refusal, got " + f.result());
    return assertInstanceOf(MembershipException.class, f.cause());
  }

  @Test
  void growsWithALearnerThenRemovesTheLeader() {
    Set<String> three = Set.of("n1", "n2", "n3");
    for (String id : List.of("n1", "n2", "n3", "n4")) {
      ports.put(id, FreePorts.next());
    }
    three.forEach(id -> start(id, three, three));
    String leader = awaitLeader();
    propose(leader, 200); // beyond snapshotEveryEntries: n4 must catch up by snapshot
    String follower = three.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

    // n4 knows everyone; nobody knows n4. It starts outside its configuration and waits.
    start("n4", Set.of("n1", "n2", "n3", "n4"), three);
    assertTrue(nodes.get("n4").status().removed());

    RaftVerticle<?> l = nodes.get(leader);
    assertEquals(ConfigChangeResult.Status.NOT_LEADER,
        refusal(nodes.get(follower).addLearner("n4", "127.0.0.1:" + ports.get("n4"), null)).status());
    assertEquals(ConfigChangeResult.Status.ALREADY_MEMBER,
        refusal(l.addLearner(follower, "127.0.0.1:1", null)).status());
    assertEquals(ConfigChangeResult.Status.NOT_A_MEMBER, refusal(l.removeServer("n9")).status());

    ClusterConfig withLearner = l.addLearner("n4", "127.0.0.1:" + ports.get("n4"), "127.0.0.1:1").await();
    assertEquals(Set.of("n4"), withLearner.learners());
    await().atMost(Duration.ofSeconds(20)).until(() -> machines.get("n4").sum.get() == 200);
    await().atMost(Duration.ofSeconds(5)).until(() -> !nodes.get("n4").status().removed());

    assertEquals(ConfigChangeResult.Status.MIN_INDEX_REQUIRED,
        refusal(l.promoteLearner("n4", 0, false)).status());
    long commit = l.status().commitIndex();
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get("n4").status().commitIndex() >= commit);
    ClusterConfig four = l.promoteLearner("n4", commit, false).await();
    assertEquals(Set.of("n1", "n2", "n3", "n4"), four.voters());
    // The follower learned n4's address when n4 called it.
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(follower).directory().get("n4") != null);

    ClusterConfig without = l.removeServer(leader).await();
    assertFalse(without.isMember(leader));
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(leader).status().removed()
        && nodes.get(leader).status().role() != io.raftlock.raft.Role.LEADER);
    vertxes.remove(leader).close().await();
    nodes.remove(leader);
    String next = awaitLeader();
    assertNotEquals(leader, next);
    propose(next, 10);
    for (String id : nodes.keySet()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> machines.get(id).sum.get() == 210);
    }
  }
}
