package io.raftlock.raft;

import io.raftlock.raft.Message.AppendEntries;
import io.raftlock.raft.Message.AppendEntriesResponse;
import io.raftlock.raft.Message.Heartbeat;
import io.raftlock.raft.Message.HeartbeatResponse;
import io.raftlock.raft.Message.InstallSnapshot;
import io.raftlock.raft.Message.ReadIndexResponse;
import io.raftlock.raft.Message.TimeoutNow;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What a node holds only while it leads, for one term: its view of every follower (§5.3
 * nextIndex/matchIndex plus flow control), commitment, heartbeats, ReadIndex and the lease
 * (thesis §6.4), and leadership transfer (thesis §3.10). {@link RaftNode} creates one when it
 * becomes leader and drops it when it steps down, so no leader state can outlive its term.
 *
 * <p>Threading: owned by the node's thread, like the node.
 */
final class Leader {
  private final RaftNode node;
  private final ConfigChanger configChanger;
  private final RaftLog log;
  private final RaftConfig config;
  private final String id;
  /** The term this node leads; fixed for the object's life. */
  private final long term;
  /**
   * One entry per replication target: every member of the latest and of the committed
   * configuration other than this node ({@link ConfigChanger#replicationTargets}). Hence every voter
   * of the configuration in force, except this node, has one.
   */
  final TreeMap<String, Progress> progress = new TreeMap<>();
  private final ReadIndexTracker reads = new ReadIndexTracker();
  /** Reads that arrived before the first commit of this term (thesis §6.4 step 1). */
  private final List<ReadIndexTracker.PendingRead> readsBeforeCommit = new ArrayList<>();
  /** The voter leadership is being handed to, or null. Proposals are refused meanwhile. */
  String leadTransferee;
  /** The commit index advanced: {@link #sendPendingCommits} runs in the next Ready. */
  private boolean commitWanted;

  Leader(RaftNode node, ConfigChanger configChanger, RaftLog log, RaftConfig config, long term) {
    this.node = node;
    this.configChanger = configChanger;
    this.log = log;
    this.config = config;
    this.id = config.nodeId();
    this.term = term;
    syncProgress();
  }

  /** The configuration in force (the latest in the log); quorums are counted over its voters. */
  private ClusterConfig cluster() {
    return log.config();
  }

