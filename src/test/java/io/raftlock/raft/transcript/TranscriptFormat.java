package io.raftlock.raft.transcript;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.Message;
import io.raftlock.raft.Ready;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SoftState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One-line renderings of the core's values for transcripts. Terse on purpose, in the spirit of
 * etcd's {@code raft.DescribeMessage}: {@code term/index} pairs, {@code -} for none.
 */
final class TranscriptFormat {
  private TranscriptFormat() {}

  static String entry(Entry e) {
    String head = e.term() + "/" + e.index() + " ";
    return switch (e.type()) {
      case NOOP -> head + "NOOP";
      case CONFIG -> head + "CONFIG " + config(ClusterConfig.decode(e.data()));
      default -> head + e.type() + " " + new String(e.data(), StandardCharsets.UTF_8);
    };
  }

  static String entries(List<Entry> entries) {
    return entries.stream().map(TranscriptFormat::entry).collect(Collectors.joining(", ", "[", "]"));
  }

  static String config(ClusterConfig c) {
    String voters = "voters=(" + String.join(" ", c.voters()) + ")";
    return c.learners().isEmpty() ? voters : voters + " learners=(" + String.join(" ", c.learners()) + ")";
  }

  static String hardState(HardState h) {
    return "HardState term=" + h.currentTerm() + " vote=" + none(h.votedFor()) + " commit=" + h.commitIndex();
  }

  static String softState(SoftState s) {
    return "State " + s.role() + " term=" + s.term() + " leader=" + none(s.leaderId());
  }

  static String snapshot(Snapshot s) {
    return "snapshot " + s.term() + "/" + s.index() + " " + config(s.meta().config())
        + " data=" + new String(s.data(), StandardCharsets.UTF_8);
  }

  /** The Ready's parts that are present, one per line, indented under a heading. */
  static void ready(Ready rd, List<String> out) {
    if (rd.softState() != null) {
      out.add("  " + softState(rd.softState()));
    }
    if (rd.hardState() != null) {
      out.add("  " + hardState(rd.hardState()));
    }
    if (rd.snapshot() != null) {
      out.add("  Snapshot: " + snapshot(rd.snapshot()));
    }
    section("Entries", rd.entries().stream().map(TranscriptFormat::entry).toList(), out);
    section("CommittedEntries", rd.committedEntries().stream().map(TranscriptFormat::entry).toList(), out);
    section("Messages", rd.messages().stream().map(TranscriptFormat::message).toList(), out);
    section("MessagesAfterPersist",
        rd.messagesAfterPersist().stream().map(TranscriptFormat::message).toList(), out);
    section("ReadStates",
        rd.readStates().stream().map(r -> "request=" + r.requestId() + " index=" + r.readIndex()).toList(), out);
  }

  private static void section(String title, List<String> lines, List<String> out) {
    if (!lines.isEmpty()) {
      out.add("  " + title + ":");
      lines.forEach(l -> out.add("    " + l));
    }
  }

  static String message(Message m) {
    return m.from() + "->" + m.to() + " " + body(m);
  }

  private static String body(Message m) {
    if (m instanceof Message.RequestVote v) {
      return (v.preVote() ? "PreVote" : "Vote") + " term=" + v.term() + " last=" + v.lastLogTerm()
          + "/" + v.lastLogIndex() + (v.transfer() ? " transfer" : "");
    } else if (m instanceof Message.RequestVoteResponse r) {
      return (r.preVote() ? "PreVoteResp" : "VoteResp") + " term=" + r.term()
          + (r.voteGranted() ? " granted" : " rejected");
    } else if (m instanceof Message.AppendEntries a) {
      return "App term=" + a.term() + " prev=" + a.prevLogTerm() + "/" + a.prevLogIndex()
          + " commit=" + a.leaderCommit() + " entries=" + entries(a.entries());
    } else if (m instanceof Message.AppendEntriesResponse r) {
      return "AppResp term=" + r.term() + (r.success()
          ? " match=" + r.matchIndex()
          : " rejected index=" + r.rejectedIndex() + " hint=" + r.hintTerm() + "/" + r.hintIndex());
    } else if (m instanceof Message.Heartbeat h) {
      return "Heartbeat term=" + h.term() + " commit=" + h.commit() + " seq=" + h.seq();
    } else if (m instanceof Message.HeartbeatResponse r) {
      return "HeartbeatResp term=" + r.term() + " seq=" + r.seq() + " last=" + r.lastIndex();
    } else if (m instanceof Message.InstallSnapshot s) {
      return "Snap term=" + s.term() + " " + snapshot(s.snapshot());
    } else if (m instanceof Message.TimeoutNow t) {
      return "TimeoutNow term=" + t.term();
    } else if (m instanceof Message.ReadIndexRequest r) {
      return "ReadIndex term=" + r.term() + " request=" + r.requestId();
    }
    Message.ReadIndexResponse r = (Message.ReadIndexResponse) m;
    return "ReadIndexResp term=" + r.term() + " request=" + r.requestId() + " index=" + r.readIndex()
        + (r.success() ? "" : " failed");
  }

  static String none(String s) {
    return s == null ? "-" : s;
  }
}
