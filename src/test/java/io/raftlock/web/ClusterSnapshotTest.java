package io.raftlock.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockStats;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ClusterSnapshotTest {
  static ClusterSnapshot.Member member(String id, String role, long term, long commit, long applied) {
    return new ClusterSnapshot.Member(id, id + ":1", false, true, null, role, term, null, commit, commit, applied);
  }

  @Test
  void theLeaderIsTheClaimantWithTheHighestTerm() {
    List<ClusterSnapshot.Member> members = List.of(member("a", "LEADER", 3, 10, 10),
        member("b", "LEADER", 4, 10, 10), member("c", "FOLLOWER", 4, 10, 10));
    assertEquals("b", ClusterSnapshot.leader(members));
    assertNull(ClusterSnapshot.leader(List.of(member("a", "CANDIDATE", 5, 1, 1),
        ClusterSnapshot.Member.down("b", "b:1", "refused"))));
  }

  @Test
  void lagIsMeasuredFromTheMostAdvancedCommitIndexAndDownMembersCarryTheirError() {
    JsonObject json = ClusterSnapshot.toJson(7, "b", 1_000, List.of(member("a", "LEADER", 2, 120, 118),
        member("b", "FOLLOWER", 2, 100, 90), ClusterSnapshot.Member.down("c", "c:1", "Connection refused")),
        null, null);
    assertEquals(7, json.getLong("seq"));
    assertEquals("a", json.getString("leader"));
    var members = json.getJsonArray("members");
    assertEquals(2, members.getJsonObject(0).getLong("lagEntries"));
    assertEquals(30, members.getJsonObject(1).getLong("lagEntries"));
    assertTrue(members.getJsonObject(0).getBoolean("isLeader"));
    JsonObject down = members.getJsonObject(2);
    assertFalse(down.getBoolean("up"));
    assertEquals("Connection refused", down.getString("error"));
    assertFalse(down.containsKey("lagEntries"));
    assertFalse(json.getJsonObject("locks").getBoolean("available"));
  }

  @Test
  void locksShowHolderTokenAndRemainingLease() {
    LockInfo held = new LockInfo("orders", "client-7", 42, 9_000, 15_000, 2, List.of(), new TreeMap<>());
    LockStats stats = new LockStats(1, 2, 1, 0, 5, 4, 0, 0, 0, 0, 10_000);
    JsonObject locks = ClusterSnapshot.locksJson(new BusiestLocks.Summary(List.of(held), stats), 10_000);
    JsonObject shown = locks.getJsonArray("shown").getJsonObject(0);
    assertEquals("client-7", shown.getString("holder"));
    assertEquals(42, shown.getLong("token"));
    assertEquals(5_000, shown.getLong("expiresInMs"));
    assertEquals(1_000, shown.getLong("heldForMs"));
    assertEquals(2, shown.getInteger("waiters"));
    assertEquals(1, locks.getInteger("contested"));
    // A lease already past its end (expiry not yet committed) shows 0, not a negative time.
    assertEquals(0, ClusterSnapshot.locksJson(new BusiestLocks.Summary(List.of(held), stats), 20_000)
        .getJsonArray("shown").getJsonObject(0).getLong("expiresInMs"));
  }

  @Test
  void ratesArePerSecondDifferencesAndNeverNegative() {
    var before = new ClusterSnapshot.Counters(1_000_000_000L, 100, 10, 1, 500, 50, 40, 3);
    var after = new ClusterSnapshot.Counters(3_000_000_000L, 300, 10, 5, 900, 30, 60, 3);
    JsonObject r = ClusterSnapshot.rates(before, after);
    assertEquals(2_000, r.getLong("windowMs"));
    assertEquals(100.0, r.getDouble("admittedPerSec"));
    assertEquals(0.0, r.getDouble("rateLimitedPerSec"));
    assertEquals(2.0, r.getDouble("invalidPerSec"));
    assertEquals(200.0, r.getDouble("commitsPerSec"));
    assertEquals(0.0, r.getDouble("grantsPerSec")); // went backwards (snapshot installed)
    assertEquals(10.0, r.getDouble("releasesPerSec"));
    assertNull(ClusterSnapshot.rates(null, after));
    assertNull(ClusterSnapshot.rates(after, before));
  }
}
