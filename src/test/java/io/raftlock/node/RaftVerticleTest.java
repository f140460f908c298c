package io.raftlock.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.testing.BlockedEventLoops;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Three RaftVerticles in one JVM over the in-JVM transport: the driver against the real core. */
class RaftVerticleTest {
  private static final List<String> IDS = List.of("n1", "n2", "n3");

  /** Sums the longs it applies; replies with the running sum. */
  static final class SumStateMachine implements ReplicatedStateMachine {
    final AtomicLong sum = new AtomicLong();
    final AtomicLong applied = new AtomicLong();

    @Override
    public Object apply(long index, byte[] command) {
      applied.incrementAndGet();
      return sum.addAndGet(ByteBuffer.wrap(command).getLong());
    }

    @Override
    public byte[] snapshot() {
      return ByteBuffer.allocate(16).putLong(sum.get()).putLong(applied.get()).array();
    }

    @Override
    public void restore(byte[] snapshot) {
      ByteBuffer b = ByteBuffer.wrap(snapshot);
      sum.set(b.getLong());
      applied.set(b.getLong());
    }

    @Override
    public byte[] encodeResult(Object result) {
      return value((Long) result);
    }

    @Override
    public Object decodeResult(byte[] encoded) {
      return ByteBuffer.wrap(encoded).getLong();
    }
  }

  private final BlockedEventLoops blocked = new BlockedEventLoops();
  private final LocalTransport.Network network = new LocalTransport.Network();
  private final Map<String, InMemoryStorage> storages = new LinkedHashMap<>();
  private final Map<String, SumStateMachine> machines = new LinkedHashMap<>();
  private final Map<String, RaftVerticle<?>> nodes = new LinkedHashMap<>();
  private final Map<String, String> deployments = new LinkedHashMap<>();
  private Vertx vertx;

  @BeforeEach
  void startCluster() {
    vertx = blocked.newVertx();
    for (String id : IDS) {
      storages.put(id, new InMemoryStorage());
      start(id);
    }
  }

  @AfterEach
  void stopCluster() {
    vertx.close().await();
    storages.values().forEach(InMemoryStorage::shutdown);
    blocked.assertNone();
  }

  private void start(String id) {
    RaftVerticle.Options options = new RaftVerticle.Options(RaftConfig.defaults(id),
        ClusterConfig.ofVoters(Set.copyOf(IDS)), 10, 50, 10, id.hashCode());
    SumStateMachine sm = new SumStateMachine();
    RaftVerticle<?> v = new RaftVerticle<>(options, storages.get(id), network.transport(id), sm, err -> {});
    machines.put(id, sm);
    nodes.put(id, v);
    deployments.put(id, vertx.deployVerticle(v).await());
  }

  private void stop(String id) {
    vertx.undeploy(deployments.remove(id)).await();
  }

