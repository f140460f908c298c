package io.raftlock.membership;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.api.AdminCalls;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.ListMembersResponse;
import io.raftlock.proto.admin.Member;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.admin.TransferLeadershipRequest;
import io.raftlock.proto.admin.TransferLeadershipResponse;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.raft.Role;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-cluster scenario, under a steady lock workload through the real gRPC API:
 * grow 3 → 5 (two nodes join as learners, catch up by snapshot, are promoted), remove the leader,
 * shrink back to 3 by removing the next leader after it hands over, transfer leadership twice. Afterwards: every acknowledged acquire and release
 * took effect, fencing tokens of each lock only increased, and clients saw only retryable errors.
 * The unavailability windows (the longest gap between acknowledged writes around each change) are
 * printed, not asserted: they depend on the machine.
 */
@Timeout(180)
class MembershipClusterTest {
  private static final int CLIENTS = 3;

  @TempDir Path root;
  private LocalCluster cluster;
  private Vertx vertx;
  private GrpcClient grpc;
  private AdminCalls calls;

  /** Nodes clients may talk to; a node leaves the list before it is stopped. */
  private final List<String> targets = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  /** Completion times (nanoTime) of acknowledged writes, all clients together. */
  private final ConcurrentLinkedQueue<Long> acknowledgedAt = new ConcurrentLinkedQueue<>();
  /** Fencing tokens of acknowledged acquires, per lock, in acknowledgement order. */
  private final Map<String, List<Long>> tokens = new ConcurrentHashMap<>();
  /** Every failure a client saw: "status/code/message". */
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> nonRetryable = new ConcurrentLinkedQueue<>();
  private final AtomicInteger rotation = new AtomicInteger();

  @AfterEach
  void tearDown() {
    stopping.set(true);
    if (grpc != null) {
      grpc.close().await();
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private String target() {
    List<String> t = targets;
    return "127.0.0.1:" + cluster.clientPort(t.get(Math.floorMod(rotation.getAndIncrement(), t.size())));
  }

  /**
   * One write until it is acknowledged: retryable failures are retried with the same request id
   * on the next node; an in-band lock outcome or a non-retryable failure ends the client.
   */
  private <Q, R> Future<R> untilAcknowledged(io.vertx.grpc.common.ServiceMethod<R, Q> method, Q request,
      java.util.function.Function<R, io.raftlock.proto.api.ErrorDetail> inBandError) {
    Promise<R> done = Promise.promise();
    Runnable[] attempt = new Runnable[1];
    attempt[0] = () -> calls.call(target(), method, request).onComplete(ar -> {
      if (ar.succeeded()) {
        io.raftlock.proto.api.ErrorDetail e = inBandError.apply(ar.result());
        if (e == null || e.getCode() == ErrorCode.OK || e.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
          acknowledgedAt.add(System.nanoTime());
          done.complete(ar.result());
          return;
        }
        failures.add("in-band " + e.getCode() + " " + e.getMessage());
        if (e.getCode().getNumber() < 200) { // a lock outcome: this workload never expects one
          nonRetryable.add("in-band " + e.getCode() + ": " + e.getMessage());
          done.fail(e.getMessage());
          return;
        }
      } else if (ar.cause() instanceof AdminCalls.Failure f) {
        failures.add(f.status + "/" + f.code + " " + f.getMessage());
        if (!f.retryable()) {
          nonRetryable.add(f.status + "/" + f.code + ": " + f.getMessage());
          done.fail(f);
          return;
        }
      } else {
        nonRetryable.add(String.valueOf(ar.cause()));
        done.fail(ar.cause());
        return;
      }
      if (stopping.get()) {
        done.fail("stopped");
      } else {
        vertx.setTimer(5, id -> attempt[0].run());
      }
    });
    attempt[0].run();
    return done.future();
  }

  /** A client's loop: acquire its lock, release it, until asked to stop (after a release). */
  private Future<Void> client(int n) {
    String lock = "lock-" + n;
    String clientId = "client-" + n;
    Promise<Void> finished = Promise.promise();
    AtomicInteger round = new AtomicInteger();
    Runnable[] cycle = new Runnable[1];
    cycle[0] = () -> {
      if (stopping.get()) {
        finished.complete();
        return;
      }
      int r = round.incrementAndGet();
      untilAcknowledged(RaftLockGrpcClient.Acquire, AcquireRequest.newBuilder().setLockId(lock)
          .setClientId(clientId).setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60))
          .setRequestId(clientId + "-acquire-" + r).build(),
          (AcquireResponse a) -> a.getAcquired() ? null : a.getError())
          .compose(a -> {
            tokens.computeIfAbsent(lock, k -> new CopyOnWriteArrayList<>()).add(a.getLock().getVersion());
            return untilAcknowledged(RaftLockGrpcClient.Release, ReleaseRequest.newBuilder().setLockId(lock)
                .setClientId(clientId).setVersion(a.getLock().getVersion())
                .setRequestId(clientId + "-release-" + r).build(),
                (ReleaseResponse rel) -> rel.getReleased() ? null : rel.getError());
          })
          .onSuccess(x -> cycle[0].run())
          .onFailure(finished::fail);
    };
    vertx.runOnContext(v -> cycle[0].run());
    return finished.future();
  }

