package io.raftlock.transport;

import static io.raftlock.transport.TransportFixture.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.raftlock.transport.TransportFixture.Node;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Forward call between two real transports on loopback: answers, rejections, failures. */
@Timeout(60)
class ForwardTransportTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int DEADLINE_MS = 400;

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

  private PeerTransportConfig config(String id, Map<String, PeerAddress> view) {
    return TransportFixture.config(id, view).withForwardDeadlineMs(DEADLINE_MS);
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Waits for the forward's outcome; returns its failure as a ProposalException. */
  private static ProposalException rejection(Future<Applied> f) {
    await().atMost(WAIT).until(f::isComplete);
    assertTrue(f.failed(), "expected a failure, got " + f.result());
    return assertInstanceOf(ProposalException.class, f.cause());
  }

  @Test
  void theLeadersAnswerComesBackOnTheSendersContext() {
    Node a = fixture.started(config("a", members));
    Node b = fixture.started(config("b", members));
    GrpcPeerTransportTest.connected(a, b); // a started first: its circuit to b opened meanwhile
    b.onForward = (from, command) -> Future.succeededFuture(
        new Applied(42, 7, text("applied " + new String(command, StandardCharsets.UTF_8))));
    Applied applied = await(a.forward("b", text("cmd-1")));
    assertEquals(42, applied.index());
    assertEquals(7, applied.term());
    assertArrayEquals(text("applied cmd-1"), (byte[]) applied.result());
    assertEquals(List.of("a:cmd-1"), List.copyOf(b.forwarded));
    assertEquals(0, a.offContext.get() + b.offContext.get(), "callbacks off the node's context");
    assertEquals(1, a.stats().forwardsSent());
    assertEquals(1, b.stats().forwardsReceived());
  }

  @Test
  void aRejectionKeepsItsReasonAndHintAndOtherFailuresReadAsForwardFailed() {
    Node a = fixture.started(config("a", members));
    Node b = fixture.started(config("b", members));
    GrpcPeerTransportTest.connected(a, b); // a started first: its circuit to b opened meanwhile
    b.onForward = (from, command) -> Future.failedFuture(
        new ProposalException(ProposalException.Reason.NOT_LEADER, "c"));
    ProposalException e = rejection(a.forward("b", text("x")));
    assertEquals(ProposalException.Reason.NOT_LEADER, e.reason());
    assertEquals("c", e.leaderHint());

    b.onForward = (from, command) -> Future.failedFuture(
        new ProposalException(ProposalException.Reason.NOT_LEADER, null));
    assertNull(rejection(a.forward("b", text("x"))).leaderHint());

    b.onForward = (from, command) -> Future.failedFuture(new IllegalStateException("bug"));
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(a.forward("b", text("x"))).reason());
    b.onForward = (from, command) -> {
      throw new IllegalStateException("throws");
    };
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(a.forward("b", text("x"))).reason());
    b.onForward = (from, command) -> Future.succeededFuture(new Applied(1, 1, "not bytes"));
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(a.forward("b", text("x"))).reason());
  }

  @Test
  void aLeaderThatNeverAnswersIsCutOffByTheDeadline() {
    Node a = fixture.started(config("a", members));
    Node b = fixture.started(config("b", members));
    GrpcPeerTransportTest.connected(a, b); // a started first: its circuit to b opened meanwhile
    Promise<Applied> never = Promise.promise();
    b.onForward = (from, command) -> never.future();
    long start = System.nanoTime();
    ProposalException e = rejection(a.forward("b", text("x")));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(ProposalException.Reason.FORWARD_FAILED, e.reason());
    assertTrue(e.retryable());
    assertTrue(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + 2_000,
        "failed after " + elapsedMs + " ms");
    assertEquals(1, a.stats().forwardsFailed());
    // A later answer has nobody to reach: the leader drops it quietly.
    b.get(() -> never.tryComplete(new Applied(1, 1, new byte[0])));
  }

  @Test
  void aBlackHoleLeaderIsCutOffByTheDeadline() {
    io.vertx.core.net.NetServer hole = fixture.vertx.createNetServer().connectHandler(socket -> {});
    await(hole.listen(members.get("b").port(), TransportFixture.HOST));
    Node a = fixture.started(config("a", members));
    long start = System.nanoTime();
    ProposalException e = rejection(a.forward("b", text("x")));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(ProposalException.Reason.FORWARD_FAILED, e.reason());
    assertTrue(elapsedMs < DEADLINE_MS + 2_000, "failed after " + elapsedMs + " ms");
    await(hole.close());
  }

  @Test
  void aDeadLeaderFailsFastAndANonPeerAtOnce() {
    Node a = fixture.started(config("a", members));
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(a.forward("b", text("x"))).reason());
    // Once the circuit to b is open a forward costs no I/O at all.
    await().atMost(WAIT).until(() -> a.state("b") == PeerChannel.State.OPEN);
    Future<Applied> f = a.forward("b", text("x"));
    assertEquals(ProposalException.Reason.FORWARD_FAILED, rejection(f).reason());
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(a.forward("nobody", text("x"))).reason());
    Future<Applied> offContext = a.transport.forward("b", text("x"));
    await().atMost(WAIT).until(offContext::isComplete);
    assertInstanceOf(IllegalStateException.class, offContext.cause());
  }

  @Test
  void aSenderOutsideTheConfigurationIsRefused() {
    Node b = fixture.started(config("b", members));
    Map<String, PeerAddress> rogueView = new TreeMap<>();
    rogueView.put("x", new PeerAddress(TransportFixture.HOST, TransportFixture.freePort()));
    rogueView.put("b", members.get("b"));
    Node x = fixture.started(config("x", rogueView));
    assertEquals(ProposalException.Reason.FORWARD_FAILED,
        rejection(x.forward("b", text("x"))).reason());
    assertTrue(b.stats().rejected() >= 1);
    assertTrue(b.forwarded.isEmpty(), "a refused command reached the listener");
  }

  @Test
  void pendingForwardsFailWhenTheTransportCloses() {
    Node a = fixture.started(config("a", members).withForwardDeadlineMs(30_000));
    Node b = fixture.started(config("b", members));
    GrpcPeerTransportTest.connected(a, b); // a started first: its circuit to b opened meanwhile
    b.onForward = (from, command) -> Promise.<Applied>promise().future();
    Future<Applied> f = a.forward("b", text("x"));
    await().atMost(WAIT).until(() -> !b.forwarded.isEmpty());
    await(a.call(() -> a.transport.close()));
    assertEquals(ProposalException.Reason.STOPPED, rejection(f).reason());
  }
}
