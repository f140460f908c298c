package io.raftlock.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.Message;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

/** map → proto → bytes → proto → map is the identity, for every kind of message. */
class MessageMapperTest {

  @Property(tries = 2000)
  void everyMessageSurvivesTheWire(@ForAll("messages") Message m) throws Exception {
    PeerEnvelope wire = PeerEnvelope.parseFrom(MessageMapper.toProto(m).toByteArray());
    if (m instanceof Message.InstallSnapshot s) {
      Message.InstallSnapshot back = MessageMapper.installSnapshot(wire, s.snapshot().data().clone());
      // Snapshot is a record over byte[]: its equals compares array identity, so compare parts.
      assertEquals(s.snapshot().meta(), back.snapshot().meta());
      assertArrayEquals(s.snapshot().data(), back.snapshot().data());
      assertEquals(s, new Message.InstallSnapshot(back.from(), back.to(), back.term(), s.snapshot()));
    } else {
      assertEquals(m, MessageMapper.fromProto(wire));
    }
  }

  @Example
  void aBodylessEnvelopeIsANoOp() {
    assertNull(MessageMapper.fromProto(PeerEnvelope.newBuilder().setFrom("a").setTo("b").build()));
  }

  @Example
  void aSnapshotWithOtherBytesIsRejected() {
    Message.InstallSnapshot s = new Message.InstallSnapshot("a", "b", 1,
        new Snapshot(new SnapshotMeta(3, 1, ClusterConfig.ofVoters(Set.of("a"))), new byte[] {1, 2}));
    PeerEnvelope header = MessageMapper.toProto(s);
    assertThrows(IllegalArgumentException.class,
        () -> MessageMapper.installSnapshot(header, new byte[] {1, 3}));
    assertThrows(IllegalArgumentException.class,
        () -> MessageMapper.installSnapshot(header, new byte[] {1}));
    assertThrows(IllegalArgumentException.class, () -> MessageMapper.fromProto(header));
  }

  @Example
  void anUnknownEntryTypeIsRejected() {
    PeerEnvelope e = MessageMapper.toProto(new Message.AppendEntries("a", "b", 1, 0, 0,
        java.util.List.of(Entry.noop(1, 1)), 0));
    PeerEnvelope.Builder b = e.toBuilder();
    b.getAppendEntriesBuilder().getEntriesBuilder(0).setTypeValue(9);
    assertThrows(IllegalArgumentException.class, () -> MessageMapper.fromProto(b.build()));
  }

  @Provide
  Arbitrary<Message> messages() {
    return Arbitraries.oneOf(requestVote(), requestVoteResponse(), appendEntries(),
        appendEntriesResponse(), heartbeat(), heartbeatResponse(), installSnapshot(),
        timeoutNow(), readIndexRequest(), readIndexResponse());
  }

  private static Arbitrary<String> ids() {
    return Arbitraries.strings().alpha().numeric().withChars('-', '_', 'é').ofMinLength(1).ofMaxLength(12);
  }

  private static Arbitrary<Long> longs() {
    return Arbitraries.longs();
  }

  private static Arbitrary<Entry> entries() {
    return Combinators.combine(Arbitraries.longs().between(1, Long.MAX_VALUE),
        Arbitraries.longs().between(1, Long.MAX_VALUE), Arbitraries.of(EntryType.class),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300)).as(Entry::new);
  }

  private Arbitrary<Message> requestVote() {
    return Combinators.combine(ids(), ids(), longs(), longs(), longs(), Arbitraries.of(true, false),
        Arbitraries.of(true, false)).as(Message.RequestVote::new);
  }

  private Arbitrary<Message> requestVoteResponse() {
    return Combinators.combine(ids(), ids(), longs(), Arbitraries.of(true, false),
        Arbitraries.of(true, false)).as(Message.RequestVoteResponse::new);
  }

  private Arbitrary<Message> appendEntries() {
    return Combinators.combine(ids(), ids(), longs(), longs(), longs(),
        entries().list().ofMaxSize(6), longs()).as(Message.AppendEntries::new);
  }

  private Arbitrary<Message> appendEntriesResponse() {
    return Combinators.combine(ids(), ids(), longs(), Arbitraries.of(true, false), longs(), longs(),
        longs(), longs()).as(Message.AppendEntriesResponse::new);
  }

  private Arbitrary<Message> heartbeat() {
    return Combinators.combine(ids(), ids(), longs(), longs(), longs()).as(Message.Heartbeat::new);
  }

  private Arbitrary<Message> heartbeatResponse() {
    return Combinators.combine(ids(), ids(), longs(), longs(), longs())
        .as(Message.HeartbeatResponse::new);
  }

  private Arbitrary<Message> installSnapshot() {
    Arbitrary<ClusterConfig> configs = Combinators.combine(
        ids().set().ofMaxSize(5), ids().set().ofMaxSize(3))
        .as((voters, learners) -> {
          TreeSet<String> l = new TreeSet<>(learners);
          l.removeAll(voters);
          return new ClusterConfig(new TreeSet<>(voters), l);
        });
    Arbitrary<Snapshot> snapshots = Combinators.combine(
        Arbitraries.longs().between(0, Long.MAX_VALUE), Arbitraries.longs().between(0, Long.MAX_VALUE),
        configs, Arbitraries.bytes().array(byte[].class).ofMaxSize(2000))
        .as((index, term, config, data) -> new Snapshot(new SnapshotMeta(index, term, config), data));
    return Combinators.combine(ids(), ids(), longs(), snapshots).as(Message.InstallSnapshot::new);
  }

  private Arbitrary<Message> timeoutNow() {
    return Combinators.combine(ids(), ids(), longs()).as(Message.TimeoutNow::new);
  }

  private Arbitrary<Message> readIndexRequest() {
    return Combinators.combine(ids(), ids(), longs(), longs()).as(Message.ReadIndexRequest::new);
  }

  private Arbitrary<Message> readIndexResponse() {
    return Combinators.combine(ids(), ids(), longs(), longs(), longs(), Arbitraries.of(true, false))
        .as(Message.ReadIndexResponse::new);
  }
}
