package io.raftlock.transport;

import static io.raftlock.transport.TransportFixture.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.testing.BlockedEventLoops;
import io.raftlock.raft.Entry;
import io.raftlock.raft.Message;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.raftlock.transport.TransportFixture.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class GrpcPeerTransportTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private TransportFixture fixture;
  private Map<String, PeerAddress> members;

  @BeforeEach
  void setUp() {
    fixture = new TransportFixture();
    members = TransportFixture.members("a", "b");
  }

  @AfterEach
  void tearDown() {
    fixture.close();
    fixture.blocked.assertNone();
  }

  static List<Message> everyKind(String from, String to) {
    byte[] payload = new byte[128];
    new Random(1).nextBytes(payload);
    return List.of(
        new Message.RequestVote(from, to, 3, 10, 2, true, false),
        new Message.RequestVote(from, to, 4, 10, 2, false, true),
        new Message.RequestVoteResponse(from, to, 4, true, false),
        new Message.AppendEntries(from, to, 4, 9, 2,
            List.of(Entry.normal(4, 10, payload), Entry.noop(4, 11)), 8),
        new Message.AppendEntries(from, to, 4, 11, 4, List.of(), 11),
        new Message.AppendEntriesResponse(from, to, 4, false, 0, 12, 9, 2),
        new Message.Heartbeat(from, to, 4, 11, 77),
        new Message.HeartbeatResponse(from, to, 4, 77, 11),
        new Message.TimeoutNow(from, to, 4),
        new Message.ReadIndexRequest(from, to, 4, -5L),
        new Message.ReadIndexResponse(from, to, 4, -5L, 11, true));
  }

  @Test
  void everyMessageKindArrivesIntactInOrderOnTheReceiversContext() {
    Node a = fixture.started(TransportFixture.config("a", members));
    Node b = fixture.started(TransportFixture.config("b", members));
    connected(a, b);
    List<Message> toB = everyKind("a", "b");
    List<Message> toA = everyKind("b", "a");

    a.send(toB.toArray(Message[]::new));
    b.send(toA.toArray(Message[]::new));

    await().atMost(WAIT).until(() -> b.messages.size() == toB.size() && a.messages.size() == toA.size());
    assertEquals(toB, List.copyOf(b.messages));
    assertEquals(toA, List.copyOf(a.messages));
    assertEquals(0, a.offContext.get() + b.offContext.get());
    assertTrue(a.unreachable.isEmpty() && b.unreachable.isEmpty());
    assertEquals(toB.size(), a.stats().sent());
  }

  @Test
  void tenThousandMessagesFromOneSenderArriveInOrder() {
    Node a = fixture.started(TransportFixture.config("a", members));
    Node b = fixture.started(TransportFixture.config("b", members));
    connected(a, b);
    int total = 10_000;
    byte[] payload = new byte[128];
    // Bursts of 500 per event-loop task, as a driver draining Ready would send them.
    for (int burst = 0; burst < total / 500; burst++) {
      Message[] batch = new Message[500];
      for (int i = 0; i < batch.length; i++) {
        long seq = burst * 500L + i + 1;
        batch[i] = i % 2 == 0
            ? new Message.Heartbeat("a", "b", 1, 0, seq)
            : new Message.AppendEntries("a", "b", 1, seq - 1, 1,
                List.of(Entry.normal(1, seq, payload)), 0);
      }
      a.send(batch);
    }

    await().atMost(WAIT).until(() -> b.messages.size() >= total);
    long expected = 1;
    for (Message m : b.messages) {
      long seq = m instanceof Message.Heartbeat h ? h.seq() : ((Message.AppendEntries) m).prevLogIndex() + 1;
      assertEquals(expected++, seq, "out of order at " + (expected - 1));
    }
    assertEquals(total, b.messages.size());
    assertEquals(0, a.stats().dropped());
  }

  @Test
  void aDeadPeerCostsNothingAndDeliveryResumesWhenItComesBack() {
    Node a = fixture.started(TransportFixture.config("a", members));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.OPEN
        || a.state("b") == PeerChannel.State.TRIAL);
    await().atMost(WAIT).until(() -> a.unreachable.size() == 1);

    // A flood while the circuit is open: all dropped at once, reported no more than once.
    long droppedBefore = a.stats().dropped();
    long elapsedNanos = a.get(() -> {
      long start = System.nanoTime();
      for (int i = 0; i < 100_000; i++) {
        a.transport.send(new Message.Heartbeat("a", "b", 1, 0, i));
      }
      return System.nanoTime() - start;
    });
    assertTrue(elapsedNanos < 150_000_000L, "100k sends to a dead peer took " + elapsedNanos + " ns");
    assertEquals(100_000, a.stats().dropped() - droppedBefore);
    assertEquals(List.of("b"), List.copyOf(a.unreachable));

    // b comes up: a's next trial connects (backoff capped at 200 ms here) and delivery resumes.
    Node b = fixture.started(TransportFixture.config("b", members));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.CONNECTED);
    a.send(new Message.TimeoutNow("a", "b", 7));
    await().atMost(WAIT).until(() -> !b.messages.isEmpty());
    assertEquals(new Message.TimeoutNow("a", "b", 7), b.messages.peek());
    assertEquals(1, a.stats().connects());
  }

  @Test
  void aPeerThatCallsUsCutsOurBackoffShort() {
    // a's backoff is long (>= 5 s); b calling a proves b is up, so a retries at once.
    Node a = fixture.started(TransportFixture.config("a", members).withReconnect(10_000, 20_000));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.OPEN);
    long start = System.nanoTime();
    Node b = fixture.started(TransportFixture.config("b", members));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.CONNECTED);
    assertTrue(System.nanoTime() - start < 4_000_000_000L, "a waited for its backoff");
    a.send(new Message.TimeoutNow("a", "b", 3));
    await().atMost(WAIT).until(() -> b.messages.contains(new Message.TimeoutNow("a", "b", 3)));
  }

  @Test
  void aPeerThatGoesAwayIsReportedOnceAndReconnectedAfterItRestarts() {
    Node a = fixture.started(TransportFixture.config("a", members));
    Node b = fixture.started(TransportFixture.config("b", members));
    connected(a, b);
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.CONNECTED);

    await(b.call(() -> b.transport.close()));
    await().atMost(WAIT).until(() -> a.unreachable.size() == 1);
    for (int i = 0; i < 1000; i++) {
      a.send(new Message.Heartbeat("a", "b", 1, 0, i));
    }
    Node b2 = fixture.started(TransportFixture.config("b", members));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.CONNECTED);
    a.send(new Message.Heartbeat("a", "b", 2, 0, 1_000_000));
    await().atMost(WAIT).until(() -> b2.messages.stream()
        .anyMatch(m -> m instanceof Message.Heartbeat h && h.seq() == 1_000_000));
    assertEquals(List.of("b"), List.copyOf(a.unreachable));
  }

  @Test
  void aBlackHolePeerIsCutOffByTheDeadline() {
    // b's port accepts TCP connections and never says a word (a hung process, a full backlog).
    io.vertx.core.net.NetServer hole = fixture.vertx.createNetServer().connectHandler(socket -> {});
    await(hole.listen(members.get("b").port(), TransportFixture.HOST));
    Node a = fixture.started(TransportFixture.config("a", members).withCallDeadlineMs(300));
    await().atMost(WAIT).until(() -> a.unreachable.contains("b"));
    assertTrue(a.state("b") == PeerChannel.State.OPEN || a.state("b") == PeerChannel.State.TRIAL);
    long before = a.stats().dropped();
    a.send(new Message.Heartbeat("a", "b", 1, 0, 1));
    await().atMost(WAIT).until(() -> a.stats().dropped() > before);
    // Several trials later it is still one report, and nothing piled up.
    await().atMost(WAIT).until(() -> a.stats().connects() == 0 && a.state("b") == PeerChannel.State.OPEN);
    assertEquals(List.of("b"), List.copyOf(a.unreachable));
    await(hole.close());
  }

  @Test
  void aReceiverThatStopsReadingIsCutOffByTheDeadline() {
    // b accepts the call, answers its headers, then never reads: HTTP/2 flow control fills up.
    io.vertx.grpc.server.GrpcServer stuck = io.vertx.grpc.server.GrpcServer.server(fixture.vertx);
    stuck.callHandler(io.raftlock.proto.peer.RaftPeerGrpcService.Messages, req -> {
      req.pause();
      req.response().writeHead();
    });
    io.vertx.core.http.HttpServer server = fixture.vertx.createHttpServer().requestHandler(stuck);
    await(server.listen(members.get("b").port(), TransportFixture.HOST));
    Node a = fixture.started(TransportFixture.config("a", members).withCallDeadlineMs(300));
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.CONNECTED);
    a.unreachable.clear();

    byte[] kilobyte = new byte[1024];
    for (int burst = 0; burst < 20; burst++) {
      Message[] batch = new Message[100];
      for (int i = 0; i < batch.length; i++) {
        long index = burst * 100L + i + 1;
        batch[i] = new Message.AppendEntries("a", "b", 1, index - 1, 1,
            List.of(Entry.normal(1, index, kilobyte)), 0);
      }
      a.send(batch);
    }
    await().atMost(WAIT).until(() -> a.unreachable.contains("b"));
    // The stalled call is not counted as healthy: the circuit opens and the queue is dropped
    // (the next trial may well connect again: the stuck server still answers headers).
    await().atMost(WAIT).until(() -> a.stats().dropped() > 0);
    assertEquals(List.of("b"), List.copyOf(a.unreachable));
    await(server.close());
  }

  @Test
  void aFullQueueDropsAndReportsOnce() {
    // b never starts, and a's first connection attempt cannot finish within this task: every
    // message beyond the queue bound is dropped and the peer is reported exactly once.
    PeerTransportConfig config = TransportFixture.config("a", members).withQueue(10);
    Node a = fixture.started(config);
    a.get(() -> {
      for (int i = 0; i < 50; i++) {
        a.transport.send(new Message.Heartbeat("a", "b", 1, 0, i));
      }
      return null;
    });
    await().atMost(WAIT).until(() -> a.stats().dropped() >= 40);
    await().atMost(WAIT).until(() -> !a.unreachable.isEmpty());
    assertEquals(List.of("b"), List.copyOf(a.unreachable));
  }

  @Test
  void aSenderOutsideTheConfigurationIsRejected() {
    Node b = fixture.started(TransportFixture.config("b", members));
    // "x" is not in b's configuration, but knows b's address.
    Map<String, PeerAddress> rogueView = new TreeMap<>();
    rogueView.put("x", new PeerAddress(TransportFixture.HOST, TransportFixture.freePort()));
    rogueView.put("b", members.get("b"));
    Node x = fixture.started(TransportFixture.config("x", rogueView));

    x.send(new Message.RequestVote("x", "b", 99, 1000, 99, false, false));
    await().atMost(WAIT).until(() -> b.stats().rejected() >= 1);
    await().atMost(WAIT).until(() -> x.unreachable.contains("b"));
    assertTrue(b.messages.isEmpty());
    assertNotEquals(PeerChannel.State.CONNECTED, x.state("b"));
  }

  @Test
  void aCallMeantForAnotherNodeIsRejected() {
    // a believes "c" lives at b's address: b must refuse, not accept c's traffic.
    Map<String, PeerAddress> confused = new TreeMap<>(members);
    confused.put("c", members.get("b"));
    Node b = fixture.started(TransportFixture.config("b", members));
    Node a = fixture.started(TransportFixture.config("a", confused));
    a.send(new Message.TimeoutNow("a", "c", 5));
    await().atMost(WAIT).until(() -> a.unreachable.contains("c"));
    assertTrue(b.messages.isEmpty());
    assertTrue(b.stats().rejected() >= 1);
  }

  @Test
  void aMultiMegabyteSnapshotArrivesInChunksWhileHeartbeatsFlow() {
    PeerTransportConfig configA = TransportFixture.config("a", members).withSnapshotChunkBytes(64 << 10);
    Node a = fixture.started(configA);
    Node b = fixture.started(TransportFixture.config("b", members));
    connected(a, b);
    byte[] data = new byte[5 << 20];
    new Random(42).nextBytes(data);
    ClusterConfig cluster = new ClusterConfig(new java.util.TreeSet<>(Set.of("a", "b")),
        new java.util.TreeSet<>(Set.of("l")));
    Message.InstallSnapshot snapshot = new Message.InstallSnapshot(
        "a", "b", 9, new Snapshot(new SnapshotMeta(5000, 8, cluster), data));

    a.send(snapshot, new Message.Heartbeat("a", "b", 9, 4000, 1));

    await().atMost(WAIT).until(() -> a.snapshotStatus.contains("b=true"));
    Message received = b.messages.stream()
        .filter(m -> m instanceof Message.InstallSnapshot).findFirst().orElseThrow();
    Message.InstallSnapshot got = (Message.InstallSnapshot) received;
    assertEquals(snapshot.snapshot().meta(), got.snapshot().meta());
    assertTrue(java.util.Arrays.equals(data, got.snapshot().data()), "snapshot bytes differ");
    assertEquals(new Message.InstallSnapshot("a", "b", 9, got.snapshot()), got);
    assertTrue(b.messages.contains(new Message.Heartbeat("a", "b", 9, 4000, 1)));
    assertEquals(1, a.stats().snapshotsSent());
    assertEquals(1, b.stats().snapshotsReceived());
    assertEquals(List.of("b=true"), List.copyOf(a.snapshotStatus));
  }

  @Test
  void aSnapshotTooBigForTheReceiverOrToADeadPeerFails() {
    Node a = fixture.started(TransportFixture.config("a", members));
    PeerTransportConfig small = TransportFixture.config("b", members);
    small = new PeerTransportConfig(small.nodeId(), small.listenHost(), small.listenPort(),
        small.members(), small.callDeadlineMs(), small.maxQueuedMessages(), small.reconnectBaseMs(),
        small.reconnectMaxMs(), small.pingIntervalMs(), small.snapshotChunkBytes(),
        small.snapshotDeadlineMs(), 1 << 20, small.maxMessageBytes(), small.forwardDeadlineMs());
    Node b = fixture.started(small);
    connected(a, b);
    ClusterConfig cluster = ClusterConfig.ofVoters(Set.of("a", "b"));
    Message.InstallSnapshot big = new Message.InstallSnapshot(
        "a", "b", 2, new Snapshot(new SnapshotMeta(10, 2, cluster), new byte[2 << 20]));
    a.send(big);
    await().atMost(WAIT).until(() -> a.snapshotStatus.contains("b=false"));
    assertTrue(b.messages.isEmpty());

    await(b.call(() -> b.transport.close()));
    await().atMost(WAIT).until(() -> a.state("b") != PeerChannel.State.CONNECTED);
    Message.InstallSnapshot small1 = new Message.InstallSnapshot(
        "a", "b", 2, new Snapshot(new SnapshotMeta(10, 2, cluster), new byte[10]));
    a.send(small1);
    await().atMost(WAIT).until(() -> a.snapshotStatus.size() == 2);
    assertEquals(List.of("b=false", "b=false"), List.copyOf(a.snapshotStatus));
  }

  @Test
  void startFailsWhenThePeerPortIsTaken() throws java.io.IOException {
    // Not a Vert.x server: one Vert.x instance shares a port between its own servers.
    try (java.net.ServerSocket squatter = new java.net.ServerSocket(
        members.get("a").port(), 50, java.net.InetAddress.getByName(TransportFixture.HOST))) {
      Node a = fixture.node(TransportFixture.config("a", members));
      assertTrue(a.call(() -> a.transport.start(a)).toCompletionStage().toCompletableFuture()
          .handle((ok, failure) -> failure != null).join(), "start() should fail on a taken port");
    }
  }

  @Test
  void sendingOffTheTransportsContextIsAnError() {
    Node a = fixture.started(TransportFixture.config("a", members));
    assertThrows(IllegalStateException.class,
        () -> a.transport.send(new Message.TimeoutNow("a", "b", 1)));
  }

  @Test
  void startingOffAnEventLoopContextFails() {
    GrpcPeerTransport t = new GrpcPeerTransport(fixture.vertx, TransportFixture.config("a", members));
    assertTrue(t.start(new TransportFixture.Node("a", null, t)).failed());
  }

  @Test
  void theBlockedThreadHookSeesABlockedEventLoop() {
    // Proves the check in tearDown can fail: spin (no sleep) on an event loop past the longest
    // tolerance, which applies to a loop whatever its stack, until the checker (itself a thread
    // that may be starved) has reported it; bounded, so a checker that never reports fails.
    java.util.concurrent.CompletableFuture<Void> spun = new java.util.concurrent.CompletableFuture<>();
    fixture.vertx.runOnContext(v -> {
      long until = System.nanoTime() + 4 * BlockedEventLoops.MAX_STARVED_MS * 1_000_000L;
      while (fixture.blocked.events().isEmpty() && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      spun.complete(null);
    });
    await().atMost(WAIT.plusMillis(4 * BlockedEventLoops.MAX_STARVED_MS)).until(spun::isDone);
    assertTrue(!fixture.blocked.events().isEmpty(), "the blocked-thread checker saw nothing");
    fixture.blocked.clear();
  }

  /**
   * Waits until both links are up, then forgets the start-up reports: the node started first
   * found the other one down and said so.
   */
  static void connected(Node a, Node b) {
    await().atMost(WAIT).until(() -> a.state(b.id) == PeerChannel.State.CONNECTED
        && b.state(a.id) == PeerChannel.State.CONNECTED);
    a.unreachable.clear();
    b.unreachable.clear();
  }

  static List<Message> copy(Iterable<Message> messages) {
    List<Message> list = new ArrayList<>();
    messages.forEach(list::add);
    return list;
  }
}
