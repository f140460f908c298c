package io.raftlock.raft;

import io.raftlock.raft.Message.AppendEntries;
import io.raftlock.raft.Message.AppendEntriesResponse;
import io.raftlock.raft.Message.Heartbeat;
import io.raftlock.raft.Message.HeartbeatResponse;
import io.raftlock.raft.Message.InstallSnapshot;
import io.raftlock.raft.Message.ReadIndexRequest;
import io.raftlock.raft.Message.ReadIndexResponse;
import io.raftlock.raft.Message.RequestVote;
import io.raftlock.raft.Message.RequestVoteResponse;
import io.raftlock.raft.Message.TimeoutNow;
import java.util.Objects;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One Raft participant as a pure state machine: inputs are {@link #tick()}, {@link #step},
 * {@link #propose}, {@link #readIndex} and storage completions ({@link #persisted}); outputs are
 * collected in a {@link Ready}. It owns no thread, clock or I/O, so the same code runs in the
 * production driver and, many nodes to one thread, in the seeded simulator.
 *
 * <p>Threading: not thread-safe; exactly one thread (the driver's event loop) calls it. Between
 * {@link #ready()} and {@link #advance(Ready)} no other method may be called.
 *
 * <p>This class owns the persistent state (term, vote), the role transitions and the dispatch of
 * messages by term. Each other job has a package-private class it delegates to:
 * {@link Leader} (replication, commitment and reads while leading), {@link FollowerReplication}
 * (the receiving end of replication), {@link Election} (campaign and vote rules, vote counting),
 * {@link Candidacy} (running for leader), {@link TermRules} (what a message's term does first),
 * {@link ConfigChanger} (membership changes), {@link ElectionTimer} (the election and heartbeat
 * timeouts, in ticks) and {@link Outbox} (the output and the Ready/advance handshake).
 *
 * <p>Membership (thesis §4.1, §4.2): the configuration in force is the latest CONFIG entry in
 * the log, committed or not, from the moment it is appended; the log keeps it and reverts it when
 * the entry is truncated. Leaders change it one server at a time ({@link #addLearner},
 * {@link #promoteLearner}, {@link #addVoter}, {@link #removeServer}). See docs/membership.md.
 *
 * <p>Section numbers refer to the Raft paper (Ongaro and Ousterhout, 2014) and "thesis" to
 * Ongaro's dissertation (2014).
 */
public class RaftNode {
  private final RaftConfig config;
  private final String id;
  private final RaftLog log;
  private final ConfigChanger configChanger;
  private final FollowerReplication receiver;
  private final Election election;
  private final ElectionTimer timer;
  private final Candidacy candidacy;

  // Persistent state (§5, Figure 2). Handed to storage through Ready.hardState.
  private long currentTerm;
  private String votedFor;

  // Volatile state.
  private Role role = Role.FOLLOWER;
  private String leaderId;
  /** Present exactly while {@code role == LEADER}: the state of this leadership. */
  private Leader leader;
  private boolean appendsWanted;
  /** The driver's volume is below its free-space reserve: see {@link #storageBelowReserve}. */
  private boolean belowReserve;

  /** Output not yet taken by ready(), and the Ready/advance handshake. */
  private final Outbox outbox;

  public RaftNode(
      RaftConfig config, ClusterConfig initialCluster, PersistentState state, RandomGenerator random) {
    this.config = Objects.requireNonNull(config);
    this.id = config.nodeId();
    // A node outside the configuration may start: a server waiting to be added (it learns the
    // configuration from the leader's log or snapshot) or one that was removed. Neither campaigns.
    this.log = new RaftLog(state, initialCluster);
    this.configChanger = new ConfigChanger(this, log);
    this.receiver = new FollowerReplication(log, id);
    this.currentTerm = state.hardState().currentTerm();
    this.votedFor = state.hardState().votedFor();
    this.election = new Election(log, id, state.durableLastIndex(), state.durableLastTerm());
    this.outbox = new Outbox(softState(), hardState());
    this.timer = new ElectionTimer(config, Objects.requireNonNull(random));
    this.candidacy = new Candidacy(this, log, election);
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick: election timeouts, heartbeats, CheckQuorum. */
  public void tick() {
    checkNotOutstanding();
    if (role == Role.LEADER) {
      tickLeader();
    } else {
      if (timer.tickTimesOut() && promotable()) {
        candidacy.start(config.preVote(), false);
      }
    }
  }

  private void tickLeader() {
    if (timer.tickEndsElectionRound()) {
      // CheckQuorum (thesis §6.2): a leader that cannot reach a majority steps down, so clients
      // stop waiting on it and a partitioned minority never serves lease reads.
      if (config.checkQuorum() && !leader.quorumRecentlyActive()) {
        becomeFollower(currentTerm, null);
        return;
      }
      leader.leadTransferee = null; // a transfer not done within an election timeout is over
    }
    if (belowReserve) {
      handOverForStorage(); // again after an abandoned handover
    }
    if (timer.heartbeatDue()) {
      leader.broadcastHeartbeat();
    }
  }

  /** Hands one message from a peer to the core. */
  public void step(Message m) {
    checkNotOutstanding();
    if (!id.equals(m.to())) {
      return;
    }
    // Messages are processed without consulting the configuration (thesis §4.1), with one
    // exception for vote requests: see Election.ignores.
    if (m instanceof RequestVote rv && election.ignores(rv)) {
      return;
    }
    // The term decides first (§5.1; the exceptions are in TermRules), then the message's type.
    if (m.term() > currentTerm) {
      boolean inLease = config.checkQuorum() && leaderId != null && timer.withinElectionTimeout();
      switch (TermRules.higherTerm(m, inLease)) {
        case IGNORE -> {
          return;
        }
        case ADOPT -> becomeFollower(m.term(), TermRules.leaderOf(m));
        case KEEP_TERM -> {}
      }
    } else if (m.term() < currentTerm) {
      sendIfAny(TermRules.staleTermAnswer(m, id, currentTerm));
      return;
    }
    dispatch(m);
  }

  private void dispatch(Message m) {
    if (m instanceof AppendEntries ae) {
      followLeader(m.from());
      sendIfAny(receiver.appendEntries(ae, currentTerm, belowReserve));
    } else if (m instanceof Heartbeat hb) {
      followLeader(m.from());
      send(receiver.heartbeat(hb, currentTerm));
    } else if (m instanceof InstallSnapshot is) {
      followLeader(m.from());
      sendIfAny(receiver.installSnapshot(is, currentTerm, belowReserve));
    } else if (m instanceof RequestVote rv) {
      handleRequestVote(rv);
    } else if (m instanceof RequestVoteResponse r) {
      candidacy.answered(r);
    } else if (m instanceof AppendEntriesResponse r) {
      if (leader != null) {
        long commitBefore = log.commitIndex();
        leader.handleAppendResponse(r);
        configChanger.afterLeaderCommit(commitBefore);
      }
    } else if (m instanceof HeartbeatResponse r) {
      if (leader != null) {
        leader.handleHeartbeatResponse(r);
      }
    } else if (m instanceof TimeoutNow) {
      if (promotable()) {
        candidacy.start(false, true);
      }
    } else if (m instanceof ReadIndexRequest r) {
      if (leader != null) {
        leader.leaderRead(r.requestId(), r.from());
      } else {
        send(new ReadIndexResponse(id, r.from(), currentTerm, r.requestId(), 0, false));
      }
    } else if (m instanceof ReadIndexResponse r) {
      outbox.addReadState(new ReadState(r.requestId(), r.success() ? r.readIndex() : -1));
    }
  }

  /** A message from the leader of the current term arrived. */
  private void followLeader(String from) {
    if (role == Role.LEADER) {
      throw new RaftException("two leaders in term " + currentTerm + ": " + id + " and " + from);
    }
    if (role != Role.FOLLOWER) {
      becomeFollower(currentTerm, from);
    }
    leaderId = from;
    timer.restart();
  }

  /**
   * Appends a command. Only the leader accepts; the entry is broadcast with the next
   * {@link #ready()}, so proposals made in one event-loop turn travel in one AppendEntries.
   */
  public ProposeResult propose(byte[] data) {
    checkNotOutstanding();
    if (leader == null) {
      return ProposeResult.notLeader(leaderId);
    }
    if (leader.leadTransferee != null) {
      return new ProposeResult(ProposeResult.Status.LEADERSHIP_TRANSFER, 0, 0, leader.leadTransferee);
    }
    Entry e = Entry.normal(currentTerm, log.lastIndex() + 1, data);
    appendAsLeader(e);
    return ProposeResult.accepted(currentTerm, e.index());
  }

  /** Outcome of {@link #readIndex}. */
  public enum ReadRequestStatus {
    /** A {@link ReadState} with this request id will appear in a later Ready (index -1: failed). */
    PENDING,
    NO_LEADER
  }

  /**
   * Asks for a linearizable read point (thesis §6.4). On the leader it is confirmed by a
   * heartbeat round (or the lease); on a follower the leader is asked.
   */
  public ReadRequestStatus readIndex(long requestId) {
    checkNotOutstanding();
    if (leader != null) {
      leader.leaderRead(requestId, null);
      return ReadRequestStatus.PENDING;
    }
    if (leaderId == null) {
      return ReadRequestStatus.NO_LEADER;
    }
    send(new ReadIndexRequest(id, leaderId, currentTerm, requestId));
    return ReadRequestStatus.PENDING;
  }

  /** Storage made everything up to ({@code index}, {@code term}) durable. */
  public void persisted(long index, long term) {
    checkNotOutstanding();
    long commitBefore = log.commitIndex();
    if (log.markPersisted(index, term) && leader != null && leader.maybeCommit()) {
      appendsWanted = true;
      configChanger.afterLeaderCommit(commitBefore);
    }
  }

  /**
   * The driver's storage fell below its free-space reserve ({@code true}) or has space again.
   * Below it this node can make no entry durable, so it must neither lead nor take entries: it
   * does not campaign and ignores TimeoutNow; a candidate gives up; a follower drops
   * AppendEntries that carry entries and snapshots that would replace its log (as if lost: the
   * leader keeps probing and the follower catches up once space returns); a leader hands
   * leadership to the most caught-up voter it heard from recently, again whenever a handover is
   * abandoned. Votes, terms and the commit index still change: the hard state needs no new space.
   */
  public void storageBelowReserve(boolean below) {
    checkNotOutstanding();
    belowReserve = below;
    if (!below) {
      return;
    }
    if (role == Role.CANDIDATE || role == Role.PRE_CANDIDATE) {
      becomeFollower(currentTerm, null);
    } else if (leader != null) {
      handOverForStorage();
    }
  }

  /** A leader below the storage reserve starts a handover unless one is under way. */
  private void handOverForStorage() {
    if (leader == null || leader.leadTransferee != null) {
      return;
    }
    String target = leader.mostCaughtUpActiveVoter();
    if (target != null && leader.transfer(target) == TransferStatus.STARTED) {
      timer.restart(); // the transfer is abandoned after one election timeout
    }
  }

  // ---------------------------------------------------------------- membership (thesis §4.1, §4.2)

  /**
   * Adds {@code server} as a learner: it receives the log (or a snapshot) but neither votes nor
   * counts toward commitment (thesis §4.2.1). In force on this leader as soon as it is appended.
   */
  public ConfigChangeResult addLearner(String server) {
    checkNotOutstanding();
    return configChanger.addLearner(server);
  }

  /**
   * Makes learner {@code server} a voter once it has caught up: its match index on this leader
   * must be at least {@code minMatchIndex}; 0 is refused unless {@code force} (thesis §4.2.1).
   */
  public ConfigChangeResult promoteLearner(String server, long minMatchIndex, boolean force) {
    checkNotOutstanding();
    return configChanger.promoteLearner(server, minMatchIndex, force);
  }

  /** Adds {@code server} directly as a voter (no catch-up phase; prefer a learner first). */
  public ConfigChangeResult addVoter(String server) {
    checkNotOutstanding();
    return configChanger.addVoter(server);
  }

  /** Removes a voter or learner, possibly this leader itself (thesis §4.2.2). */
  public ConfigChangeResult removeServer(String server) {
    checkNotOutstanding();
    return configChanger.removeServer(server);
  }

  /**
   * The rules that keep single-server changes safe: no change while one is uncommitted, none
   * before the leader has committed in its term (thesis §4.1). Overridden only by a deliberately
   * broken test subclass that proves the simulator catches the violation, like
   * {@link #mayCommit}.
   */
  protected boolean oneChangeAtATime() {
    return true;
  }

  /** Appends an entry of this leader's term; it is broadcast with the next {@link #ready()}. */
  void appendAsLeader(Entry e) {
    log.append(e);
    appendsWanted = true;
  }

  /** Present exactly while this node leads, else null. */
  Leader leader() {
    return leader;
  }

  /**
   * The driver snapshotted the state machine at an applied index; entries up to
   * {@code compactIndex} may leave memory. The snapshot is kept to catch up lagging followers.
   */
  public void compact(Snapshot snapshot, long compactIndex) {
    checkNotOutstanding();
    log.compact(snapshot, compactIndex);
  }

  /** The transport could not deliver to {@code peer}: stop pipelining and probe (etcd raft). */
  public void reportUnreachable(String peer) {
    if (leader != null) {
      leader.reportUnreachable(peer);
    }
  }

  /** The transport finished (or failed) sending a snapshot to {@code peer}. */
  public void reportSnapshot(String peer, boolean delivered) {
    if (leader != null) {
      leader.reportSnapshot(peer, delivered);
    }
  }

  /** Outcome of {@link #transferLeadership}. */
  public enum TransferStatus {
    STARTED,
    NOT_LEADER,
    NOT_A_VOTER,
    ALREADY_LEADER
  }

  /**
   * Hands leadership to {@code target}, or to the most caught-up voter when null (thesis §3.10):
   * new proposals are refused, the target is brought up to date, then told to campaign at once.
   */
  public TransferStatus transferLeadership(String target) {
    checkNotOutstanding();
    if (leader == null) {
      return TransferStatus.NOT_LEADER;
    }
    TransferStatus status = leader.transfer(target);
    if (status == TransferStatus.STARTED) {
      timer.restart(); // the transfer is abandoned after one election timeout
    }
    return status;
  }

  // ---------------------------------------------------------------- output

  public boolean hasReady() {
    return appendsWanted
        || (leader != null && (leader.broadcastWanted() || leader.commitWanted()))
        || outbox.hasOutput()
        || log.hasUnpersisted()
        || log.hasCommittedToApply()
        || softStateChanged()
        || hardStateChanged();
  }

  private boolean softStateChanged() {
    return outbox.softStateChanged(role, leaderId, currentTerm);
  }

  private boolean hardStateChanged() {
    return outbox.hardStateChanged(currentTerm, votedFor, log.commitIndex());
  }

  /**
   * Collects the pending work. Flushes batched broadcasts first. Must be followed by
   * {@link #advance(Ready)} before any other call.
   */
  public Ready ready() {
    checkNotOutstanding();
    if (appendsWanted) {
      appendsWanted = false;
      if (leader != null) {
        leader.broadcastAppend();
      }
    }
    if (leader != null && leader.broadcastWanted()) {
      leader.broadcastHeartbeat();
    }
    if (leader != null && leader.commitWanted()) {
      leader.sendPendingCommits();
    }
    return outbox.take(softStateChanged() ? softState() : null,
        hardStateChanged() ? hardState() : null, log, config.maxEntriesPerReady());
  }

  /** The driver handed the Ready's batch to storage, sent its messages and applied its entries. */
  public void advance(Ready rd) {
    outbox.advance(rd);
    log.checkInvariants();
  }

  private void checkNotOutstanding() {
    outbox.checkNotOutstanding();
  }

  // ---------------------------------------------------------------- queries

  public String id() {
    return id;
  }

  public Role role() {
    return role;
  }

  public long term() {
    return currentTerm;
  }

  public String leaderId() {
    return leaderId;
  }

  /** The configuration in force: the latest in the log, committed or not (thesis §4.1). */
  public ClusterConfig clusterConfig() {
    return log.config();
  }

  private ClusterConfig cluster() {
    return log.config();
  }

  /**
   * The configuration in force at {@code index} (≥ the snapshot index): what a snapshot taken at
   * {@code index} must carry.
   */
  public ClusterConfig configAt(long index) {
    return log.configAt(index);
  }

  /** Index of the CONFIG entry that set {@link #clusterConfig()}, or the snapshot index, or 0. */
  public long configIndex() {
    return log.configIndex();
  }

  /**
   * This node is not a member of its latest configuration: it was removed, or has not been added
   * yet. It never campaigns; a leader in this state steps down once its removal commits.
   */
  public boolean isRemoved() {
    return !cluster().isMember(id);
  }

  public long commitIndex() {
    return log.commitIndex();
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  /** Term of the entry at {@code index}, or -1 when compacted or absent. */
  public long termAt(long index) {
    return log.term(index);
  }

  /** The first entry still in the log (after the snapshot); {@code lastIndex() + 1} when none. */
  public long firstIndex() {
    return log.firstIndex();
  }

  /** The latest snapshot the log holds (made here, installed, or recovered); null when none. */
  public Snapshot latestSnapshot() {
    return log.snapshot();
  }

  /** The entry at {@code index} if it is still in memory, else null. */
  public Entry entryAt(long index) {
    return index >= log.firstIndex() && index <= log.lastIndex() ? log.entry(index) : null;
  }

  /** True while the durable log is less up-to-date than what this node once held durably. */
  public boolean needsRepair() {
    return election.needsRepair();
  }

  public RaftStatus status() {
    var peers = leader == null ? new TreeMap<String, RaftStatus.PeerStatus>() : leader.peerStatuses();
    Snapshot snap = log.snapshot();
    return new RaftStatus(id, role, currentTerm, leaderId, log.lastIndex(), log.lastTerm(),
        log.commitIndex(), log.appliedIndex(), log.persistedIndex(), snap == null ? 0 : snap.index(),
        needsRepair(), log.term(log.commitIndex()), peers, cluster(), isRemoved());
  }

  private SoftState softState() {
    return new SoftState(role, leaderId, currentTerm);
  }

  private HardState hardState() {
    return new HardState(currentTerm, votedFor, log.commitIndex());
  }

  // ---------------------------------------------------------------- role transitions and votes (§5.2, thesis §9.6)

  /** See {@link Election#mayCampaign}; below the storage reserve a node could not lead. */
  private boolean promotable() {
    return !belowReserve && election.mayCampaign();
  }

  /**
   * Becomes a pre-candidate (thesis §9.6): no leader known, the term and vote unchanged. Returns
   * the term a real election would use, which the pre-vote asks for.
   */
  long becomePreCandidate() {
    timer.reset();
    leaderId = null;
    role = Role.PRE_CANDIDATE;
    return currentTerm + 1;
  }

  /** Becomes a candidate (§5.2): a new term, voting for itself. Returns that term. */
  long becomeCandidate() {
    timer.reset();
    leaderId = null;
    role = Role.CANDIDATE;
    currentTerm++;
    votedFor = id;
    return currentTerm;
  }

  private void handleRequestVote(RequestVote rv) {
    if (election.grants(rv, votedFor, leaderId, currentTerm)) {
      send(new RequestVoteResponse(id, rv.from(), rv.term(), true, rv.preVote()));
      if (!rv.preVote()) {
        votedFor = rv.from();
        timer.restart();
      }
    } else {
      send(new RequestVoteResponse(id, rv.from(), currentTerm, false, rv.preVote()));
    }
  }

  void becomeFollower(long term, String leader) {
    if (term > currentTerm) {
      currentTerm = term;
      votedFor = null;
    }
    if (this.leader != null) {
      this.leader.failPendingReads();
      this.leader = null;
    }
    role = Role.FOLLOWER;
    leaderId = leader;
    timer.reset();
  }

  void becomeLeader() {
    role = Role.LEADER;
    leaderId = id;
    timer.startLeading();
    leader = new Leader(this, configChanger, log, config, currentTerm);
    // §5.4.2 / §8: a no-op of the new term lets the leader commit what earlier terms left.
    appendAsLeader(Entry.noop(currentTerm, log.lastIndex() + 1));
  }

  /**
   * The rule that makes commitment safe (§5.4.2, Figure 8). Overridden only by a deliberately
   * broken test subclass that proves the simulator catches its violation.
   */
  protected boolean mayCommit(long index) {
    return log.term(index) == currentTerm;
  }

  // ---------------------------------------------------------------- sending

  void addReadState(ReadState rs) {
    outbox.addReadState(rs);
  }

  /** Queues a message; {@link Outbox#send} holds back what must wait for the sync. */
  void send(Message m) {
    outbox.send(m);
  }

  private void sendIfAny(Message m) {
    if (m != null) {
      send(m);
    }
  }
}
