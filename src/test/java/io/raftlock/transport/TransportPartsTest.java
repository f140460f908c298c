package io.raftlock.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftlock.proto.peer.SnapshotChunk;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Message;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The small pure pieces: config validation, the peer address book, backoff, snapshot reassembly. */
class TransportPartsTest {
  private static final Map<String, PeerAddress> MEMBERS = Map.of(
      "a", PeerAddress.parse("127.0.0.1:7001"), "b", PeerAddress.parse("127.0.0.1:7002"));

  @Test
  void invalidConfigNamesTheField() {
    assertMessage("members must include this node",
        () -> PeerTransportConfig.of("z", "127.0.0.1", 7000, MEMBERS));
    assertMessage("reconnectMaxMs",
        () -> PeerTransportConfig.of("a", "127.0.0.1", 7001, MEMBERS).withReconnect(100, 10));
    assertMessage("maxQueuedMessages",
        () -> PeerTransportConfig.of("a", "127.0.0.1", 7001, MEMBERS).withQueue(0));
    assertMessage("snapshotChunkBytes",
        () -> PeerTransportConfig.of("a", "127.0.0.1", 7001, MEMBERS).withSnapshotChunkBytes(16 << 20));
    assertMessage("listenPort", () -> PeerTransportConfig.of("a", "127.0.0.1", 70000, MEMBERS));
    assertMessage("expected host:port", () -> PeerAddress.parse("nohost"));
    PeerTransportConfig ok = PeerTransportConfig.of("a", "0.0.0.0", 7001, MEMBERS);
    assertEquals(Set.of("b"), ok.peers().keySet());
    assertTrue(ok.isPeer("b"));
    assertTrue(!ok.isPeer("a") && !ok.isPeer("c") && !ok.isPeer(null));
  }

  @Test
  void theAddressBookLearnsOnlyAdmittedMembersItHasNoAddressFor() {
    PeerAddressBook book = new PeerAddressBook("a", MEMBERS);
    assertEquals(Set.of("b"), book.peers());
    assertEquals(Set.of("b"), book.others().keySet());
    assertEquals(MEMBERS.get("a"), book.self());
    assertTrue(!book.learns("c") && !book.mayCall("c"), "a stranger is neither learned nor let in");
    book.admit(Set.of("a", "b", "c"));
    assertTrue(book.learns("c") && book.mayCall("c"), "admitted, no address yet");
    assertTrue(!book.learns("b") && book.mayCall("b"), "a configured address wins");

    assertTrue(book.put("c", PeerAddress.parse("127.0.0.1:7003")));
    assertTrue(!book.learns("c") && book.knows("c"));
    assertTrue(!book.put("c", PeerAddress.parse("127.0.0.1:7003")), "the same address changes nothing");
    assertTrue(!book.put("a", PeerAddress.parse("127.0.0.1:7009")), "this node's own address is configured");
    assertEquals(Set.of("b", "c"), book.peers());

    assertTrue(book.remove("c") && !book.remove("c") && !book.remove("a") && !book.remove(null));
    assertEquals(Set.of("b"), book.peers());
    assertTrue(book.learns("c"), "still admitted: it may advertise its address again");
  }

  @Test
  void backoffDoublesUpToTheCapWithJitterInTheUpperHalf() {
    Backoff backoff = new Backoff(50, 2000, new SplittableRandom(7));
    assertEquals(50, backoff.ceilingMs(1));
    assertEquals(100, backoff.ceilingMs(2));
    assertEquals(1600, backoff.ceilingMs(6));
    assertEquals(2000, backoff.ceilingMs(7));
    assertEquals(2000, backoff.ceilingMs(1000));
    for (int failures = 1; failures < 40; failures++) {
      for (int i = 0; i < 200; i++) {
        long d = backoff.delayMs(failures);
        long ceiling = backoff.ceilingMs(failures);
        assertTrue(d >= ceiling / 2 && d <= ceiling, failures + ": " + d);
      }
    }
  }

  @Test
  void snapshotReassemblyChecksOrderSizeAndChecksum() {
    byte[] data = new byte[10_000];
    new Random(3).nextBytes(data);
    Message.InstallSnapshot s = new Message.InstallSnapshot("a", "b", 4,
        new Snapshot(new SnapshotMeta(9, 3, ClusterConfig.ofVoters(Set.of("a", "b"))), data));

    SnapshotAssembler ok = new SnapshotAssembler("a", "b", 1 << 20);
    assertNull(ok.accept(first(s, 0)));
    for (int off = 0; off < data.length; off += 3000) {
      assertNull(ok.accept(chunk(data, off, Math.min(3000, data.length - off))));
    }
    assertTrue(Arrays.equals(data, ok.result().snapshot().data()));

    SnapshotAssembler gap = new SnapshotAssembler("a", "b", 1 << 20);
    assertNull(gap.accept(first(s, 0)));
    assertNotNull(gap.accept(chunk(data, 10, 10)));

    SnapshotAssembler tooBig = new SnapshotAssembler("a", "b", 1000);
    assertNotNull(tooBig.accept(first(s, 0)));

    SnapshotAssembler impostor = new SnapshotAssembler("c", "b", 1 << 20);
    assertNotNull(impostor.accept(first(s, 0)));

    SnapshotAssembler shortOne = new SnapshotAssembler("a", "b", 1 << 20);
    assertNull(shortOne.accept(first(s, 0)));
    assertNull(shortOne.accept(chunk(data, 0, 5000)));
    assertThrows(IllegalArgumentException.class, shortOne::result);

    SnapshotAssembler corrupt = new SnapshotAssembler("a", "b", 1 << 20);
    assertNull(corrupt.accept(first(s, 0)));
    byte[] flipped = data.clone();
    flipped[77] ^= 1;
    assertNull(corrupt.accept(chunk(flipped, 0, flipped.length)));
    assertThrows(IllegalArgumentException.class, corrupt::result);
  }

  private static SnapshotChunk first(Message.InstallSnapshot s, int offset) {
    return SnapshotChunk.newBuilder().setHeader(MessageMapper.toProto(s)).setOffset(offset).build();
  }

  private static SnapshotChunk chunk(byte[] data, int offset, int length) {
    return SnapshotChunk.newBuilder().setOffset(offset)
        .setData(ByteString.copyFrom(data, offset, length)).build();
  }

  private static void assertMessage(String expected, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
