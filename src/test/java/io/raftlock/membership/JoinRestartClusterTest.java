package io.raftlock.membership;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.api.AdminCalls;
import io.raftlock.node.MemberDirectory;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.ListMembersResponse;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.TransferLeadershipRequest;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restarts after a runtime change: an original member remembers the joined member's addresses
 * (its saved address book) and can lead a quorum that needs it; the joined member restarts with
 * the same {@code --join} (not added twice) and keeps its vote.
 */
@Timeout(120)
class JoinRestartClusterTest {
  @TempDir Path root;
  private LocalCluster cluster;
  private Vertx vertx;
  private GrpcClient grpc;
  private AdminCalls calls;

  @AfterEach
  void tearDown() {
    if (grpc != null) {
      grpc.close().await();
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private String at(String id) {
    return "127.0.0.1:" + cluster.clientPort(id);
  }

  private void acquire(String lock) {
    var r = calls.onLeader(at(cluster.awaitLeader()), RaftLockGrpcClient.Acquire, AcquireRequest.newBuilder()
        .setLockId(lock).setClientId("c").setRequestId(lock).build(), 20_000).await();
    assertTrue(r.getAcquired(), r::toString);
  }

  @Test
  void membersAddedAtRuntimeSurviveRestarts() {
    cluster = new LocalCluster(3, root).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
    calls = new AdminCalls(vertx, grpc, 2_000);
    acquire("before-join");
    cluster.join("node-4", "node-2");
    long min = cluster.node(cluster.awaitLeader()).status().commitIndex();
    calls.onLeader(at(cluster.awaitLeader()), AdminGrpcClient.PromoteLearner,
        PromoteLearnerRequest.newBuilder().setId("node-4").setMinIndex(min).build(), 20_000).await();

    // node-1 saved node-4's addresses; after a restart it still has them.
    await().atMost(Duration.ofSeconds(10)).until(() -> MemberDirectory.load(root.resolve("node-1")).containsKey("node-4"));
    cluster.stop("node-1");
    cluster.start("node-1");
    calls.onLeader(at("node-1"), AdminGrpcClient.TransferLeadership,
        TransferLeadershipRequest.newBuilder().setId("node-1").build(), 20_000).await();
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leader().orElse("").equals("node-1"));
    // With node-2 down, 3 of the 4 voters remain: commits need node-4, reached by node-1.
    cluster.stop("node-2");
    acquire("without-node-2");

    // The joined node restarts through the same join address: it is not added twice.
    cluster.stop("node-4");
    cluster.start("node-2");
    cluster.start("node-4");
    ListMembersResponse list = calls.call(at("node-4"), AdminGrpcClient.ListMembers,
        ListMembersRequest.getDefaultInstance()).await();
    assertEquals(4, list.getMembersCount());
    assertTrue(list.getMembersList().stream().allMatch(m -> m.getRole().equals("VOTER")), list::toString);
    acquire("after-restarts");
    long commit = cluster.node(cluster.awaitLeader()).status().commitIndex();
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node("node-4").status().appliedIndex() >= commit);
  }
}
