package io.raftlock.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.Message;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.raftlock.proto.peer.AppendEntries;
import io.raftlock.proto.peer.AppendEntriesResponse;
import io.raftlock.proto.peer.Heartbeat;
import io.raftlock.proto.peer.HeartbeatResponse;
import io.raftlock.proto.peer.InstallSnapshot;
import io.raftlock.proto.peer.ReadIndexRequest;
import io.raftlock.proto.peer.ReadIndexResponse;
import io.raftlock.proto.peer.RequestVote;
import io.raftlock.proto.peer.RequestVoteResponse;
import io.raftlock.proto.peer.TimeoutNow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Maps {@link Message} to {@link PeerEnvelope} and back, field for field: {@code fromProto(toProto(m))}
 * equals {@code m} for every message (for InstallSnapshot, given the snapshot's data, which travels
 * in chunks beside the envelope).
 *
 * <p>Entry and snapshot bytes are wrapped, not copied, on the way out: both are immutable by
 * contract. On the way in they are copied once, out of the received frame.
 *
 * <p>Stateless; safe from any thread.
 */
public final class MessageMapper {
  private static final TimeoutNow TIMEOUT_NOW = TimeoutNow.getDefaultInstance();

  private MessageMapper() {}

  /** The envelope of {@code m}. For InstallSnapshot it carries the header only, not the data. */
  public static PeerEnvelope toProto(Message m) {
    PeerEnvelope.Builder b =
        PeerEnvelope.newBuilder().setFrom(m.from()).setTo(m.to()).setTerm(m.term());
    if (m instanceof Message.AppendEntries a) {
      b.setAppendEntries(appendEntries(a));
    } else if (m instanceof Message.AppendEntriesResponse r) {
      b.setAppendEntriesResponse(AppendEntriesResponse.newBuilder()
          .setSuccess(r.success()).setMatchIndex(r.matchIndex())
          .setRejectedIndex(r.rejectedIndex()).setHintIndex(r.hintIndex())
          .setHintTerm(r.hintTerm()));
    } else if (m instanceof Message.Heartbeat h) {
      b.setHeartbeat(Heartbeat.newBuilder().setCommit(h.commit()).setSeq(h.seq()));
    } else if (m instanceof Message.HeartbeatResponse h) {
      b.setHeartbeatResponse(
          HeartbeatResponse.newBuilder().setSeq(h.seq()).setLastIndex(h.lastIndex()));
    } else if (m instanceof Message.RequestVote v) {
      b.setRequestVote(RequestVote.newBuilder()
          .setLastLogIndex(v.lastLogIndex()).setLastLogTerm(v.lastLogTerm())
          .setPreVote(v.preVote()).setTransfer(v.transfer()));
    } else if (m instanceof Message.RequestVoteResponse r) {
      b.setRequestVoteResponse(RequestVoteResponse.newBuilder()
          .setVoteGranted(r.voteGranted()).setPreVote(r.preVote()));
    } else if (m instanceof Message.InstallSnapshot s) {
      b.setInstallSnapshot(installSnapshot(s.snapshot()));
    } else if (m instanceof Message.TimeoutNow) {
      b.setTimeoutNow(TIMEOUT_NOW);
    } else if (m instanceof Message.ReadIndexRequest r) {
      b.setReadIndexRequest(ReadIndexRequest.newBuilder().setRequestId(r.requestId()));
    } else if (m instanceof Message.ReadIndexResponse r) {
      b.setReadIndexResponse(ReadIndexResponse.newBuilder()
          .setRequestId(r.requestId()).setReadIndex(r.readIndex()).setSuccess(r.success()));
    } else {
      // Unreachable while Message stays sealed; a new kind must be added here and in the proto.
      throw new IllegalArgumentException("unmapped message kind " + m.getClass().getSimpleName());
    }
    return b.build();
  }

