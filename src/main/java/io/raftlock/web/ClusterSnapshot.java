package io.raftlock.web;

import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockStats;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Builds the JSON document the cluster page renders (one per refresh, shared by every open page).
 * Pure functions of their arguments, so the shape is tested without a cluster.
 *
 * <pre>{@code
 * { "seq": 7, "node": "node-2", "atMs": ..., "leader": "node-1",
 *   "members": [{"id", "address", "up", "self", "role", "term", "leaderId", "lastIndex",
 *                "commitIndex", "appliedIndex", "lagEntries", "isLeader", "error"?}],
 *   "locks": {"available", "held", "waiters", "contested", "shown": [{"lockId", "holder",
 *             "token", "waiters", "expiresInMs", "heldForMs"}]},
 *   "rates": {"windowMs", "admittedPerSec", "rateLimitedPerSec", "invalidPerSec",
 *             "commitsPerSec", "grantsPerSec", "releasesPerSec", "expirationsPerSec"} | null }
 * }</pre>
 */
public final class ClusterSnapshot {
  private ClusterSnapshot() {}

  /** One member as the serving node sees it: its own status, or what its {@code /status} said. */
  public record Member(String id, String address, boolean self, boolean up, String error,
      String role, long term, String leaderId, long lastIndex, long commitIndex, long appliedIndex) {

    public static Member of(String address, RaftStatus s, boolean self) {
      return new Member(s.nodeId(), address, self, true, null, s.role().name(), s.term(), s.leaderId(),
          s.lastIndex(), s.commitIndex(), s.appliedIndex());
    }

    /** From the JSON of {@code GET /status} (see {@code NodeHttpServer}). */
    public static Member of(String id, String address, JsonObject status) {
      return new Member(id, address, false, true, null, status.getString("role", "UNKNOWN"),
          status.getLong("term", 0L), status.getString("leaderId"), status.getLong("lastIndex", 0L),
          status.getLong("commitIndex", 0L), status.getLong("appliedIndex", 0L));
    }

    public static Member down(String id, String address, String error) {
      return new Member(id, address, false, false, error, "DOWN", 0, null, 0, 0, 0);
    }
  }

  /** Cumulative counters read at one instant; rates are differences of two readings. */
  public record Counters(long atNanos, long admitted, long rateLimited, long invalid, long commitIndex,
      long grants, long releases, long expirations) {}

  /**
   * The leader: the up member that says it leads, in the highest term (two may claim it for a
   * moment during an election, the older one not yet knowing); null when none does.
   */
  static String leader(List<Member> members) {
    Member best = null;
    for (Member m : members) {
      if (m.up() && Role.LEADER.name().equals(m.role()) && (best == null || m.term() > best.term())) {
        best = m;
      }
    }
    return best == null ? null : best.id();
  }

  /** Rates per second between two readings; null when there is no earlier reading. */
  static JsonObject rates(Counters before, Counters now) {
    if (before == null || now == null || now.atNanos() <= before.atNanos()) {
      return null;
    }
    double seconds = (now.atNanos() - before.atNanos()) / 1e9;
    return new JsonObject()
        .put("windowMs", Math.round(seconds * 1000))
        .put("admittedPerSec", perSecond(before.admitted(), now.admitted(), seconds))
        .put("rateLimitedPerSec", perSecond(before.rateLimited(), now.rateLimited(), seconds))
        .put("invalidPerSec", perSecond(before.invalid(), now.invalid(), seconds))
        .put("commitsPerSec", perSecond(before.commitIndex(), now.commitIndex(), seconds))
        .put("grantsPerSec", perSecond(before.grants(), now.grants(), seconds))
        .put("releasesPerSec", perSecond(before.releases(), now.releases(), seconds))
        .put("expirationsPerSec", perSecond(before.expirations(), now.expirations(), seconds));
  }

  /** A counter that went backwards (a restart, a snapshot install) reads as 0, not negative. */
  private static double perSecond(long before, long now, double seconds) {
    return Math.round(Math.max(0, now - before) / seconds * 10) / 10.0;
  }

  static JsonObject toJson(long seq, String nodeId, long nowMs, List<Member> members,
      BusiestLocks.Summary locks, JsonObject rates) {
    long reference = 0; // the most advanced commit index any member reports
    for (Member m : members) {
      if (m.up()) {
        reference = Math.max(reference, m.commitIndex());
      }
    }
    String leader = leader(members);
    JsonArray memberJson = new JsonArray();
    for (Member m : members) {
      JsonObject j = new JsonObject().put("id", m.id()).put("address", m.address()).put("self", m.self())
          .put("up", m.up()).put("role", m.role()).put("isLeader", m.id().equals(leader));
      if (m.up()) {
        j.put("term", m.term()).put("leaderId", m.leaderId()).put("lastIndex", m.lastIndex())
            .put("commitIndex", m.commitIndex()).put("appliedIndex", m.appliedIndex())
            .put("lagEntries", Math.max(0, reference - m.appliedIndex()));
      } else {
        j.put("error", m.error());
      }
      memberJson.add(j);
    }
    return new JsonObject()
        .put("seq", seq)
        .put("node", nodeId)
        .put("atMs", nowMs)
        .put("leader", leader)
        .put("members", memberJson)
        .put("locks", locksJson(locks, nowMs))
        .put("rates", rates);
  }

  static JsonObject locksJson(BusiestLocks.Summary locks, long nowMs) {
    if (locks == null) {
      return new JsonObject().put("available", false);
    }
    LockStats s = locks.stats();
    JsonArray shown = new JsonArray();
    for (LockInfo l : locks.shown()) {
      shown.add(new JsonObject()
          .put("lockId", l.lockId())
          .put("holder", l.ownerId())
          .put("token", l.token())
          .put("waiters", l.waiterCount())
          // Lease times are leader wall-clock times; this node's clock is close enough to show.
          .put("expiresInMs", Math.max(0, l.expiresAtMs() - nowMs))
          .put("heldForMs", Math.max(0, nowMs - l.acquiredAtMs())));
    }
    return new JsonObject().put("available", true).put("held", s.activeLocks()).put("waiters", s.waiters())
        .put("contested", s.contestedLocks()).put("shown", shown);
  }
}