  private String awaitLeader() {
    String[] leader = new String[1];
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (var e : nodes.entrySet()) {
        RaftStatus s = e.getValue().status();
        if (deployments.containsKey(e.getKey()) && s != null && s.role() == Role.LEADER) {
          leader[0] = e.getKey();
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  static byte[] value(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private List<Applied> proposeAll(String on, int count) {
    List<Future<Applied>> futures = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      futures.add(nodes.get(on).propose(value(1)));
    }
    return Future.all(futures).await().list();
  }

  @Test
  void electsALeaderAndCommitsProposalsOnEveryNode() {
    String leader = awaitLeader();
    List<Applied> applied = proposeAll(leader, 200);
    assertEquals(200L, applied.get(applied.size() - 1).result(), "replies come from the state machine, in order");
    for (int i = 1; i < applied.size(); i++) {
      assertTrue(applied.get(i).index() > applied.get(i - 1).index());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> machines.values().stream().allMatch(m -> m.sum.get() == 200));
  }

  private long linearizableSum(String on) {
    return nodes.get(on).readBarrier(2_000)
        .compose(i -> nodes.get(on).query(sm -> ((SumStateMachine) sm).sum.get()))
        .await();
  }

  @Test
  void linearizableReadsOnAFollowerSeeEveryAcknowledgedWrite() {
    String leader = awaitLeader();
    String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    for (int round = 1; round <= 20; round++) {
      proposeAll(leader, 5);
      assertEquals(5L * round, linearizableSum(follower), "a read after an acknowledged write sees it");
      assertEquals(5L * round, linearizableSum(leader));
    }
  }

  @Test
  void anIsolatedLeaderCannotServeALinearizableRead() {
    String leader = awaitLeader();
    proposeAll(leader, 3);
    network.down.add(leader);
    Future<Long> read = nodes.get(leader).readBarrier(1_000);
    await().atMost(Duration.ofSeconds(5)).until(read::isComplete);
    ProposalException e = assertInstanceOf(ProposalException.class, read.cause());
    assertTrue(e.retryable(), "refused (" + e.reason() + "), never answered from a possibly stale state");
  }

  @Test
  void leaderBelowItsSpaceReserveRefusesNewProposalsAndHandsOver() {
    String full = awaitLeader();
    java.util.concurrent.atomic.AtomicBoolean below = new java.util.concurrent.atomic.AtomicBoolean(true);
    nodes.get(full).refuseProposalsWhen(below::get);
    Future<Applied> refused = nodes.get(full).propose(value(5));
    await().until(refused::isComplete);
    ProposalException e = assertInstanceOf(ProposalException.class, refused.cause());
    assertEquals(ProposalException.Reason.STORAGE_FULL, e.reason());
    assertTrue(e.retryable());
    await().atMost(Duration.ofSeconds(10)).until(() -> !awaitLeader().equals(full));
    // The sum is 1 (the new proposal alone): nothing of the refused 5 was applied.
    assertEquals(1L, proposeAll(awaitLeader(), 1).get(0).result(), "the new leader accepts");
    assertEquals(Role.FOLLOWER, nodes.get(full).status().role());
    below.set(false);
    String leader = awaitLeader();
    long commit = nodes.get(leader).status().commitIndex();
    await().until(() -> nodes.get(full).status().appliedIndex() >= commit);
  }

  @Test
  void followerRefusesWithTheLeadersName() {
    String leader = awaitLeader();
    String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    await().until(() -> leader.equals(nodes.get(follower).status().leaderId()));
    Future<Applied> f = nodes.get(follower).propose(value(1));
    await().until(f::isComplete);
    ProposalException e = assertInstanceOf(ProposalException.class, f.cause());
    assertEquals(ProposalException.Reason.NOT_LEADER, e.reason());
    assertEquals(leader, e.leaderHint());
  }

  @Test
  void submitOnAFollowerIsForwardedOnceAndAnsweredWithTheLeadersResult() {
    String leader = awaitLeader();
    String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    await().until(() -> leader.equals(nodes.get(follower).status().leaderId()));
    proposeAll(leader, 10);
    Applied forwarded = nodes.get(follower).submit(value(5)).await();
    assertEquals(15L, forwarded.result(), "decoded by the follower's state machine");
    assertEquals(20L, nodes.get(leader).submit(value(5)).await().result(), "the leader proposes");
    await().atMost(Duration.ofSeconds(5)).until(() -> machines.values().stream().allMatch(m -> m.applied.get() == 12));
  }

  @Test
  void newLeaderAfterTheLeaderStopsAndTheOldOneCatchesUpOnRestart() {
    String first = awaitLeader();
    proposeAll(first, 100);
    stop(first);
    String second = awaitLeader();
    assertNotEquals(first, second);
    proposeAll(second, 100);
    start(first); // same storage: recovers its log and catches up
    await().atMost(Duration.ofSeconds(10)).until(() -> machines.get(first).sum.get() == 200);
  }
}