  /**
   * Creates progress for new replication targets (they are probed from our last index and fall
   * back to a snapshot when their log is behind the compacted prefix) and drops it for servers
   * no longer in any configuration we must serve.
   */
  private void syncProgress() {
    java.util.SortedSet<String> targets = configChanger.replicationTargets();
    for (var it = progress.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!targets.contains(e.getKey())) {
        // A parting AppendEntries anchored at the configuration entry carries the commit index:
        // a removed server holding its removal entry passes the consistency check, learns the
        // removal committed and stops campaigning for good (thesis §4.2.2 lets it campaign only
        // while its removal may be uncommitted). Its answer is ignored: no progress any more.
        long configIndex = log.configIndex();
        long configTerm = log.term(configIndex);
        if (configTerm > 0) {
          send(new AppendEntries(id, e.getKey(), term, configIndex, configTerm, List.of(), log.commitIndex()));
        }
        it.remove();
      }
    }
    for (String peer : targets) {
      if (!progress.containsKey(peer)) {
        Progress pr = new Progress(log.lastIndex() + 1, config.maxInflight());
        pr.recentActive = true; // give every follower one election timeout before CheckQuorum
        progress.put(peer, pr);
      }
    }
    if (leadTransferee != null && !cluster().isVoter(leadTransferee)) {
      leadTransferee = null;
    }
  }

  /** The configuration in force changed (appended here) or was committed. */
  void configChanged() {
    syncProgress();
  }

  private void send(Message m) {
    node.send(m);
  }

  boolean broadcastWanted() {
    return reads.broadcastWanted();
  }

  // ---------------------------------------------------------------- replication (§5.3)

  /** Sends every follower what it is missing; the new commit index follows in the next Ready. */
  void broadcastAppend() {
    for (String peer : progress.keySet()) {
      sendAppend(peer, false);
    }
    commitWanted = true;
  }

  boolean commitWanted() {
    return commitWanted;
  }

  /**
   * Sends each follower in REPLICATE that has not been told the current commit index (it got no
   * new entries: it is idle, or its acknowledgement came after the majority's) an entry-less
   * AppendEntries carrying it, as etcd does. Without it such a follower, and the clients its state
   * machine answers (grants pushed to waiters watching it), would learn of the commit only at the
   * next append or heartbeat. Called once per Ready, so every commit advance of one event-loop
   * turn costs at most one message per follower.
   */
  void sendPendingCommits() {
    commitWanted = false;
    for (var e : progress.entrySet()) {
      Progress pr = e.getValue();
      if (pr.state == Progress.State.REPLICATE && pr.sentCommit < log.commitIndex()) {
        sendEmptyAppend(e.getKey(), pr);
      }
    }
  }

  private void sendEmptyAppend(String to, Progress pr) {
    long prevIndex = pr.nextIndex - 1;
    long prevTerm = log.term(prevIndex);
    if (prevTerm < 0) {
      return; // compacted: the follower needs more than a commit index, and gets it by probing
    }
    send(new AppendEntries(id, to, term, prevIndex, prevTerm, List.of(), log.commitIndex()));
    pr.sentCommit = log.commitIndex();
  }

  /**
   * Sends what {@code to} is missing, while its flow control allows. {@code allowEmpty} also
   * sends an entry-less probe. Followers whose next entry was compacted get the snapshot.
   */
  void sendAppend(String to, boolean allowEmpty) {
    Progress pr = progress.get(to);
    while (!pr.isPaused()) {
      long prevIndex = pr.nextIndex - 1;
      long prevTerm = log.term(prevIndex);
      if (prevTerm < 0) {
        sendSnapshot(to, pr);
        return;
      }
      List<Entry> entries =
          pr.nextIndex > log.lastIndex()
              ? List.of()
              : log.slice(pr.nextIndex,
                  Math.min(log.lastIndex() + 1, pr.nextIndex + config.maxEntriesPerAppend()),
                  config.maxBytesPerAppend());
      if (entries.isEmpty() && !allowEmpty) {
        return;
      }
      send(new AppendEntries(id, to, term, prevIndex, prevTerm, entries, log.commitIndex()));
      pr.sentCommit = log.commitIndex();
      pr.sentEntries(prevIndex + entries.size(), !entries.isEmpty());
      if (entries.isEmpty() || pr.state != Progress.State.REPLICATE) {
        return;
      }
      allowEmpty = false;
    }
  }

  private void sendSnapshot(String to, Progress pr) {
    Snapshot snap = log.snapshot();
    if (snap == null) {
      throw new RaftException("entries before " + log.firstIndex() + " are gone but no snapshot exists");
    }
    pr.becomeSnapshot(snap.index());
    send(new InstallSnapshot(id, to, term, snap));
  }

  void handleAppendResponse(AppendEntriesResponse r) {
    Progress pr = progress.get(r.from());
    if (pr == null) {
      return;
    }
    pr.recentActive = true;
    if (!r.success()) {
      // Fast backtracking: skip every entry of a term the follower cannot have.
      long probeFrom = r.hintTerm() > 0 ? log.findConflictByTerm(r.hintIndex(), r.hintTerm()) : r.hintIndex();
      if (pr.maybeDecrease(r.rejectedIndex(), probeFrom)) {
        sendAppend(r.from(), true);
      }
      return;
    }
    if (pr.maybeUpdate(r.matchIndex())) {
      pr.matchSeq = reads.lastSeq();
      if (pr.state == Progress.State.PROBE
          || (pr.state == Progress.State.SNAPSHOT && pr.matchIndex >= pr.pendingSnapshotIndex)) {
        pr.becomeReplicate();
      }
      if (maybeCommit()) {
        broadcastAppend(); // followers learn the new commit index
      }
      if (r.from().equals(leadTransferee) && pr.matchIndex == log.lastIndex()) {
        send(new TimeoutNow(id, r.from(), term));
      }
    }
    sendAppend(r.from(), false);
    if (pr.sentCommit < log.commitIndex()) {
      commitWanted = true; // it acknowledged after the majority: tell it the commit index
    }
  }

  /**
   * Advances the commit index to the highest index a majority holds, if that entry is from the
   * current term (§5.4.2: counting replicas never commits an entry from an earlier term; it is
   * committed indirectly when a later entry of this term is).
   */
  boolean maybeCommit() {
    // Only voters of the configuration in force count, which excludes this leader once it has
    // appended its own removal (thesis §4.2.2).
    ClusterConfig cluster = cluster();
    long[] matches = new long[cluster.voters().size()];
    int i = 0;
    for (String v : cluster.voters()) {
      matches[i++] = v.equals(id) ? log.persistedIndex() : progress.get(v).matchIndex;
    }
    long index = Quorum.majorityValue(matches);
    if (index <= log.commitIndex() || !node.mayCommit(index)) {
      return false;
    }
    boolean firstInTerm = log.term(log.commitIndex()) != term;
    log.commitTo(index);
    if (firstInTerm) {
      releaseReadsBeforeCommit();
    }
    return true;
  }

  // ---------------------------------------------------------------- heartbeats and reads (thesis §6.4)

  void broadcastHeartbeat() {
    long seq = reads.nextBroadcast();
    for (var e : progress.entrySet()) {
      Progress pr = e.getValue();
      long commit = Math.min(pr.matchIndex, log.commitIndex());
      send(new Heartbeat(id, e.getKey(), term, commit, seq));
    }
    if (soleVoter()) {
      confirmReads(seq); // a single voter is its own majority
    }
  }

  /** This leader is the only voter, hence a majority by itself. */
  private boolean soleVoter() {
    ClusterConfig cluster = cluster();
    return cluster.voters().size() == 1 && cluster.isVoter(id);
  }

  void handleHeartbeatResponse(HeartbeatResponse r) {
    Progress pr = progress.get(r.from());
    if (pr == null) {
      return;
    }
    pr.recentActive = true;
    pr.ackedHeartbeatSeq = Math.max(pr.ackedHeartbeatSeq, r.seq());
    if (r.seq() > pr.matchSeq && r.lastIndex() < pr.matchIndex) {
      // This heartbeat left after the follower's acknowledgement of matchIndex arrived, yet it
      // holds less: it lost acknowledged entries (corruption found on restart). Stop counting
      // them and resend from what it really has.
      pr.matchIndex = r.lastIndex();
      pr.becomeProbe();
    }
    if (pr.state == Progress.State.REPLICATE && pr.isPaused()) {
      // The follower is alive but our window is full: let one more append go. If an earlier one
      // was lost, the follower rejects this one (gap) and the rejection re-probes (etcd raft).
      pr.freeOldestInflight();
    } else if (pr.state == Progress.State.PROBE) {
      pr.probeSent = false; // the probe may have been lost: send another
    } else if (pr.state == Progress.State.SNAPSHOT
        && ++pr.heartbeatsDuringSnapshot >= config.electionTicks() * 4) {
      // The follower is alive but the snapshot was never acknowledged: it was lost (the
      // transport normally says so through reportSnapshot). Start over.
      pr.pendingSnapshotIndex = 0;
      pr.becomeProbe();
    }
    if (pr.matchIndex < log.lastIndex()) {
      sendAppend(r.from(), true);
    }
    ClusterConfig cluster = cluster();
    long[] acked = new long[cluster.voters().size()];
    int i = 0;
    for (String v : cluster.voters()) {
      acked[i++] = v.equals(id) ? Long.MAX_VALUE : progress.get(v).ackedHeartbeatSeq;
    }
    confirmReads(Quorum.majorityValue(acked));
  }

  private void confirmReads(long majoritySeq) {
    for (var read : reads.confirm(majoritySeq)) {
      deliverRead(read.requestId(), read.readIndex(), read.requester());
    }
  }

  void leaderRead(long requestId, String requester) {
    if (log.term(log.commitIndex()) != term) {
      // Until an entry of our term commits we may not know the latest commit index.
      readsBeforeCommit.add(new ReadIndexTracker.PendingRead(requestId, 0, requester, 0));
      return;
    }
    if (soleVoter()) {
      deliverRead(requestId, log.commitIndex(), requester);
      return;
    }
    reads.add(requestId, log.commitIndex(), requester);
  }

  private void releaseReadsBeforeCommit() {
    List<ReadIndexTracker.PendingRead> waiting = new ArrayList<>(readsBeforeCommit);
    readsBeforeCommit.clear();
    for (var r : waiting) {
      leaderRead(r.requestId(), r.requester());
    }
  }

  private void deliverRead(long requestId, long index, String requester) {
    if (requester == null) {
      node.addReadState(new ReadState(requestId, index));
    } else {
      send(new ReadIndexResponse(id, requester, term, requestId, index, true));
    }
  }

  void failPendingReads() {
    List<ReadIndexTracker.PendingRead> dropped = new ArrayList<>(reads.reset());
    dropped.addAll(readsBeforeCommit);
    readsBeforeCommit.clear();
    for (var r : dropped) {
      if (r.requester() == null) {
        node.addReadState(new ReadState(r.requestId(), -1));
      }
      // Remote requesters time out and retry against the new leader.
    }
  }

  /** The transport could not deliver to {@code peer}: stop pipelining and probe (etcd raft). */
  void reportUnreachable(String peer) {
    Progress pr = progress.get(peer);
    if (pr != null && pr.state == Progress.State.REPLICATE) {
      pr.becomeProbe();
    }
  }

  /** The transport finished (or failed) sending a snapshot to {@code peer}. */
  void reportSnapshot(String peer, boolean delivered) {
    Progress pr = progress.get(peer);
    if (pr != null && pr.state == Progress.State.SNAPSHOT) {
      if (!delivered) {
        pr.pendingSnapshotIndex = 0;
      }
      pr.becomeProbe();
      pr.probeSent = delivered; // wait for the follower's answer before probing again
    }
  }

  /**
   * Hands leadership to {@code target}, or to the most caught-up voter when null (thesis §3.10):
   * new proposals are refused, the target is brought up to date, then told to campaign at once.
   */
  RaftNode.TransferStatus transfer(String target) {
    String to = target != null ? target : mostCaughtUpVoter();
    if (to == null || id.equals(to)) {
      return RaftNode.TransferStatus.ALREADY_LEADER;
    }
    if (!cluster().isVoter(to)) {
      return RaftNode.TransferStatus.NOT_A_VOTER;
    }
    leadTransferee = to;
    Progress pr = progress.get(to);
    if (pr.matchIndex == log.lastIndex()) {
      send(new TimeoutNow(id, to, term));
    } else {
      sendAppend(to, true);
    }
    return RaftNode.TransferStatus.STARTED;
  }

  /** The most caught-up voter if it holds our whole log, else null: a safe handover target. */
  String caughtUpVoter() {
    String best = mostCaughtUpVoter();
    return best != null && progress.get(best).matchIndex == log.lastIndex() ? best : null;
  }

  private String mostCaughtUpVoter() {
    return mostCaughtUpVoter(false);
  }

  /**
   * The most caught-up voter heard from since the last CheckQuorum round, or null: a handover
   * target that is probably alive (the most caught-up voter may be one that crashed since).
   */
  String mostCaughtUpActiveVoter() {
    return mostCaughtUpVoter(true);
  }

  private String mostCaughtUpVoter(boolean activeOnly) {
    ClusterConfig cluster = cluster();
    String best = null;
    long bestMatch = -1;
    for (var e : progress.entrySet()) {
      if (cluster.isVoter(e.getKey()) && (!activeOnly || e.getValue().recentActive)
          && e.getValue().matchIndex > bestMatch) {
        best = e.getKey();
        bestMatch = e.getValue().matchIndex;
      }
    }
    return best;
  }

  /** Each follower's replication state, for {@link RaftStatus}. */
  TreeMap<String, RaftStatus.PeerStatus> peerStatuses() {
    TreeMap<String, RaftStatus.PeerStatus> peers = new TreeMap<>();
    progress.forEach((peer, pr) -> peers.put(peer, new RaftStatus.PeerStatus(
        pr.matchIndex, pr.nextIndex, pr.state.name(), pr.inflightCount(), pr.recentActive)));
    return peers;
  }

  boolean quorumRecentlyActive() {
    ClusterConfig cluster = cluster();
    int active = cluster.isVoter(id) ? 1 : 0; // ourselves, unless we appended our own removal
    for (var e : progress.entrySet()) {
      if (cluster.isVoter(e.getKey()) && e.getValue().recentActive) {
        active++;
      }
      e.getValue().recentActive = false;
    }
    return Quorum.isMajority(active, cluster.voters().size());
  }
}
