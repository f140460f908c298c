package io.raftlock.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Message;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.raftlock.transport.TransportFixture.Node;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The peer set at runtime: members added and removed, and addresses learned from callers. */
@Timeout(60)
class DynamicPeersTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private TransportFixture fixture;
  private Map<String, PeerAddress> all;
  private Map<String, PeerAddress> ab;

  @BeforeEach
  void setUp() {
    fixture = new TransportFixture();
    all = TransportFixture.members("a", "b", "c");
    ab = new TreeMap<>(all);
    ab.remove("c");
  }

  @AfterEach
  void tearDown() {
    fixture.close();
    fixture.blocked.assertNone();
  }

  private static Message heartbeat(String from, String to, long term) {
    return new Message.Heartbeat(from, to, term, 0, 0);
  }

  @Test
  void aNewMemberIsRefusedUntilAdmittedThenLearnedFromItsCall() {
    Node a = fixture.started(TransportFixture.config("a", ab));
    Node c = fixture.started(TransportFixture.config("c", all)); // c knows a; a does not know c
    await().atMost(WAIT).until(() -> a.stats().rejected() > 0);
    c.send(heartbeat("c", "a", 1));
    assertTrue(a.messages.isEmpty(), "a stranger's messages must not be delivered");
    assertFalse(a.get(() -> a.transport.peers()).contains("c"));

    a.context.runOnContext(v -> a.transport.admit(Set.of("b", "c")));
    // c's next attempt is admitted; its advertised address lets a talk back.
    await().atMost(WAIT).until(() -> a.get(() -> a.transport.peers()).contains("c"));
    assertEquals(all.get("c"), a.get(() -> a.transport.address("c")));
    a.send(heartbeat("a", "c", 2));
    await().atMost(WAIT).until(() -> c.messages.stream().anyMatch(m -> m.term() == 2));
    c.send(heartbeat("c", "a", 3));
    await().atMost(WAIT).until(() -> a.messages.stream().anyMatch(m -> m.term() == 3));
  }

  @Test
  void aRemovedPeerGetsNothingMoreAndAnAddedOneIsReached() {
    Node a = fixture.started(TransportFixture.config("a", ab));
    Node c = fixture.started(TransportFixture.config("c", all));
    a.context.runOnContext(v -> a.transport.addPeer("c", all.get("c").toString()));
    await().atMost(WAIT).until(() -> a.get(() -> a.transport.peers()).contains("c"));
    a.send(heartbeat("a", "c", 1));
    await().atMost(WAIT).until(() -> c.messages.stream().anyMatch(m -> m.term() == 1));

    long droppedBefore = a.stats().dropped();
    TransportFixture.await(a.call(() -> {
      a.transport.removePeer("c");
      return Future.succeededFuture();
    }));
    assertFalse(a.get(() -> a.transport.peers()).contains("c"));
    a.send(heartbeat("a", "c", 2));
    await().atMost(WAIT).until(() -> a.stats().dropped() > droppedBefore);
    assertTrue(c.messages.stream().noneMatch(m -> m.term() == 2));
  }
}
