package io.raftlock.node;

import io.raftlock.testing.FreePorts;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.testing.BlockedEventLoops;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM over the real parts: a Vert.x instance each, gRPC peer transport on
 * loopback, the Chronicle log in a temporary directory. Election, replication, restart from the
 * data directory, catch-up of a node left behind compaction through InstallSnapshot, and
 * client commands submitted on a follower and forwarded to the leader.
 */
class GrpcClusterTest {
  private static final List<String> IDS = List.of("n1", "n2", "n3");

  @TempDir Path dataRoot;
  private final BlockedEventLoops blocked = new BlockedEventLoops();
  private final Map<String, Integer> ports = new TreeMap<>();
  private final Map<String, Vertx> vertxes = new LinkedHashMap<>();
  private final Map<String, RaftVerticle<?>> nodes = new LinkedHashMap<>();
  private final Map<String, RaftVerticleTest.SumStateMachine> machines = new LinkedHashMap<>();
  /**
   * Raft tick of the nodes a test starts (election timeout: 10 to 20 ticks, 0.5 to 1 s): long
   * enough that an event loop starved for 500 ms on a busy machine does not start an election.
   */
  private long tickMs = 50;
  /** How long a follower waits for the leader's answer to a forwarded command. */
  private int forwardDeadlineMs = 10_000;

  @BeforeAll
  static void preload() {
    System.setProperty("chronicle.analytics.disable", "true");
    GrpcPeerTransport.preload();
  }

  @AfterEach
  void stopAll() {
    new ArrayList<>(vertxes.keySet()).forEach(this::stop);
    blocked.assertNone();
  }

  private void startCluster() throws IOException {
    for (String id : IDS) {
      ports.put(id, FreePorts.next());
    }
    IDS.forEach(this::start);
  }

  private void start(String id) {
    Map<String, PeerTransportConfig.PeerAddress> members = new TreeMap<>();
    ports.forEach((n, p) -> members.put(n, new PeerTransportConfig.PeerAddress("127.0.0.1", p)));
    Vertx vertx = blocked.newVertx();
    GrpcPeerTransport transport =
        new GrpcPeerTransport(vertx, PeerTransportConfig.of(id, "127.0.0.1", ports.get(id), members)
            .withForwardDeadlineMs(forwardDeadlineMs));
    ChronicleRaftStorage storage = new ChronicleRaftStorage(StorageOptions.defaults(dataRoot.resolve(id)));
    RaftVerticle.Options options = new RaftVerticle.Options(RaftConfig.defaults(id),
        ClusterConfig.ofVoters(ports.keySet()), tickMs, 200, 20, id.hashCode());
    RaftVerticleTest.SumStateMachine sm = new RaftVerticleTest.SumStateMachine();
    RaftVerticle<?> v = new RaftVerticle<>(options, storage, transport, sm, err -> {});
    vertx.deployVerticle(v).await();
    vertxes.put(id, vertx);
    nodes.put(id, v);
    machines.put(id, sm);
  }

  private void stop(String id) {
    Vertx v = vertxes.remove(id);
    if (v != null) {
      v.close().await(); // undeploys the verticle: transport and storage close
    }
  }

