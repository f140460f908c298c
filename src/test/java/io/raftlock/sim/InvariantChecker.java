package io.raftlock.sim;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Raft's safety properties (paper Figure 3), checked after every simulated event:
 *
 * <ul>
 *   <li>Election Safety: at most one leader per term;
 *   <li>terms and commit indexes never go backwards within a process's life;
 *   <li>State Machine Safety: an index, once committed anywhere, never holds another entry, and
 *       every node applies the same entry and reaches the same state hash at each index;
 *   <li>Leader Completeness: a new leader holds every entry committed before it;
 *   <li>Log Matching: two logs with an entry of the same index and term are identical up to it
 *       (checked over whole logs every {@link #FULL_CHECK_EVERY} events and at the end).
 * </ul>
 *
 * Membership (thesis §4.1, §4.2), after every event:
 *
 * <ul>
 *   <li>a committed configuration is never lost: each node's configuration at its commit index
 *       is the one the committed history puts there (this also checks that snapshots carry the
 *       configuration at their own index and that restarts recover it);
 *   <li>a leader's log holds at most one uncommitted CONFIG entry;
 *   <li>only voters of their own configuration campaign (or servers whose removal is still
 *       uncommitted, thesis §4.2.2), and a leader whose removal has committed is no longer
 *       leader.
 * </ul>
 *
 * Election Safety above is global over terms, so it holds across configuration changes too.
 *
 * Violations are collected, not thrown, so the report shows the first one with its context.
 */
final class InvariantChecker implements SimNode.ApplyListener {
  static final int FULL_CHECK_EVERY = 64;

  private final List<String> violations = new ArrayList<>();
  private final TreeMap<Long, String> leaderByTerm = new TreeMap<>();
  /** Every entry any node has known committed, by index. */
  private final TreeMap<Long, Entry> committed = new TreeMap<>();
  /** State-machine hash after applying each index (first node to get there sets it). */
  private final HashMap<Long, Long> hashAfter = new HashMap<>();
  /** Configuration at index 0 (every node is built with it). */
  ClusterConfig bootstrap;
  /** Committed CONFIG entries, decoded, by index. */
  private final TreeMap<Long, ClusterConfig> committedConfigs = new TreeMap<>();
  /** Leaders already reported for two uncommitted changes (once each, not after every event). */
  private final java.util.Set<String> reportedDoubleChanges = new java.util.HashSet<>();

  private static final class NodeView {
    int incarnation = -1;
    long term;
    long commit;
    Role role;
  }

  private final Map<String, NodeView> views = new HashMap<>();
  private long events;

  List<String> violations() {
    return violations;
  }

  TreeMap<Long, Entry> committed() {
    return committed;
  }

  /** Which node led each term, as observed. */
  TreeMap<Long, String> leaderByTerm() {
    return leaderByTerm;
  }

  long maxCommitted() {
    return committed.isEmpty() ? 0 : committed.lastKey();
  }

  private void violation(String what) {
    if (violations.size() < 20) {
      violations.add(what);
    }
  }

  void afterEvent(List<SimNode> nodes, long nowMs) {
    events++;
    for (SimNode n : nodes) {
      if (n.up) {
        checkNode(n, nowMs);
      }
    }
    if (events % FULL_CHECK_EVERY == 0) {
      checkLogMatching(nodes);
    }
  }

  private void checkNode(SimNode n, long nowMs) {
    RaftNode r = n.raft;
    NodeView v = views.computeIfAbsent(n.id, k -> new NodeView());
    if (v.incarnation != n.incarnation) {
      v.incarnation = n.incarnation;
      v.term = r.term();
      v.commit = r.commitIndex();
      v.role = null;
    }
    if (r.term() < v.term) {
      violation("@" + nowMs + " " + n.id + " term went back " + v.term + " -> " + r.term());
    }
    if (r.commitIndex() < v.commit) {
      violation("@" + nowMs + " " + n.id + " commit went back " + v.commit + " -> " + r.commitIndex());
    }
    for (long i = v.commit + 1; i <= r.commitIndex(); i++) {
      Entry e = r.entryAt(i);
      if (e != null) {
        recordCommitted(e, n.id, nowMs);
      }
    }
    boolean newLeader = r.role() == Role.LEADER && (v.role != Role.LEADER || v.term != r.term());
    if (r.role() == Role.LEADER) {
      String prev = leaderByTerm.putIfAbsent(r.term(), n.id);
      if (prev != null && !prev.equals(n.id)) {
        violation("@" + nowMs + " two leaders in term " + r.term() + ": " + prev + " and " + n.id);
      }
    }
    if (newLeader) {
      checkLeaderCompleteness(n, nowMs);
    }
    checkMembership(n, nowMs);
    v.term = r.term();
    v.commit = r.commitIndex();
    v.role = r.role();
  }

  private void checkMembership(SimNode n, long nowMs) {
    if (bootstrap == null) {
      return;
    }
    RaftNode r = n.raft;
    long commit = r.commitIndex();
    var floor = committedConfigs.floorEntry(commit);
    ClusterConfig expected = floor == null ? bootstrap : floor.getValue();
    ClusterConfig actual = r.configAt(commit);
    if (!actual.equals(expected)) {
      violation("@" + nowMs + " " + n.id + " has configuration " + actual + " at commit " + commit
          + " but " + expected + " is committed there");
    }
    Role role = r.role();
    boolean voter = r.clusterConfig().isVoter(n.id);
    // A server removed by a still-uncommitted entry may campaign (thesis §4.2.2); one whose
    // removal it knows committed may not.
    boolean removalPending = r.configIndex() > commit && r.configAt(commit).isVoter(n.id);
    if ((role == Role.CANDIDATE || role == Role.PRE_CANDIDATE) && !voter && !removalPending) {
      violation("@" + nowMs + " " + n.id + " campaigns but is not a voter in " + r.clusterConfig());
    }
    if (role == Role.LEADER) {
      long configIndex = r.configIndex();
      if (!voter && configIndex <= commit) {
        violation("@" + nowMs + " " + n.id + " still leads term " + r.term() + " after its removal committed at "
            + configIndex);
      }
      for (long i = commit + 1; i < configIndex; i++) {
        Entry e = r.entryAt(i);
        if (e != null && e.type() == EntryType.CONFIG && reportedDoubleChanges.add(n.id + "@" + configIndex)) {
          violation("@" + nowMs + " leader " + n.id + " holds two uncommitted configuration entries: " + i
              + " and " + configIndex);
          break;
        }
      }
    }
  }

  private void recordCommitted(Entry e, String by, long nowMs) {
    if (e.type() == EntryType.CONFIG) {
      committedConfigs.putIfAbsent(e.index(), ClusterConfig.decode(e.data()));
    }
    Entry prev = committed.putIfAbsent(e.index(), e);
    if (prev != null && !prev.equals(e)) {
      violation("@" + nowMs + " index " + e.index() + " committed as " + prev + " and later as " + e + " on " + by);
    }
  }

  private void checkLeaderCompleteness(SimNode n, long nowMs) {
    RaftNode r = n.raft;
    if (r.lastIndex() < maxCommitted()) {
      violation("@" + nowMs + " leader " + n.id + " term " + r.term() + " lacks committed entries after "
          + r.lastIndex() + " (committed up to " + maxCommitted() + ")");
      return;
    }
    for (Entry e : committed.values()) {
      long t = r.termAt(e.index());
      if (t >= 0 && t != e.term()) {
        violation("@" + nowMs + " leader " + n.id + " term " + r.term() + " has term " + t + " at committed index "
            + e.index() + " (committed term " + e.term() + ")");
        return;
      }
    }
  }

  private void checkLogMatching(List<SimNode> nodes) {
    for (int a = 0; a < nodes.size(); a++) {
      for (int b = a + 1; b < nodes.size(); b++) {
        SimNode x = nodes.get(a);
        SimNode y = nodes.get(b);
        if (x.up && y.up) {
          checkPair(x.raft, y.raft);
        }
      }
    }
  }

  private void checkPair(RaftNode x, RaftNode y) {
    long hi = Math.min(x.lastIndex(), y.lastIndex());
    long i = hi;
    while (i > 0) {
      Entry ex = x.entryAt(i);
      Entry ey = y.entryAt(i);
      if (ex == null || ey == null) {
        return; // compacted on one side: nothing further to compare
      }
      if (ex.term() == ey.term()) {
        break;
      }
      i--;
    }
    for (long j = i; j > 0; j--) {
      Entry ex = x.entryAt(j);
      Entry ey = y.entryAt(j);
      if (ex == null || ey == null) {
        return;
      }
      if (!ex.equals(ey)) {
        violation("log matching broken between " + x.id() + " and " + y.id() + " at " + j + ": " + ex + " vs " + ey);
        return;
      }
    }
  }

  void finalCheck(List<SimNode> nodes) {
    checkLogMatching(nodes);
  }

  @Override
  public void applied(SimNode node, Entry entry, long smHash) {
    Entry c = committed.get(entry.index());
    if (c == null) {
      committed.put(entry.index(), entry);
      if (entry.type() == EntryType.CONFIG) {
        committedConfigs.putIfAbsent(entry.index(), ClusterConfig.decode(entry.data()));
      }
    } else if (!c.equals(entry)) {
      violation(node.id + " applied " + entry + " but " + c + " is committed at that index");
    }
    checkHash(node, entry.index(), smHash);
  }

  @Override
  public void restored(SimNode node, long index, long smHash) {
    checkHash(node, index, smHash);
  }

  private void checkHash(SimNode node, long index, long smHash) {
    Long h = hashAfter.putIfAbsent(index, smHash);
    if (h != null && h != smHash) {
      violation(node.id + " state hash at " + index + " is " + smHash + ", another node had " + h);
    }
  }
}
