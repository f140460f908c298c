package io.raftlock.membership;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.api.AdminCalls;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.NewKeyResponse;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.RoleGrant;
import io.raftlock.testing.CommittedState;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ACL across membership changes, on a real cluster with auth on: a member that joins after
 * keys, roles and a holding were created (catching up from the log, or from a snapshot that
 * holds the ACL state because the log before it is compacted), is promoted to voter, and stays
 * when an original member is removed, enforces exactly what the others do: a key allowed
 * {@code jobs/} works there and is refused on {@code other/} with the prefix named, another
 * principal cannot release a holding taken before the join, admin-only calls are refused to a
 * non-admin, and a key revoked after the join (through the new member) is refused on it and on
 * every other member. The replicas' state hashes agree at the end.
 */
@Timeout(300)
class AuthMembershipClusterTest {
  /** How the new member gets the state that existed before it joined. */
  enum CatchUp { LOG, SNAPSHOT }

  @TempDir Path root;
  private LocalCluster cluster;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private Vertx vertx;
  private GrpcClient grpc;
  private AdminCalls admin;
  private String adminKey;

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (grpc != null) {
      grpc.close().await();
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Snapshots every 10 applied entries, 5 kept behind: the ACL entries leave the log early. */
  private static NodeConfig snapshotting(NodeConfig c) {
    return new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(), c.electionTicks(), c.heartbeatTicks(),
        c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(), 10, 5, c.syncDurableMarkBeforeAck(),
        c.eventLoops(), c.api());
  }

  @ParameterizedTest
  @EnumSource(CatchUp.class)
  void aMemberJoinedAfterTheAclWasSetUpEnforcesItAndLaterRevocations(CatchUp catchUp) {
    cluster = new LocalCluster(3, root, c -> catchUp == CatchUp.SNAPSHOT ? snapshotting(c) : c).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
    Before before = setUpAclAndAHolding();
    if (catchUp == CatchUp.SNAPSHOT) {
      for (int i = 0; i < 15; i++) {
        pair(cluster.awaitLeader(), before.alice(), "jobs/churn-" + i);
      }
      for (String id : cluster.ids()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(id).status().snapshotIndex()
            > before.aclIndex() + 2);
      }
    }
    cluster.join("node-4", "node-2", adminKey);
    long commit = cluster.node(cluster.awaitLeader()).status().commitIndex();
    admin.onLeader(at(cluster.awaitLeader()), AdminGrpcClient.PromoteLearner,
        PromoteLearnerRequest.newBuilder().setId("node-4").setMinIndex(commit).build(), 30_000).await();
    awaitApplied(List.of("node-4"), commit);
    if (catchUp == CatchUp.SNAPSHOT) {
      assertTrue(cluster.node("node-4").status().snapshotIndex() > before.aclIndex(), "node-4 caught up by snapshot");
    } else {
      assertEquals(0, cluster.node("node-4").status().snapshotIndex(), "node-4 caught up from the log");
    }
    assertSameAcl("node-4", before.alice(), before.carol().getKey(), before.heldToken());