  /**
   * The message in {@code e}, or {@code null} for a body-less (no-op) envelope.
   *
   * @throws IllegalArgumentException if the envelope is malformed, or is an InstallSnapshot
   *     header (use {@link #installSnapshot(PeerEnvelope, byte[])})
   */
  public static Message fromProto(PeerEnvelope e) {
    String from = e.getFrom();
    String to = e.getTo();
    long term = e.getTerm();
    return switch (e.getBodyCase()) {
      case REQUEST_VOTE -> {
        RequestVote v = e.getRequestVote();
        yield new Message.RequestVote(from, to, term, v.getLastLogIndex(), v.getLastLogTerm(),
            v.getPreVote(), v.getTransfer());
      }
      case REQUEST_VOTE_RESPONSE -> {
        RequestVoteResponse r = e.getRequestVoteResponse();
        yield new Message.RequestVoteResponse(from, to, term, r.getVoteGranted(), r.getPreVote());
      }
      case APPEND_ENTRIES -> appendEntries(from, to, term, e.getAppendEntries());
      case APPEND_ENTRIES_RESPONSE -> {
        AppendEntriesResponse r = e.getAppendEntriesResponse();
        yield new Message.AppendEntriesResponse(from, to, term, r.getSuccess(), r.getMatchIndex(),
            r.getRejectedIndex(), r.getHintIndex(), r.getHintTerm());
      }
      case HEARTBEAT -> new Message.Heartbeat(
          from, to, term, e.getHeartbeat().getCommit(), e.getHeartbeat().getSeq());
      case HEARTBEAT_RESPONSE -> new Message.HeartbeatResponse(from, to, term,
          e.getHeartbeatResponse().getSeq(), e.getHeartbeatResponse().getLastIndex());
      case TIMEOUT_NOW -> new Message.TimeoutNow(from, to, term);
      case READ_INDEX_REQUEST -> new Message.ReadIndexRequest(
          from, to, term, e.getReadIndexRequest().getRequestId());
      case READ_INDEX_RESPONSE -> {
        ReadIndexResponse r = e.getReadIndexResponse();
        yield new Message.ReadIndexResponse(
            from, to, term, r.getRequestId(), r.getReadIndex(), r.getSuccess());
      }
      case INSTALL_SNAPSHOT -> throw new IllegalArgumentException(
          "InstallSnapshot travels on its own call, not as a single envelope");
      case BODY_NOT_SET -> null;
    };
  }

  /** Rebuilds an InstallSnapshot from its header envelope and the reassembled data. */
  public static Message.InstallSnapshot installSnapshot(PeerEnvelope header, byte[] data) {
    if (!header.hasInstallSnapshot()) {
      throw new IllegalArgumentException("not an InstallSnapshot header: " + header.getBodyCase());
    }
    InstallSnapshot s = header.getInstallSnapshot();
    if (s.getTotalBytes() != data.length) {
      throw new IllegalArgumentException(
          "snapshot size " + data.length + " != announced " + s.getTotalBytes());
    }
    if (s.getCrc32C() != crc32c(data, 0, data.length)) {
      throw new IllegalArgumentException("snapshot checksum mismatch");
    }
    io.raftlock.proto.peer.SnapshotMeta m = s.getMeta();
    SnapshotMeta meta = new SnapshotMeta(
        m.getLastIncludedIndex(), m.getLastIncludedTerm(), clusterConfig(m.getConfig()));
    return new Message.InstallSnapshot(
        header.getFrom(), header.getTo(), header.getTerm(), new Snapshot(meta, data));
  }

  /** Entry data wrapped without a copy (entries are immutable by contract). */
  public static ByteString wrap(byte[] data, int offset, int length) {
    return UnsafeByteOperations.unsafeWrap(data, offset, length);
  }

  static int crc32c(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    return (int) crc.getValue();
  }

  private static AppendEntries.Builder appendEntries(Message.AppendEntries a) {
    AppendEntries.Builder b = AppendEntries.newBuilder()
        .setPrevLogIndex(a.prevLogIndex()).setPrevLogTerm(a.prevLogTerm())
        .setLeaderCommit(a.leaderCommit());
    for (Entry entry : a.entries()) {
      b.addEntries(io.raftlock.proto.peer.Entry.newBuilder()
          .setTerm(entry.term()).setIndex(entry.index()).setTypeValue(entry.type().code())
          .setData(wrap(entry.data(), 0, entry.data().length)));
    }
    return b;
  }

  private static Message.AppendEntries appendEntries(
      String from, String to, long term, AppendEntries a) {
    List<Entry> entries = new ArrayList<>(a.getEntriesCount());
    for (io.raftlock.proto.peer.Entry e : a.getEntriesList()) {
      entries.add(new Entry(e.getTerm(), e.getIndex(), EntryType.ofCode(e.getTypeValue()),
          e.getData().toByteArray()));
    }
    return new Message.AppendEntries(from, to, term, a.getPrevLogIndex(), a.getPrevLogTerm(),
        Collections.unmodifiableList(entries), a.getLeaderCommit());
  }

  private static InstallSnapshot.Builder installSnapshot(Snapshot s) {
    ClusterConfig c = s.meta().config();
    return InstallSnapshot.newBuilder()
        .setMeta(io.raftlock.proto.peer.SnapshotMeta.newBuilder()
            .setLastIncludedIndex(s.index()).setLastIncludedTerm(s.term())
            .setConfig(io.raftlock.proto.peer.ClusterConfig.newBuilder()
                .addAllVoters(c.voters()).addAllLearners(c.learners())))
        .setTotalBytes(s.data().length)
        .setCrc32C(crc32c(s.data(), 0, s.data().length));
  }

  private static ClusterConfig clusterConfig(io.raftlock.proto.peer.ClusterConfig c) {
    return new ClusterConfig(new TreeSet<>(c.getVotersList()), new TreeSet<>(c.getLearnersList()));
  }
}