  private ListMembersResponse members(String node) {
    return calls.call("127.0.0.1:" + cluster.clientPort(node), AdminGrpcClient.ListMembers,
        ListMembersRequest.getDefaultInstance()).await();
  }

  private Set<String> voters(ListMembersResponse r) {
    return r.getMembersList().stream().filter(m -> m.getRole().equals("VOTER")).map(Member::getId)
        .collect(Collectors.toSet());
  }

  private String leaderAddress() {
    return "127.0.0.1:" + cluster.clientPort(cluster.awaitLeader());
  }

  /** Runs {@code change}, returns the longest gap between acknowledged writes around it, in ms. */
  private double unavailabilityMs(Supplier<?> change) {
    await().atMost(Duration.ofSeconds(10)).until(() -> acknowledgedAt.size() > 20);
    long before = System.nanoTime();
    change.get();
    long after = System.nanoTime();
    // Let the workload run on after the change, so a gap that ends later is seen whole.
    int seen = acknowledgedAt.size();
    await().atMost(Duration.ofSeconds(20)).until(() -> acknowledgedAt.size() > seen + 50);
    List<Long> times = acknowledgedAt.stream().sorted().toList();
    long worst = 0;
    for (int i = 1; i < times.size(); i++) {
      long a = times.get(i - 1);
      long b = times.get(i);
      if (b >= before && a <= after + 1_000_000_000L) {
        worst = Math.max(worst, b - a);
      }
    }
    return worst / 1e6;
  }

