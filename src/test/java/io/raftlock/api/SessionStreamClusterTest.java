package io.raftlock.api;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.StockSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code Session} stream through a stock gRPC client against a real 3-node cluster: one
 * session per stream owns its holds and waits, grants are pushed on the stream, a broken stream
 * leaves the session to its TTL, and a session resumes on another node.
 */
@Timeout(180)
class SessionStreamClusterTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  /** Connected to the leader, never closed: unary observers and holders. */
  static ManagedChannel observerChannel;
  static StockRaftLock observer;
  final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
    observerChannel = channel(cluster.awaitLeader());
    observer = new StockRaftLock(observerChannel);
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    if (observerChannel != null) {
      observerChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeChannels() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  static ManagedChannel channel(String node) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(node)).usePlaintext().build();
  }

  ManagedChannel open(String node) {
    ManagedChannel c = channel(node);
    channels.add(c);
    return c;
  }

  /** A session named {@code name} with {@code ttlSeconds} on a new stream; returns its id. */
  static long openSession(StockSession s, String name, int ttlSeconds) {
    SessionResponse r = s.call(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
        .setName(name).setTtl(seconds(ttlSeconds))));
    assertTrue(r.hasOpened(), r.toString());
    return r.getOpened().getSessionId();
  }

  static SessionRequest.Builder acquire(String lock, boolean wait) {
    AcquireRequest.Builder a = AcquireRequest.newBuilder().setLockId(lock).setWait(wait);
    if (wait) {
      a.setWaitTimeout(seconds(120));
    }
    return SessionRequest.newBuilder().setAcquire(a);
  }

  static SessionRequest.Builder release(String lock, long token) {
    return SessionRequest.newBuilder().setRelease(ReleaseRequest.newBuilder().setLockId(lock).setVersion(token));
  }

  static long held(StockSession s, String lock) {
    AcquireResponse r = s.call(acquire(lock, false)).getAcquire();
    assertTrue(r.getAcquired(), r.toString());
    return r.getLock().getVersion();
  }

  static GetLockInfoResponse info(String lock) {
    return observer.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build());
  }

  static boolean free(String lock) {
    return info(lock).getError().getCode() == ErrorCode.LOCK_NOT_FOUND;
  }

  @Test
  void openAcquireAndReleaseOnOneStream() {
    StockSession s = new StockSession(open(cluster.follower()));
    openSession(s, "sx-worker", 30);

    long token = held(s, "sx-one");
    assertEquals("sx-worker", info("sx-one").getLockInfo().getOwnerId(), "labelled with the session's name");

    SessionResponse released = s.call(release("sx-one", token));
    assertTrue(released.getRelease().getReleased(), released.toString());
    assertTrue(free("sx-one"));

    held(s, "sx-one-more");
    SessionResponse closed = s.call(SessionRequest.newBuilder().setClose(CloseSessionRequest.getDefaultInstance()));
    assertTrue(closed.getClose().getClosed(), closed.toString());
    assertEquals(1, closed.getClose().getLocksReleased());
    await().atMost(Duration.ofSeconds(10)).until(() -> s.ended.isDone());
    assertTrue(s.ended.join().isOk(), "the server ends the stream after a close: " + s.ended.join());
    assertTrue(free("sx-one-more"));
  }

  @Test
  void aHalfCloseEndsTheStreamButNotTheSession() {
    StockSession s = new StockSession(open(cluster.follower()));
    long id = openSession(s, "sx-half", 30);
    long token = held(s, "sx-half");
    s.halfClose();
    await().atMost(Duration.ofSeconds(10)).until(() -> s.ended.isDone());
    assertTrue(s.ended.join().isOk(), s.ended.join().toString());

    StockSession again = new StockSession(open(cluster.awaitLeader()));
    assertTrue(again.call(SessionRequest.newBuilder().setResume(ResumeSessionRequest.newBuilder()
        .setSessionId(id))).hasOpened());
    assertEquals(token, info("sx-half").getLockInfo().getVersion());
  }

  @Test
  void aWaiterIsPushedItsGrantWhenTheHolderOnAnotherStreamReleases() {
    StockSession holder = new StockSession(open(cluster.awaitLeader()));
    StockSession waiter = new StockSession(open(cluster.follower()));
    long holderId = openSession(holder, "sx-holder", 30);
    long waiterId = openSession(waiter, "sx-waiter", 30);
    long token = held(holder, "sx-push");
    assertTrue(waiter.call(acquire("sx-push", true)).getAcquire().getQueued());

    assertTrue(holder.call(release("sx-push", token)).getRelease().getWaiterPromoted());

    await().atMost(Duration.ofSeconds(10)).until(() -> waiter.has(LockEventMessage.Kind.GRANTED, "sx-push"));
    LockEventMessage granted = waiter.events.stream()
        .filter(e -> e.getKind() == LockEventMessage.Kind.GRANTED).findFirst().orElseThrow();
    assertEquals(waiterId, granted.getSessionId());
    assertEquals(granted.getVersion(), info("sx-push").getLockInfo().getVersion());
    assertTrue(holder.events.stream().allMatch(e -> e.getSessionId() == holderId),
        "the holder's stream hears its own session's events only: " + holder.events);
  }

  @Test
  void twoSessionsWithTheSameNameNeverBothHold() {
    StockSession first = new StockSession(open(cluster.awaitLeader()));
    StockSession second = new StockSession(open(cluster.follower()));
    long firstId = openSession(first, "sx-twin", 30);
    long secondId = openSession(second, "sx-twin", 30);
    assertNotEquals(firstId, secondId);
    long token = held(first, "sx-twin-lock");

    AcquireResponse refused = second.call(acquire("sx-twin-lock", false)).getAcquire();
    assertFalse(refused.getAcquired(), refused.toString());
    assertEquals(ErrorCode.LOCK_HELD, refused.getError().getCode());
    SessionResponse notOwner = second.call(release("sx-twin-lock", token));
    assertFalse(notOwner.getRelease().getReleased(), "the same name is not the same owner: " + notOwner);
    assertEquals(token, info("sx-twin-lock").getLockInfo().getVersion());
  }

  @Test
  void aDroppedStreamsLocksAreReleasedWithinItsTtlAndGrantedToAWaiter() throws InterruptedException {
    ManagedChannel dropped = open(cluster.follower());
    StockSession holder = new StockSession(dropped);
    StockSession waiter = new StockSession(open(cluster.awaitLeader()));
    openSession(holder, "sx-dropper", 2);
    openSession(waiter, "sx-heir", 60);
    held(holder, "sx-dropped");
    assertTrue(waiter.call(acquire("sx-dropped", true)).getAcquire().getQueued());

    dropped.shutdownNow().awaitTermination(10, TimeUnit.SECONDS); // no close: the client just goes away

    // TTL (2 s) + expiry check and commit; generous for a loaded machine.
    await().atMost(Duration.ofSeconds(2 + 8)).until(() -> waiter.has(LockEventMessage.Kind.GRANTED, "sx-dropped"));
    assertEquals("sx-heir", info("sx-dropped").getLockInfo().getOwnerId());
  }

  @Test
  void aSessionWithoutKeepAlivesExpiresAndItsStreamIsToldItLostItsLocks() {
    StockSession s = new StockSession(open(cluster.follower()));
    long id = openSession(s, "sx-forgetful", 1);
    long token = held(s, "sx-lost");

    await().atMost(Duration.ofSeconds(1 + 8)).until(() -> s.has(LockEventMessage.Kind.SESSION_EXPIRED, ""));
    LockEventMessage expired = s.events.stream().filter(e -> e.getKind() == LockEventMessage.Kind.EXPIRED)
        .findFirst().orElseThrow(() -> new AssertionError("no EXPIRED before SESSION_EXPIRED: " + s.events));
    assertEquals("sx-lost", expired.getLockId());
    assertEquals(token, expired.getVersion());
    assertEquals(id, expired.getSessionId());
    assertTrue(free("sx-lost"));
    SessionResponse late = s.call(SessionRequest.newBuilder().setKeepAlive(KeepAliveRequest.getDefaultInstance()));
    assertEquals(ErrorCode.SESSION_NOT_FOUND, late.getKeepAlive().getError().getCode(), late.toString());
  }

  @Test
  void aSessionWithoutKeepAlivesIsWarnedBeforeItExpires() {
    StockSession s = new StockSession(open(cluster.awaitLeader()));
    long id = openSession(s, "sx-warned", 6);
    held(s, "sx-warned");

    // TTL 6 s: warned after about 4 s, expired after 6 s plus the expiry check and its commit.
    await().atMost(Duration.ofSeconds(6 + 10)).until(() -> s.has(LockEventMessage.Kind.SESSION_EXPIRED, ""));
    List<LockEventMessage.Kind> kinds = s.events.stream().map(LockEventMessage::getKind).toList();
    int warned = kinds.indexOf(LockEventMessage.Kind.SESSION_EXPIRING);
    assertTrue(warned >= 0 && warned < kinds.indexOf(LockEventMessage.Kind.EXPIRED), "warned before the loss: " + kinds);
    LockEventMessage warning = s.events.get(warned);
    assertEquals(id, warning.getSessionId());
    assertEquals("sx-warned", warning.getClientId());
    assertTrue(warning.hasExpiresAt(), warning.toString());
    assertEquals(1, kinds.stream().filter(k -> k == LockEventMessage.Kind.SESSION_EXPIRING).count(), kinds.toString());
  }

  @Test
  void aSessionResumedOnAnotherNodeKeepsItsLocksAndItsWaits() throws InterruptedException {
    String first = cluster.follower();
    String other = cluster.ids().stream().filter(id -> !id.equals(first)).findFirst().orElseThrow();
    ManagedChannel firstChannel = open(first);
    StockSession before = new StockSession(firstChannel);
    long id = openSession(before, "sx-mover", 10);
    long token = held(before, "sx-kept");
    AcquireResponse holding = observer.acquire(AcquireRequest.newBuilder().setLockId("sx-queue")
        .setClientId("sx-unary").setTtl(seconds(60)).build());
    assertTrue(holding.getAcquired());
    assertTrue(before.call(acquire("sx-queue", true)).getAcquire().getQueued());
    firstChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);

    StockSession after = new StockSession(open(other));
    SessionResponse resumed = after.call(SessionRequest.newBuilder()
        .setResume(ResumeSessionRequest.newBuilder().setSessionId(id)));
    assertEquals(id, resumed.getOpened().getSessionId(), resumed.toString());

    assertEquals(token, info("sx-kept").getLockInfo().getVersion());
    observer.release(ReleaseRequest.newBuilder().setLockId("sx-queue").setClientId("sx-unary")
        .setVersion(holding.getLock().getVersion()).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> after.has(LockEventMessage.Kind.GRANTED, "sx-queue"));
    assertTrue(after.call(release("sx-kept", token)).getRelease().getReleased(), "the resumed stream owns the lock");
  }

  @Test
  void resumingAnUnknownSessionIsRefused() {
    StockSession s = new StockSession(open(cluster.follower()));
    SessionResponse r = s.call(SessionRequest.newBuilder()
        .setResume(ResumeSessionRequest.newBuilder().setSessionId(987_654_321L)));
    assertEquals(ErrorCode.SESSION_NOT_FOUND, r.getError().getCode(), r.toString());
    assertEquals("resume.session_id", r.getError().getDetailsMap().get("field"));
    openSession(s, "sx-after-refusal", 30); // the stream may still open a session
  }

  @Test
  void correlationIdsMayRepeatButARequestIdMayNotNameAnotherCommand() {
    StockSession s = new StockSession(open(cluster.awaitLeader()));
    openSession(s, "sx-ids", 30);
    s.send(acquire("sx-corr-a", false).setCorrelationId(7).build());
    s.send(acquire("sx-corr-b", false).setCorrelationId(7).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> s.answers.stream()
        .filter(a -> a.getCorrelationId() == 7 && a.getAcquire().getAcquired()).count() == 2);

    AcquireResponse first = s.call(SessionRequest.newBuilder().setAcquire(
        AcquireRequest.newBuilder().setLockId("sx-req-a").setRequestId("r-1"))).getAcquire();
    AcquireResponse retry = s.call(SessionRequest.newBuilder().setAcquire(
        AcquireRequest.newBuilder().setLockId("sx-req-a").setRequestId("r-1"))).getAcquire();
    assertEquals(first.getLock().getVersion(), retry.getLock().getVersion(), "a retry gets the first answer");
    AcquireResponse other = s.call(SessionRequest.newBuilder().setAcquire(
        AcquireRequest.newBuilder().setLockId("sx-req-b").setRequestId("r-1"))).getAcquire();
    assertEquals(ErrorCode.INVALID_ARGUMENT, other.getError().getCode(), other.toString());
    assertTrue(free("sx-req-b"), "the refused command changed nothing");
  }

  /**
   * Numbered requests: once the client says it has the answers below 2, a late copy of request 1
   * (an acquire the client already released) is refused instead of taking the lock again.
   */
  @Test
  void aLateCopyOfAnAnsweredNumberedRequestIsRefused() {
    StockSession s = new StockSession(open(cluster.follower()));
    openSession(s, "sx-acks", 30);
    SessionRequest first = SessionRequest.newBuilder().setSeq(1).setAnsweredBelow(1).setAcquire(
        AcquireRequest.newBuilder().setLockId("sx-ack").setRequestId("k-1")).build();
    AcquireResponse granted = s.call(first.toBuilder()).getAcquire();
    assertTrue(granted.getAcquired(), granted.toString());
    assertEquals(granted, s.call(first.toBuilder()).getAcquire(), "while awaited, a copy gets the first answer");
    assertTrue(s.call(release("sx-ack", granted.getLock().getVersion()).setSeq(2).setAnsweredBelow(2)
        .setRelease(ReleaseRequest.newBuilder().setLockId("sx-ack").setVersion(granted.getLock().getVersion())
            .setRequestId("k-2"))).getRelease().getReleased());

    AcquireResponse late = s.call(first.toBuilder()).getAcquire();
    assertEquals(ErrorCode.INVALID_ARGUMENT, late.getError().getCode(), late.toString());
    assertTrue(late.getError().getMessage().contains("late copy"), late.toString());
    assertTrue(free("sx-ack"), "the late copy took nothing");

    assertRefused(s.call(acquire("sx-ack", false).setSeq(3).setAnsweredBelow(4)), ErrorCode.INVALID_ARGUMENT,
        "answered_below");
    assertRefused(s.call(acquire("sx-ack", false).setAnsweredBelow(4)), ErrorCode.INVALID_ARGUMENT,
        "answered_below");
    assertRefused(s.call(acquire("sx-ack", false).setSeq(-1)), ErrorCode.INVALID_ARGUMENT, "seq");
    assertTrue(free("sx-ack"));
  }

  @Test
  void badRequestsAreRefusedNamingTheFieldAndChangeNothing() {
    StockSession s = new StockSession(open(cluster.follower()));
    assertRefused(s.call(acquire("sx-bad", false)), ErrorCode.INVALID_ARGUMENT, "op");
    assertRefused(s.call(SessionRequest.newBuilder()), ErrorCode.INVALID_ARGUMENT, "op");
    assertRefused(s.call(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
        .setName("sx-bad").setTtl(com.google.protobuf.Duration.newBuilder().setNanos(500_000_000)))),
        ErrorCode.INVALID_TTL, "open.ttl");
    assertRefused(s.call(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
        .setTtl(seconds(30)))), ErrorCode.INVALID_ARGUMENT, "open.name");
    openSession(s, "sx-bad", 30);
    assertRefused(s.call(SessionRequest.newBuilder().setOpen(OpenSessionRequest.newBuilder()
        .setName("sx-bad").setTtl(seconds(30)))), ErrorCode.INVALID_ARGUMENT, "open");
    assertRefused(s.call(acquire("", false)), ErrorCode.INVALID_ARGUMENT, "acquire.lock_id");
    assertRefused(s.call(release("sx-bad", 0)), ErrorCode.INVALID_ARGUMENT, "release.version");
    assertTrue(free("sx-bad"));
    held(s, "sx-bad"); // the stream is still usable
  }

  static void assertRefused(SessionResponse r, ErrorCode code, String field) {
    assertTrue(r.hasError(), r.toString());
    assertEquals(code, r.getError().getCode(), r.toString());
    assertEquals(field, r.getError().getDetailsMap().get("field"), r.toString());
  }

  /**
   * One keep-alive per session, not one renew per lock: 1,000 locks held through 3 × TTL with
   * keep-alives only, none lost, no keep-alive refused.
   */
  @Test
  void aThousandLocksAreKeptForThreeTtlsByKeepAlivesAlone() throws Exception {
    int ttlSeconds = 3;
    StockSession s = new StockSession(open(cluster.follower()));
    openSession(s, "sx-many", ttlSeconds);
    List<String> locks = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      locks.add("sx-many-" + i);
    }
    List<SessionResponse> keepAlives = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      // The client's one keep-alive per session, from the start (acquiring 1,000 locks under the
      // per-session rate limit takes longer than the TTL).
      ticker.scheduleAtFixedRate(() -> s.request(SessionRequest.newBuilder()
          .setKeepAlive(KeepAliveRequest.getDefaultInstance())).thenAccept(keepAlives::add),
          0, ttlSeconds * 1000L / 3, TimeUnit.MILLISECONDS);
      acquireAll(s, locks);
      int before = keepAlives.size();
      await().pollInterval(Duration.ofMillis(500)).during(Duration.ofSeconds(3L * ttlSeconds))
          .atMost(Duration.ofSeconds(3L * ttlSeconds + 10))
          .until(() -> heldLocks("sx-many-*", true) == 1000 && s.events.stream().noneMatch(e ->
              e.getKind() == LockEventMessage.Kind.EXPIRED || e.getKind() == LockEventMessage.Kind.SESSION_EXPIRED));
      assertTrue(keepAlives.size() - before >= 3 * 3 - 1, "keep-alives while holding: " + (keepAlives.size() - before));
    } finally {
      ticker.shutdownNow();
    }
    for (SessionResponse k : keepAlives) {
      // An election on this busy machine may refuse one as NO_LEADER (retryable); never as
      // RATE_LIMITED, and the session is never gone.
      assertNotEquals(ErrorCode.RATE_LIMITED, k.getError().getCode(), k.toString());
      assertFalse(k.getKeepAlive().hasError(), k.toString());
    }
    SessionResponse closed = s.call(SessionRequest.newBuilder().setClose(CloseSessionRequest.getDefaultInstance()));
    assertEquals(1000, closed.getClose().getLocksReleased(), closed.toString());
    assertEquals(0, heldLocks("sx-many-*", false));
  }

  /** Locks matching {@code pattern}; a stale read is served locally, even during an election. */
  static int heldLocks(String pattern, boolean stale) {
    return observer.getLocks(io.raftlock.proto.api.GetLocksRequest.newBuilder().setStaleRead(stale)
        .setFilter(io.raftlock.proto.api.LockFilter.newBuilder().setLockIdPattern(pattern)).setLimit(1)
        .build()).getTotalMatchingFilter();
  }

  /**
   * Acquires every lock, pipelined, retrying after its hint what was refused before the cluster
   * (rate limit, an election): a session's retried acquire of a lock it holds answers acquired.
   */
  static void acquireAll(StockSession s, List<String> locks) throws Exception {
    List<String> todo = locks;
    for (int round = 0; !todo.isEmpty(); round++) {
      assertTrue(round < 100, "still not acquired: " + todo.size());
      List<java.util.concurrent.CompletableFuture<SessionResponse>> answers = new ArrayList<>();
      for (String lock : todo) {
        answers.add(s.request(acquire(lock, false)));
      }
      List<String> again = new ArrayList<>();
      long retryAfterMs = 0;
      for (int i = 0; i < todo.size(); i++) {
        SessionResponse r = answers.get(i).get(30, TimeUnit.SECONDS);
        if (r.hasError() && r.getError().hasRetryAfter()) {
          again.add(todo.get(i));
          retryAfterMs = Math.max(retryAfterMs, r.getError().getRetryAfter().getSeconds() * 1000
              + r.getError().getRetryAfter().getNanos() / 1_000_000);
        } else {
          assertTrue(r.getAcquire().getAcquired(), r.toString());
        }
      }
      todo = again;
      if (!todo.isEmpty()) {
        long pause = Math.max(retryAfterMs, 100);
        await().pollDelay(Duration.ofMillis(pause)).atMost(Duration.ofMillis(pause + 1000)).until(() -> true);
      }
    }
  }
}