  private String awaitLeader() {
    String[] leader = new String[1];
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      for (String id : vertxes.keySet()) {
        RaftStatus s = nodes.get(id).status();
        if (s != null && s.leaderReady()) {
          leader[0] = id;
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  private void proposeAll(String on, int count) {
    List<Future<Applied>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      futures.add(nodes.get(on).propose(ByteBuffer.allocate(128).putLong(0, 1).array()));
    }
    Future.all(futures).await();
  }

  private void awaitSum(String id, long sum) {
    await().atMost(Duration.ofSeconds(20)).until(() -> machines.get(id).sum.get() == sum);
  }

  /** The running nodes other than {@code leader}, once each of them follows it. */
  private List<String> followersOf(String leader) {
    List<String> followers = vertxes.keySet().stream().filter(id -> !id.equals(leader)).toList();
    followers.forEach(id -> await().atMost(Duration.ofSeconds(10))
        .until(() -> leader.equals(nodes.get(id).status().leaderId())));
    return followers;
  }

  /** Waits for {@code f} to fail and returns its ProposalException. */
  private static ProposalException failure(Future<Applied> f, Duration within) {
    await().atMost(within).until(f::isComplete);
    assertTrue(f.failed(), () -> "expected a failure, got " + f.result());
    return assertInstanceOf(ProposalException.class, f.cause());
  }

  @Test
  void replicatesAndARestartedFollowerCatchesUpFromItsDataDir() throws IOException {
    startCluster();
    String leader = awaitLeader();
    proposeAll(leader, 100);
    IDS.forEach(id -> awaitSum(id, 100));

    String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    stop(follower);
    proposeAll(leader, 100);
    start(follower);
    awaitSum(follower, 200);
  }

  @Test
  void newLeaderWhenTheLeaderDies() throws IOException {
    startCluster();
    String first = awaitLeader();
    proposeAll(first, 50);
    stop(first);
    String second = awaitLeader();
    assertNotEquals(first, second);
    proposeAll(second, 50);
    start(first);
    awaitSum(first, 100);
    // status() is published once per tick, so it may trail the applied entries for a while.
    long newTerm = nodes.get(second).status().term();
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(first).status().term() >= newTerm);
  }

  @Test
  void followerBehindCompactionCatchesUpByInstallSnapshot() throws IOException {
    startCluster();
    String leader = awaitLeader();
    String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    stop(follower);
    proposeAll(leader, 1_000); // snapshots every 200 entries, keeps 20 behind each
    // Once the leader snapshotted past 500 its in-memory log starts after index 480, while the
    // follower holds about 1 entry: the only way to catch up is InstallSnapshot.
    await().until(() -> nodes.get(leader).status().snapshotIndex() > 500);
    start(follower);
    awaitSum(follower, 1_000);
    assertEquals(machines.get(leader).sum.get(), machines.get(follower).sum.get());
  }

  @Test
  void submitOnAFollowerAppliesOnTheLeaderAndReturnsTheStateMachinesResult() throws IOException {
    startCluster();
    String leader = awaitLeader();
    String follower = followersOf(leader).get(0);
    proposeAll(leader, 10); // sum 10
    Applied applied = nodes.get(follower).submit(RaftVerticleTest.value(5)).await();
    assertEquals(15L, applied.result(), "the leader's running sum, decoded on the follower");
    long[] termAndCommitted = nodes.get(leader).termAt(applied.index()).await();
    assertEquals(applied.term(), termAndCommitted[0]);
    assertEquals(1, termAndCommitted[1], "committed at the index it reports");
    IDS.forEach(id -> awaitSum(id, 15));
  }

  @Test
  void concurrentSubmitsFromAFollowerApplyExactlyOnceInOneOrder() throws IOException {
    // Hundreds of calls at once keep both event loops busy for a while on two shared cores; with
    // 100 ms election timeouts that alone caused elections here, and then some submits fail
    // (retryably, as they should). This test is about exactly-once and order, not elections.
    tickMs = 100;
    startCluster();
    String leader = awaitLeader();
    String follower = followersOf(leader).get(0);
    int n = 500;
    List<Future<Applied>> futures = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      futures.add(nodes.get(follower).submit(RaftVerticleTest.value(i)));
    }
    Future.all(futures).await();
    // Value i went to entry futures[i-1].index(); in index order, each reply is the running sum
    // of the values before and at it: the leader applied them once each, in log order.
    List<long[]> byIndex = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      Applied a = futures.get(i - 1).result();
      byIndex.add(new long[] {a.index(), i, (Long) a.result()});
    }
    byIndex.sort(Comparator.comparingLong(e -> e[0]));
    long running = 0;
    for (int k = 0; k < n; k++) {
      running += byIndex.get(k)[1];
      assertEquals(running, byIndex.get(k)[2], "reply of entry " + byIndex.get(k)[0]);
      assertTrue(k == 0 || byIndex.get(k)[0] > byIndex.get(k - 1)[0], "one entry per command");
    }
    long total = (long) n * (n + 1) / 2;
    IDS.forEach(id -> awaitSum(id, total));
    IDS.forEach(id -> assertEquals(n, machines.get(id).applied.get(), "applied exactly once on " + id));
  }

  @Test
  void aForwardThatReachesADeposedLeaderComesBackNotLeaderAndGoesNoFurther() throws IOException {
    startCluster();
    String old = awaitLeader();
    List<String> followers = followersOf(old);
    String next = followers.get(0);
    String sender = followers.get(1);
    assertEquals(io.raftlock.raft.RaftNode.TransferStatus.STARTED,
        nodes.get(old).transferLeadership(next).await());
    awaitLeader();
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(next).status().leaderReady()
        && next.equals(nodes.get(old).status().leaderId()));

    // The sender aims at the deposed leader, as a follower with a stale view would.
    ProposalException e = failure(nodes.get(sender).forwardTo(old, RaftVerticleTest.value(1_000)),
        Duration.ofSeconds(10));
    assertEquals(ProposalException.Reason.NOT_LEADER, e.reason());
    assertEquals(next, e.leaderHint());
    assertTrue(e.retryable());
    // Had the old leader passed it on, the answer would have been the new leader's Applied; and
    // nothing of it ever reaches a state machine: only the marker is applied, everywhere.
    nodes.get(next).propose(RaftVerticleTest.value(1)).await();
    IDS.forEach(id -> awaitSum(id, 1));
    IDS.forEach(id -> assertEquals(1, machines.get(id).applied.get()));
  }

  @Test
  void submitWithTheLeaderGoneFailsRetryablyWithinTheDeadline() throws IOException {
    forwardDeadlineMs = 1_000;
    startCluster();
    String leader = awaitLeader();
    List<String> followers = followersOf(leader);
    String survivor = followers.get(0);
    stop(followers.get(1));
    stop(leader); // the survivor alone can never elect a leader: every submit must fail
    Duration bound = Duration.ofMillis(forwardDeadlineMs + 5_000);
    for (int i = 0; i < 3; i++) {
      ProposalException e = failure(nodes.get(survivor).submit(RaftVerticleTest.value(1)), bound);
      assertTrue(e.retryable(), e::toString);
    }
    // Once its election timer fired it knows no leader: NO_LEADER at once, nothing sent.
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get(survivor).status().leaderId() == null);
    ProposalException e = failure(nodes.get(survivor).submit(RaftVerticleTest.value(1)), bound);
    assertEquals(ProposalException.Reason.NO_LEADER, e.reason());
    assertTrue(e.retryable());
    assertEquals(0, machines.get(survivor).sum.get());
  }
}
