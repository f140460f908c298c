package io.raftlock.it;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.LockManagerStats;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.testing.StockRaftLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients keep taking and giving back locks while the leader process is killed ({@code kill -9})
 * and later restarted. A client retries every retryable failure with the same request id, on
 * another node: it must only ever see retryable failures, every logical operation must succeed,
 * and none may be applied twice (the state machine's grant and release counters equal the number
 * of logical operations, and every fencing token is unique).
 */
class LeaderKillIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");
  private static final int CLIENTS = 4;
  /** A logical operation that has not succeeded after this long counts as failed. */
  private static final long OP_GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(45);
  private static final Set<Status.Code> RETRYABLE_STATUS =
      EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED);
  private static final Set<ErrorCode> RETRYABLE_CODES = EnumSet.of(ErrorCode.NO_LEADER,
      ErrorCode.REPLICATION_FAILURE, ErrorCode.TIMEOUT, ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED);

  @TempDir Path root;

  private final List<StockRaftLock> nodes = new ArrayList<>();
  /** Every failure that a client must not see, described. */
  private final Queue<String> violations = new ConcurrentLinkedQueue<>();
  /** Retryable failures seen, by status or in-band code. */
  private final Map<String, AtomicInteger> retried = new ConcurrentHashMap<>();
  /** token → the operation that was granted it. */
  private final Map<Long, String> tokens = new ConcurrentHashMap<>();
  private final Set<String> releases = ConcurrentHashMap.newKeySet();
  private final AtomicInteger opsDone = new AtomicInteger();
  private volatile boolean stop;

  @Test
  void clientsRideThroughALeaderKillWithOnlyRetryableErrorsAndNoDuplicateApplies() throws Exception {
    assertTrue(Files.exists(JAR), "the fat jar is built before integration tests");
    List<ManagedChannel> channels = new ArrayList<>();
    try (ProcessCluster c = new ProcessCluster(3, root, JAR)) {
      c.startAll();
      String leader = c.awaitReadyLeader(null, Duration.ofSeconds(60));
      for (String id : c.ids()) {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", c.clientPort(id)).usePlaintext().build();
        channels.add(ch);
        nodes.add(new StockRaftLock(ch, 2_000));
      }
      List<Client> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        Client client = new Client(i);
        clients.add(client);
        client.next();
      }
      awaitOps(100, Duration.ofSeconds(30));

      c.kill(leader);
      String next = c.awaitReadyLeader(leader, Duration.ofSeconds(15));
      assertNotEquals(leader, next);
      awaitOps(100, Duration.ofSeconds(30)); // with one node down

      c.start(leader);
      String caughtUpTo = next;
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> commitIndex(c, leader) >= commitIndex(c, caughtUpTo) - 50 && commitIndex(c, leader) > 0);
      awaitOps(100, Duration.ofSeconds(30)); // with the old leader back

      stop = true;
      CompletableFuture.allOf(clients.stream().map(cl -> cl.done).toArray(CompletableFuture[]::new))
          .get(90, TimeUnit.SECONDS);

      assertEquals(List.of(), List.copyOf(violations), "clients saw only retryable failures");
      int ops = opsDone.get();
      assertTrue(ops >= 300, ops + " operations");
      assertEquals(ops, tokens.size(), "every grant has its own fencing token");
      assertEquals(ops, releases.size(), "every (lock, token) was released once");

      String finalLeader = c.awaitReadyLeader(null, Duration.ofSeconds(15));
      StockRaftLock l = nodes.get(c.ids().indexOf(finalLeader));
      GetLocksResponse held = l.getLocks(GetLocksRequest.newBuilder()
          .setFilter(LockFilter.newBuilder().setOwnerIdPattern("lk-*")).build());
      assertFalse(held.hasError(), held.toString());
      assertEquals(0, held.getTotalMatchingFilter(), held.toString());
      // Retries answered from the dedupe table do not execute: the counters count each logical
      // operation exactly once.
      LockManagerStats stats = l.getStatus(GetStatusRequest.getDefaultInstance()).getLockStats();
      assertEquals(ops, stats.getTotalAcquires(), "grants applied");
      assertEquals(ops, stats.getTotalReleases(), "releases applied");
      System.out.println("LeaderKillIT: " + ops + " operations, retried " + retried);
    } finally {
      stop = true;
      for (ManagedChannel ch : channels) {
        ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  private void awaitOps(int more, Duration within) {
    int target = opsDone.get() + more;
    await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> opsDone.get() >= target);
  }

  private static long commitIndex(ProcessCluster c, String id) {
    return c.status(id).map(s -> s.get("commitIndex").asLong()).orElse(-1L);
  }

  /** One client: acquire its lock, release it, again, until told to stop; retries on any node. */
  private final class Client {
    final String clientId;
    final String lock;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    int node;
    int op;
    long lastToken;

    Client(int i) {
      clientId = "lk-client-" + i;
      lock = "lk-lock-" + i;
      node = i % nodes.size();
    }

    void next() {
      if (stop) {
        done.complete(null);
        return;
      }
      int n = op++;
      AcquireRequest acquire = AcquireRequest.newBuilder().setLockId(lock).setClientId(clientId)
          .setTtl(seconds(60)).setRequestId("acq-" + n).build();
      retrying("acquire " + clientId + "/" + n, StockRaftLock.ACQUIRE, acquire, AcquireResponse::getError,
          AcquireResponse::getAcquired)
          .thenCompose(a -> {
            long token = a.getLock().getVersion();
            String previous = tokens.putIfAbsent(token, clientId + "/" + n);
            if (previous != null) {
              violations.add("token " + token + " granted to " + clientId + "/" + n + " and " + previous);
            }
            if (token <= lastToken) {
              violations.add(lock + ": token " + token + " after " + lastToken);
            }
            lastToken = token;
            ReleaseRequest release = ReleaseRequest.newBuilder().setLockId(lock).setClientId(clientId)
                .setVersion(token).setRequestId("rel-" + n).build();
            return retrying("release " + clientId + "/" + n, StockRaftLock.RELEASE, release,
                ReleaseResponse::getError, ReleaseResponse::getReleased)
                .thenApply(r -> {
                  if (!releases.add(lock + ":" + token)) {
                    violations.add(lock + ":" + token + " released twice");
                  }
                  return r;
                });
          })
          .whenComplete((r, t) -> {
            if (t != null) {
              done.completeExceptionally(t);
            } else {
              opsDone.incrementAndGet();
              next();
            }
          });
    }

    /** The call, retried with the same request on the next node until it succeeds or must not be retried. */
    <Q, R> CompletableFuture<R> retrying(String what, MethodDescriptor<Q, R> method, Q request,
        Function<R, ErrorDetail> error, Predicate<R> success) {
      CompletableFuture<R> result = new CompletableFuture<>();
      attempt(what, method, request, error, success, System.nanoTime(), result);
      return result;
    }

    <Q, R> void attempt(String what, MethodDescriptor<Q, R> method, Q request, Function<R, ErrorDetail> error,
        Predicate<R> success, long started, CompletableFuture<R> result) {
      if (System.nanoTime() - started > OP_GIVE_UP_NANOS) {
        violations.add(what + " never succeeded");
        result.completeExceptionally(new IllegalStateException(what + " never succeeded"));
        return;
      }
      nodes.get(node).async(method, request).whenComplete((r, t) -> {
        long retryAfterMs;
        if (t != null) {
          Status s = Status.fromThrowable(t);
          if (!RETRYABLE_STATUS.contains(s.getCode())) {
            violations.add(what + ": " + s + " code " + StockRaftLock.trailer(t, StockRaftLock.ERROR_CODE));
            result.completeExceptionally(t);
            return;
          }
          retried.computeIfAbsent(s.getCode().name(), k -> new AtomicInteger()).incrementAndGet();
          String hint = StockRaftLock.trailer(t, StockRaftLock.RETRY_AFTER_MS);
          retryAfterMs = hint == null ? 50 : Long.parseLong(hint);
        } else {
          ErrorDetail e = error.apply(r);
          if (e.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED || e.getCode() == ErrorCode.OK) {
            if (success.test(r)) {
              result.complete(r);
            } else {
              violations.add(what + ": no error and no success: " + r);
              result.completeExceptionally(new IllegalStateException(what));
            }
            return;
          }
          if (!RETRYABLE_CODES.contains(e.getCode())) {
            violations.add(what + ": in-band " + e.getCode() + " " + e.getMessage());
            result.completeExceptionally(new IllegalStateException(what + ": " + e));
            return;
          }
          retried.computeIfAbsent("in-band " + e.getCode(), k -> new AtomicInteger()).incrementAndGet();
          retryAfterMs = e.hasRetryAfter() ? e.getRetryAfter().getSeconds() * 1000 + e.getRetryAfter().getNanos() / 1_000_000 : 50;
        }
        node = (node + 1) % nodes.size();
        Executor later = CompletableFuture.delayedExecutor(Math.max(20, Math.min(500, retryAfterMs)), TimeUnit.MILLISECONDS);
        later.execute(() -> attempt(what, method, request, error, success, started, result));
      });
    }
  }
}