  private HttpResponse<String> http(String node, String path) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + cluster.clientPort(node) + path)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void growRemoveTheLeaderShrinkAndTransferUnderLoad() {
    // Snapshots every 300 entries: the log is compacted well before the new nodes join.
    cluster = new LocalCluster(3, root, c -> io.raftlock.config.NodeConfig.fromJson(c.nodeId(),
        c.dataDir().toString(), c.members(), c.tickMs(), null, null, null, null, null, 300, 50, null, null))
        .start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
    calls = new AdminCalls(vertx, grpc, 2_000);
    targets.addAll(cluster.ids());
    List<Future<Void>> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      clients.add(client(i));
    }
    // Enough history that the log is compacted: the new nodes catch up by snapshot.
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedAt.size() > 800);

    // Grow 3 → 5: join as learners, then promote once caught up to the leader's commit index.
    for (String id : List.of("node-4", "node-5")) {
      cluster.join(id, targets.get(0));
      assertTrue(members(cluster.awaitLeader()).getMembersList().stream()
          .anyMatch(m -> m.getId().equals(id) && m.getRole().equals("LEARNER")));
      long minIndex = cluster.node(cluster.awaitLeader()).status().commitIndex();
      calls.onLeader(leaderAddress(), AdminGrpcClient.PromoteLearner,
          PromoteLearnerRequest.newBuilder().setId(id).setMinIndex(minIndex).build(), 30_000).await();
      targets.add(id);
    }
    assertTrue(cluster.node("node-4").status().snapshotIndex() > 0, "node-4 caught up by snapshot");
    String leader = cluster.awaitLeader();
    assertEquals(Set.of("node-1", "node-2", "node-3", "node-4", "node-5"), voters(members(leader)));

    // Remove the leader: it steps down once its removal commits and hands over.
    String removed = leader;
    double removalMs = unavailabilityMs(() -> calls.onLeader(leaderAddress(), AdminGrpcClient.RemoveServer,
        RemoveServerRequest.newBuilder().setId(removed).build(), 30_000).await());
    targets.remove(removed);
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(removed).status().removed()
        && cluster.node(removed).status().role() != Role.LEADER);
    // The removed node says so: /status reports it and /ready keeps load balancers away.
    HttpResponse<String> ready = http(removed, "/ready");
    assertEquals(503, ready.statusCode(), ready.body());
    assertTrue(ready.body().contains("not a member"), ready.body());
    assertTrue(http(removed, "/status").body().contains("\"removed\" : true"));
    cluster.stop(removed);
    String newLeader = cluster.awaitLeader();
    assertNotEquals(removed, newLeader);

    // Shrink to 3 by removing the (new) leader again, this time handing over first.
    String second = cluster.awaitLeader();
    double handOverRemovalMs = unavailabilityMs(() -> calls.onLeader(leaderAddress(), AdminGrpcClient.RemoveServer,
        RemoveServerRequest.newBuilder().setId(second).setTransferFirst(true).build(), 30_000).await());
    targets.remove(second);
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(second).status().removed());
    cluster.stop(second);
    assertEquals(3, voters(members(cluster.awaitLeader())).size());

    // Two leadership transfers, to the most caught-up voter.
    double[] transferMs = new double[2];
    for (int i = 0; i < 2; i++) {
      String from = cluster.awaitLeader();
      TransferLeadershipResponse[] to = new TransferLeadershipResponse[1];
      transferMs[i] = unavailabilityMs(() -> to[0] = calls.call("127.0.0.1:" + cluster.clientPort(from),
          AdminGrpcClient.TransferLeadership, TransferLeadershipRequest.getDefaultInstance()).await());
      assertNotEquals(from, to[0].getLeaderId());
    }

    stopping.set(true);
    Future.join(clients).await();
    assertTrue(nonRetryable.isEmpty(), () -> "clients saw non-retryable errors: " + nonRetryable);

    // Fencing tokens of each lock strictly increase, and every acknowledged release took effect:
    // no lock is held now (each client stopped after an acknowledged release).
    for (Map.Entry<String, List<Long>> e : tokens.entrySet()) {
      List<Long> t = e.getValue();
      for (int i = 1; i < t.size(); i++) {
        assertTrue(t.get(i) > t.get(i - 1), () -> e.getKey() + " tokens not increasing: " + t);
      }
    }
    String finalLeader = cluster.awaitLeader();
    for (String lock : tokens.keySet()) {
      GetLockInfoResponse info = calls.call("127.0.0.1:" + cluster.clientPort(finalLeader),
          RaftLockGrpcClient.GetLockInfo, GetLockInfoRequest.newBuilder().setLockId(lock).build()).await();
      assertFalse(info.hasLockInfo(), () -> lock + " still held: " + info);
    }
    // One more acquire per lock is acknowledged and visible, with a token above all before.
    for (String lock : tokens.keySet()) {
      AcquireResponse a = untilAcknowledged(RaftLockGrpcClient.Acquire, AcquireRequest.newBuilder()
          .setLockId(lock).setClientId("final").setRequestId("final-" + lock).build(),
          (AcquireResponse r) -> r.getAcquired() ? null : r.getError()).await();
      long last = tokens.get(lock).get(tokens.get(lock).size() - 1);
      assertTrue(a.getLock().getVersion() > last);
      GetLockInfoResponse info = calls.call("127.0.0.1:" + cluster.clientPort(finalLeader),
          RaftLockGrpcClient.GetLockInfo, GetLockInfoRequest.newBuilder().setLockId(lock).build()).await();
      assertEquals(a.getLock().getVersion(), info.getLockInfo().getVersion());
    }
    int acquires = tokens.values().stream().mapToInt(List::size).sum();
    System.out.printf("membership under load: %d acknowledged acquires, %d retried failures;"
        + " unavailability: leader removal %.1f ms, leader removal after a hand-over %.1f ms,"
        + " transfers %.1f ms and %.1f ms%n",
        acquires, failures.size(), removalMs, handOverRemovalMs, transferMs[0], transferMs[1]);
    failures.stream().collect(Collectors.groupingBy(f -> f.length() > 60 ? f.substring(0, 60) : f,
        Collectors.counting())).forEach((k, v) -> System.out.println("  " + v + " x " + k));
  }
}