    removeAnOriginalFollower();
    String carol = before.carol().getKey();
    long revokedAt = change("node-4", AuthChangeRequest.newBuilder().setRevokeKey(before.carol().getKeyId()))
        .getAppliedIndex();
    awaitApplied(cluster.running(), revokedAt);
    for (String id : cluster.running()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> as(id, carol).acquire(acquire("jobs/after-revoke", "w")));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), id);
    }
    assertSameAcl("node-4", before.alice(), null, before.heldToken());
    assertEquals(1, CommittedState.of(cluster).hashes().stream().distinct().count(), "the replicas agree");
  }

  /** What exists before the join: alice's and carol's keys, the index of the ACL set-up, alice's holding. */
  private record Before(String alice, NewKeyResponse carol, long aclIndex, long heldToken) {}

  /**
   * Auth on (the first key to {@code root}), a role with lock and read on {@code jobs/}, alice and
   * carol with that role, applied everywhere; alice holds {@code jobs/held}.
   */
  private Before setUpAclAndAHolding() {
    // From the node's own host a plaintext connection may receive the key (docs/security.md).
    adminKey = as("node-1", null).call(StockAuth.ENABLE, EnableAuthRequest.newBuilder().setPrincipal("root").build())
        .getKey();
    admin = new AdminCalls(vertx, grpc, 2_000).withApiKey(adminKey);
    change("node-2", AuthChangeRequest.newBuilder().setCreateRole("jobs"));
    for (String permission : List.of("lock", "read")) {
      change("node-2", AuthChangeRequest.newBuilder().setGrant(RoleGrant.newBuilder().setRole("jobs")
          .setGrant(Grant.newBuilder().setPrefix("jobs/*").setPermission(permission))));
    }
    String alice = principalWithRole("alice", "jobs").getKey();
    NewKeyResponse carol = principalWithRole("carol", "jobs");
    long aclIndex = change("node-2", AuthChangeRequest.newBuilder().setCreateRole("unused")).getAppliedIndex();
    awaitApplied(cluster.ids(), aclIndex);
    AcquireResponse held = as(cluster.awaitLeader(), alice).acquire(acquire("jobs/held", "worker"));
    assertTrue(held.getAcquired(), held::toString);
    return new Before(alice, carol, aclIndex, held.getLock().getVersion());
  }

  /** An original member other than the leader leaves; later changes commit without it. */
  private void removeAnOriginalFollower() {
    String leader = cluster.awaitLeader();
    String removed = cluster.ids().stream().filter(id -> !id.equals(leader) && !id.equals("node-4"))
        .findFirst().orElseThrow();
    admin.onLeader(at(leader), AdminGrpcClient.RemoveServer, RemoveServerRequest.newBuilder().setId(removed).build(),
        30_000).await();
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.node(removed).status().removed());
    cluster.stop(removed);
  }

  /**
   * What {@code node} allows and refuses: alice works on {@code jobs/} and is refused on
   * {@code other/}, and on admin-only calls; carol (when her key is still valid) cannot release
   * alice's holding; no key gets nothing.
   */
  private void assertSameAcl(String node, String alice, String carol, long heldToken) {
    pair(node, alice, "jobs/on-" + node);
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> as(node, alice).acquire(acquire("other/b", "w")));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("other/b"), refused.getStatus().getDescription());
    assertEquals(Status.Code.PERMISSION_DENIED, assertThrows(StatusRuntimeException.class, () -> as(node, alice)
        .call(StockAuth.CHANGE, AuthChangeRequest.newBuilder().setCreateRole("mine").build())).getStatus().getCode());
    assertEquals(Status.Code.PERMISSION_DENIED, assertThrows(StatusRuntimeException.class, () -> as(node, alice)
        .call(StockAuth.LIST_MEMBERS, ListMembersRequest.getDefaultInstance())).getStatus().getCode());
    assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class, () -> as(node, null)
        .call(StockRaftLock.GET_STATUS, GetStatusRequest.getDefaultInstance())).getStatus().getCode());
    if (carol != null) {
      ReleaseResponse r = as(node, carol).call(StockRaftLock.RELEASE, ReleaseRequest.newBuilder()
          .setLockId("jobs/held").setClientId("worker").setVersion(heldToken).build());
      assertEquals(ErrorCode.PERMISSION_DENIED, r.getError().getCode(), r.toString());
    }
  }

  private StockRaftLock as(String node, String key) {
    ManagedChannel channel = channels.computeIfAbsent(node, id -> ManagedChannelBuilder
        .forAddress("127.0.0.1", cluster.clientPort(id)).usePlaintext().build());
    return new StockRaftLock(key == null ? channel : StockAuth.withKey(channel, key), 20_000);
  }

  private String at(String node) {
    return cluster.clientAddress(node);
  }

  private io.raftlock.proto.auth.AuthStatusResponse change(String node, AuthChangeRequest.Builder r) {
    return as(node, adminKey).call(StockAuth.CHANGE, r.build());
  }

  private NewKeyResponse principalWithRole(String name, String role) {
    change("node-2", AuthChangeRequest.newBuilder().setCreatePrincipal(name));
    change("node-2", AuthChangeRequest.newBuilder().setAssignRole(PrincipalRole.newBuilder().setPrincipal(name)
        .setRole(role)));
    return as("node-2", adminKey).call(StockAuth.CREATE_KEY, CreateKeyRequest.newBuilder().setPrincipal(name).build());
  }

  private static AcquireRequest acquire(String lock, String client) {
    return AcquireRequest.newBuilder().setLockId(lock).setClientId(client)
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600)).build();
  }

  /** {@code key} takes and gives back {@code lock} through {@code node}. */
  private void pair(String node, String key, String lock) {
    StockRaftLock c = as(node, key);
    AcquireResponse a = c.acquire(acquire(lock, "pair"));
    assertTrue(a.getAcquired(), a::toString);
    ReleaseResponse r = c.call(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId(lock).setClientId("pair")
        .setVersion(a.getLock().getVersion()).build());
    assertTrue(r.getReleased(), r::toString);
  }

  private void awaitApplied(List<String> ids, long index) {
    for (String id : ids) {
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(id).status().appliedIndex() >= index);
    }
  }
}
