package io.raftlock.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.config.Limits;
import io.raftlock.config.NodeConfig;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.testing.CommittedState;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lock limits from the node configuration reach the cluster only as a committed Configure: the
 * elected leader proposes its own, every replica applies them at the same index, and a restarted
 * cluster replays them from its log.
 */
class LockLimitsClusterTest {
  /** One waiter per lock; the idempotency bounds as recommended. */
  private static final Limits ONE_WAITER = Limits.of(new LockStateMachine.Config(1,
      LockStateMachine.Config.RECOMMENDED.dedupeRetentionMs(), LockStateMachine.Config.RECOMMENDED.dedupeMaxEntries(),
      LockStateMachine.Config.RECOMMENDED.sessionDedupeMaxEntries()));

  @TempDir Path root;
  private LocalCluster cluster;
  private Vertx vertx;
  private GrpcClient grpc;

  @AfterEach
  void stop() {
    if (grpc != null) {
      grpc.close().await();
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aLowerWaiterCapBecomesEffectiveAfterTheElectionAndSurvivesARestart() {
    // Small snapshot interval: the restart below restores a snapshot and replays the log after it.
    cluster = new LocalCluster(3, root, c -> withSnapshotEvery(c.withLimits(ONE_WAITER), 5)).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
    awaitLimitsOnEveryNode(ONE_WAITER.toStateMachineConfig());

    RaftLockGrpcClient follower = client(cluster.follower());
    assertTrue(acquire(follower, "holder", false).getAcquired());
    assertTrue(acquire(follower, "w1", true).getQueued());
    assertEquals(ErrorCode.WAIT_QUEUE_FULL, acquire(follower, "w2", true).getError().getCode());

    for (String id : cluster.ids()) {
      cluster.stop(id);
    }
    for (String id : cluster.ids()) {
      cluster.start(id);
    }
    awaitLimitsOnEveryNode(ONE_WAITER.toStateMachineConfig());
    CommittedState state = CommittedState.of(cluster);
    assertEquals(1, state.hashes().stream().distinct().count(), "replicas agree: " + state);
    String leaderId = cluster.awaitLeader();
    assertEquals(0, cluster.node(leaderId).proposedConfigures(),
        "the limits came back from the log and the snapshot: the new leader had nothing to propose");
    RaftLockGrpcClient leader = client(leaderId);
    assertTrue(acquire(leader, "w1", true).getQueued(), "the queued waiter survived the restart");
    assertEquals(ErrorCode.WAIT_QUEUE_FULL, acquire(leader, "w3", true).getError().getCode());
  }

  private void awaitLimitsOnEveryNode(LockStateMachine.Config expected) {
    cluster.awaitLeader();
    await().atMost(java.time.Duration.ofSeconds(30)).until(() -> cluster.running().stream()
        .allMatch(id -> expected.equals(cluster.node(id).committedLimits().await())));
  }

  private static NodeConfig withSnapshotEvery(NodeConfig c, int entries) {
    return new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(), c.electionTicks(),
        c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(), entries, 2,
        c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api(), c.tls(), c.storageReserveBytes(), c.limits());
  }

  private RaftLockGrpcClient client(String node) {
    return RaftLockGrpcClient.create(grpc, SocketAddress.inetSocketAddress(cluster.clientPort(node), "127.0.0.1"));
  }

  private static AcquireResponse acquire(RaftLockGrpcClient c, String clientId, boolean waitForLock) {
    Duration minute = Duration.newBuilder().setSeconds(60).build();
    AcquireRequest.Builder r = AcquireRequest.newBuilder().setLockId("limited").setClientId(clientId)
        .setTtl(minute);
    if (waitForLock) {
      r.setWait(true).setWaitTimeout(minute);
    }
    return c.acquire(r.build()).await();
  }
}
