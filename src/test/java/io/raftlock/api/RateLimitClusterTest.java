package io.raftlock.api;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission control on a real cluster: a client's acquire burst is cut at its bucket while other
 * clients and the same client's renewals and releases go through, and the global in-flight cap
 * refuses a flood from many clients and recovers at once. Refused requests change nothing. The
 * abuse cases run with small limits, so that a flood of a few hundred requests meets them; with
 * the shipped limits (checked against a runaway client in {@code RateLimiterTest}) a service that
 * shares one client id across many threads is not refused.
 */
@Timeout(120)
class RateLimitClusterTest {
  @TempDir Path root;

  /** {@code config} with the client API settings replaced. */
  static NodeConfig withApi(NodeConfig c, NodeConfig.ClientApi api) {
    return new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(), c.electionTicks(),
        c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(), api);
  }

  /** Outcome of one asynchronous call: the response or the failure. */
  record Outcome<R>(R response, Throwable failure) {
    boolean ok() {
      return failure == null;
    }
  }

  static <R> CompletableFuture<Outcome<R>> outcome(CompletableFuture<R> f) {
    return f.handle((r, t) -> new Outcome<>(r, t));
  }

  static AcquireRequest acquire(String lock, String client, String requestId) {
    return AcquireRequest.newBuilder().setLockId(lock).setClientId(client).setTtl(seconds(120))
        .setRequestId(requestId).build();
  }

  static int held(StockRaftLock c, String ownerPattern) {
    GetLocksResponse r = c.getLocks(GetLocksRequest.newBuilder()
        .setFilter(LockFilter.newBuilder().setOwnerIdPattern(ownerPattern)).setLimit(1000).build());
    assertFalse(r.hasError(), r.toString());
    return r.getTotalMatchingFilter();
  }

  static void assertRateLimited(Throwable t, String messagePart) {
    Status s = Status.fromThrowable(t);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode(), s.toString());
    assertTrue(s.getDescription() != null && s.getDescription().contains(messagePart), s.toString());
    assertEquals("302", StockRaftLock.trailer(t, StockRaftLock.ERROR_CODE));
    String retryAfter = StockRaftLock.trailer(t, StockRaftLock.RETRY_AFTER_MS);
    assertTrue(retryAfter != null && Long.parseLong(retryAfter) > 0, "retry-after " + retryAfter);
  }

  @Test
  void aClientsAcquireBurstIsCutAtItsBucketWhileOthersAndItsOwnMaintenanceGoThrough() throws Exception {
    int rate = 20;
    int burst = 40;
    try (LocalCluster cluster = new LocalCluster(3, root,
        c -> withApi(c, new NodeConfig.ClientApi("forward", rate, burst, 1000, 5000, 5000))).start()) {
      String node = cluster.awaitLeader();
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(node))
          .usePlaintext().build();
      try {
        StockRaftLock c = new StockRaftLock(channel);
        int flood = 200;
        int calm = 20;
        long start = System.nanoTime();
        List<CompletableFuture<Outcome<AcquireResponse>>> bursty = new ArrayList<>();
        List<CompletableFuture<Outcome<AcquireResponse>>> others = new ArrayList<>();
        for (int i = 0; i < flood; i++) {
          bursty.add(outcome(c.async(StockRaftLock.ACQUIRE, acquire("burst-" + i, "bursty", "b-" + i))));
          if (i % (flood / calm) == 0) {
            others.add(outcome(c.async(StockRaftLock.ACQUIRE, acquire("calm-" + i, "calm", "c-" + i))));
          }
        }
        CompletableFuture.allOf(bursty.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        double elapsedS = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(others.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        List<Integer> granted = new ArrayList<>();
        for (int i = 0; i < flood; i++) {
          Outcome<AcquireResponse> o = bursty.get(i).join();
          if (o.ok()) {
            assertTrue(o.response().getAcquired(), o.response().toString());
            granted.add(i);
          } else {
            assertRateLimited(o.failure(), "rate limit of client bursty");
          }
        }
        // The bucket: its size at once, plus what refilled while the burst was being admitted.
        int refilled = (int) Math.ceil(rate * elapsedS) + 1;
        assertTrue(granted.size() >= burst && granted.size() <= burst + refilled,
            granted.size() + " of " + flood + " admitted in " + elapsedS + " s");
        for (CompletableFuture<Outcome<AcquireResponse>> f : others) {
          Outcome<AcquireResponse> o = f.join();
          assertTrue(o.ok(), "another client is not limited by bursty's bucket: " + o.failure());
          assertTrue(o.response().getAcquired(), o.response().toString());
        }

        // Maintenance has its own bucket: right after the burst, more renewals and releases go
        // through than the new-work bucket could have refilled.
        List<CompletableFuture<Outcome<?>>> maintenance = new ArrayList<>();
        List<Integer> renewed = granted.subList(0, 10);
        List<Integer> released = granted.subList(10, 30);
        for (int i : renewed) {
          maintenance.add(outcome(c.async(StockRaftLock.RENEW, RenewRequest.newBuilder().setLockId("burst-" + i)
              .setClientId("bursty").setVersion(bursty.get(i).join().response().getLock().getVersion())
              .setNewTtl(seconds(120)).build())).thenApply(o -> (Outcome<?>) o));
        }
        for (int i : released) {
          maintenance.add(outcome(c.async(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId("burst-" + i)
              .setClientId("bursty").setVersion(bursty.get(i).join().response().getLock().getVersion())
              .build())).thenApply(o -> (Outcome<?>) o));
        }
        CompletableFuture.allOf(maintenance.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (CompletableFuture<Outcome<?>> f : maintenance) {
          Outcome<?> o = f.join();
          assertTrue(o.ok(), "maintenance refused after an acquire burst: " + o.failure());
          Object r = o.response();
          assertTrue(r instanceof RenewResponse rr ? rr.getRenewed()
              : ((io.raftlock.proto.api.ReleaseResponse) r).getReleased(), r.toString());
        }

        // Refused acquires changed nothing: exactly the admitted ones are held.
        assertEquals(granted.size() - released.size(), held(c, "bursty"));
        assertEquals(others.size(), held(c, "calm"));
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theShippedLimitsAdmitAServiceSharingOneClientIdAcrossManyThreads() throws Exception {
    try (LocalCluster cluster = new LocalCluster(3, root).start()) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(cluster.awaitLeader()))
          .usePlaintext().build();
      try {
        StockRaftLock c = new StockRaftLock(channel);
        // 64 threads of one service, 30 pairs each, back to back: far past the 200-request burst
        // of the former per-client limit (100/s), which refused such a service past ~50 pairs/s.
        int threads = 64;
        int pairsEach = 30;
        List<CompletableFuture<Integer>> users = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          users.add(pairs(c, "service", "shared-" + t + "-", pairsEach, 0));
        }
        CompletableFuture.allOf(users.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        assertEquals(threads * pairsEach, users.stream().mapToInt(CompletableFuture::join).sum(),
            "every acquire and release of the shared client id was admitted");
        assertEquals(0, held(c, "service"));
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  /** {@code remaining} acquire+release pairs one after the other; completes with the pairs done. */
  private static CompletableFuture<Integer> pairs(StockRaftLock c, String client, String lockPrefix, int remaining,
      int done) {
    if (remaining == 0) {
      return CompletableFuture.completedFuture(done);
    }
    String lock = lockPrefix + remaining;
    return c.async(StockRaftLock.ACQUIRE, acquire(lock, client, lock + "-a")).thenCompose(a -> {
      assertTrue(a.getAcquired(), a.toString());
      return c.async(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId(lock).setClientId(client)
          .setVersion(a.getLock().getVersion()).setRequestId(lock + "-r").build());
    }).thenCompose(r -> {
      assertTrue(r.getReleased(), r.toString());
      return pairs(c, client, lockPrefix, remaining - 1, done + 1);
    });
  }

  @Test
  void theInFlightCapRefusesAFloodOfManyClientsAndRecovers() throws Exception {
    try (LocalCluster cluster = new LocalCluster(3, root,
        c -> withApi(c, new NodeConfig.ClientApi("forward", 1000, 1000, 8, 5000, 5000))).start()) {
      // A follower forwards every write: requests stay in flight longer.
      String node = cluster.follower();
      int clients = 10;
      int perClient = 20;
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        List<StockRaftLock> stubs = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
          ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(node))
              .usePlaintext().build();
          channels.add(ch);
          stubs.add(new StockRaftLock(ch));
        }
        List<AcquireRequest> requests = new ArrayList<>();
        List<CompletableFuture<Outcome<AcquireResponse>>> calls = new ArrayList<>();
        for (int i = 0; i < perClient; i++) {
          for (int k = 0; k < clients; k++) {
            AcquireRequest r = acquire("inflight-" + k + "-" + i, "client-" + k, "req-" + i);
            requests.add(r);
            calls.add(outcome(stubs.get(k).async(StockRaftLock.ACQUIRE, r)));
          }
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        List<Integer> refused = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
          Outcome<AcquireResponse> o = calls.get(i).join();
          if (o.ok()) {
            assertTrue(o.response().getAcquired(), o.response().toString());
          } else {
            assertRateLimited(o.failure(), "in flight");
            refused.add(i);
          }
        }
        assertTrue(!refused.isEmpty(), "a flood of " + calls.size() + " requests over a cap of 8 is cut");
        assertTrue(refused.size() < calls.size(), "some requests were admitted");
        StockRaftLock any = stubs.get(0);
        assertEquals(calls.size() - refused.size(), held(any, "client-*"),
            "exactly the admitted acquires hold a lock");

        // After the flood every refused request goes through (one at a time, same request id).
        for (int i : refused) {
          AcquireRequest r = requests.get(i);
          AcquireResponse again = stubs.get(Integer.parseInt(r.getClientId().substring("client-".length())))
              .acquire(r);
          assertTrue(again.getAcquired(), again.toString());
        }
        assertEquals(calls.size(), held(any, "client-*"));
      } finally {
        for (ManagedChannel ch : channels) {
          ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
      }
    }
  }
}
