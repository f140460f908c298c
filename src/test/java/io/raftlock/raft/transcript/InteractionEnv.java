package io.raftlock.raft.transcript;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.Message;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.ProposeResult;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Ready;
import io.raftlock.raft.Role;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The world a transcript drives, after etcd-io/raft's {@code rafttest.InteractionEnv}: numbered
 * nodes with default {@link RaftConfig}s, storage that is durable the moment a Ready is handled,
 * and a network that holds every message until a command delivers it. Nothing moves on its own,
 * so the transcript shows each step; the only randomness is each node's election timeout, drawn
 * from a generator seeded with the node's number. Like a transport that reports nothing, the
 * environment never calls {@code reportUnreachable} or {@code reportSnapshot}: a leader learns
 * of a delivered snapshot from the follower's acknowledgement.
 */
final class InteractionEnv {
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  /** Messages sent and not yet delivered, in send order. */
  private final List<Message> inFlight = new ArrayList<>();
  private final Set<String> isolated = new HashSet<>();

  Set<String> ids() {
    return nodes.keySet();
  }

  RaftNode node(String id) {
    RaftNode n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return n;
  }

  /** Adds {@code count} empty nodes numbered on from the last; they start with {@code cluster}. */
  List<String> addNodes(int count, ClusterConfig cluster) {
    List<String> added = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = String.valueOf(nodes.size() + 1);
      RaftConfig config = RaftConfig.defaults(id);
      long seed = Long.parseLong(id);
      nodes.put(id, new RaftNode(config, cluster, PersistentState.empty(), new SplittableRandom(seed)));
      added.add(id);
    }
    return added;
  }

  /** Ticks until the node stops being a follower, e.g. its election timer fired. */
  void campaign(String id, List<String> out) {
    RaftNode n = node(id);
    int electionTicks = RaftConfig.defaults(id).electionTicks();
    int ticks = 0;
    while (n.role() == Role.FOLLOWER && ticks < 2 * electionTicks) {
      n.tick();
      ticks++;
    }
    out.add(id + " ticked " + ticks + " times: " + n.role());
  }

  void tick(String id, int ticks) {
    RaftNode n = node(id);
    for (int i = 0; i < ticks; i++) {
      n.tick();
    }
  }

  /** Takes the node's Ready, prints it, makes its batch durable and sends its messages. */
  boolean processReady(String id, List<String> out) {
    RaftNode n = node(id);
    if (!n.hasReady()) {
      return false;
    }
    Ready rd = n.ready();
    out.add("> " + id + " handling Ready");
    TranscriptFormat.ready(rd, out);
    n.advance(rd);
    PersistBatch batch = rd.persistBatch();
    if (batch.lastIndex() > 0) {
      n.persisted(batch.lastIndex(), batch.lastTerm());
    }
    inFlight.addAll(rd.messages());
    inFlight.addAll(rd.messagesAfterPersist());
    return true;
  }

  /** Hands the node every message addressed to it, in send order; drops those that cross a cut. */
  boolean deliverMessages(String id, List<String> out) {
    List<Message> mine = inFlight.stream().filter(m -> m.to().equals(id)).toList();
    if (mine.isEmpty()) {
      return false;
    }
    inFlight.removeAll(mine);
    out.add("> " + id + " receiving messages");
    for (Message m : mine) {
      if (isolated.contains(m.from()) || isolated.contains(m.to())) {
        out.add("  " + TranscriptFormat.message(m) + "  (dropped)");
      } else {
        out.add("  " + TranscriptFormat.message(m));
        node(id).step(m);
      }
    }
    return true;
  }

  /** Handles Readys and delivers messages among {@code ids} until none of them has work left. */
  void stabilize(List<String> ids, List<String> out) {
    boolean progressed = true;
    while (progressed) {
      progressed = false;
      for (String id : ids) {
        progressed |= processReady(id, out);
      }
      for (String id : ids) {
        progressed |= deliverMessages(id, out);
      }
    }
  }

  void propose(String id, String data, List<String> out) {
    ProposeResult r = node(id).propose(data.getBytes(StandardCharsets.UTF_8));
    if (!r.accepted()) {
      out.add(r.status() + " leader=" + TranscriptFormat.none(r.leaderHint()));
    }
  }

  void proposeConfChange(String id, String op, String server, long minMatch, List<String> out) {
    RaftNode n = node(id);
    ConfigChangeResult r = switch (op) {
      case "add-learner" -> n.addLearner(server);
      case "add-voter" -> n.addVoter(server);
      case "promote" -> n.promoteLearner(server, minMatch, false);
      case "remove" -> n.removeServer(server);
      default -> throw new IllegalArgumentException("unknown change " + op);
    };
    out.add(r.accepted()
        ? "ACCEPTED " + r.term() + "/" + r.index() + " " + TranscriptFormat.config(r.config())
        : r.status().toString());
  }

  /** Snapshots the node's state machine at {@code index} and drops the log up to it. */
  void compact(String id, long index, List<String> out) {
    RaftNode n = node(id);
    byte[] data = ("applied@" + index).getBytes(StandardCharsets.UTF_8);
    Snapshot snap = new Snapshot(new SnapshotMeta(index, n.termAt(index), n.configAt(index)), data);
    n.compact(snap, index);
    out.add("log of " + id + " now starts at " + n.firstIndex());
  }

  void isolate(String id) {
    node(id);
    isolated.add(id);
  }

  void recover() {
    isolated.clear();
  }

  void status(String id, List<String> out) {
    RaftStatus s = node(id).status();
    out.add(s.role() + " term=" + s.term() + " leader=" + TranscriptFormat.none(s.leaderId())
        + " last=" + s.lastTerm() + "/" + s.lastIndex() + " commit=" + s.commitIndex()
        + " applied=" + s.appliedIndex() + " snapshot=" + s.snapshotIndex());
    out.add(TranscriptFormat.config(s.config()));
    s.peers().forEach((peer, p) -> out.add(
        "  " + peer + ": " + p.state() + " match=" + p.matchIndex() + " next=" + p.nextIndex()));
  }

  void raftLog(String id, List<String> out) {
    RaftNode n = node(id);
    long snapshotIndex = n.firstIndex() - 1;
    if (snapshotIndex > 0) {
      out.add("(snapshot " + n.termAt(snapshotIndex) + "/" + snapshotIndex + ")");
    }
    if (n.lastIndex() < n.firstIndex()) {
      out.add("log is empty");
    }
    for (long i = n.firstIndex(); i <= n.lastIndex(); i++) {
      out.add(TranscriptFormat.entry(n.entryAt(i)));
    }
  }

  static ClusterConfig cluster(Set<String> voters, Set<String> learners) {
    return new ClusterConfig(new TreeSet<>(voters), new TreeSet<>(learners));
  }
}
