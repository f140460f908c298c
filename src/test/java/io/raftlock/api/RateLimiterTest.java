package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.api.RateLimiter.Config;
import io.raftlock.api.RateLimiter.Decision;
import io.raftlock.api.RateLimiter.Kind;
import io.raftlock.api.RateLimiter.Permit;
import io.raftlock.api.RateLimiter.Reason;
import io.raftlock.api.RateLimiter.Rejection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The limiter with a fake clock: no sleeping, every instant chosen by the test. The mechanism is
 * checked on small buckets (100/s, burst 200) whose arithmetic is easy to follow; the shipped
 * defaults are checked against the load they must admit and the abuse they must refuse.
 */
class RateLimiterTest {
  private static final long MS = 1_000_000L;
  private static final long US = 1_000L;
  private static final Config SMALL = new Config(100, 200, 1000, 100, 100_000, 50 * MS);
  private long now = 1_000 * MS;
  private final RateLimiter limiter = new RateLimiter(SMALL, () -> now);

  private Decision admit(String client, Kind kind) {
    return limiter.tryAdmit(client, kind);
  }

  /** Admits and completes at once, as a fast request would; returns how many were admitted. */
  private int admitAndRelease(String client, Kind kind, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts; i++) {
      if (admit(client, kind) instanceof Permit p) {
        p.release();
        admitted++;
      }
    }
    return admitted;
  }

  @Test
  void burstThenRefillAtTheConfiguredRate() {
    assertEquals(200, admitAndRelease("a", Kind.NEW_WORK, 300), "the burst");
    Rejection r = assertInstanceOf(Rejection.class, admit("a", Kind.NEW_WORK));
    assertEquals(Reason.CLIENT_RATE, r.reason());
    assertEquals(10 * MS, r.retryAfterNanos(), "one token at 100/s");

    now += 10 * MS - 1;
    assertInstanceOf(Rejection.class, admit("a", Kind.NEW_WORK));
    now += 1;
    assertEquals(1, admitAndRelease("a", Kind.NEW_WORK, 5));

    now += 1_000 * MS;
    assertEquals(100, admitAndRelease("a", Kind.NEW_WORK, 300), "one second refills 100");
    now += 60_000 * MS;
    assertEquals(200, admitAndRelease("a", Kind.NEW_WORK, 300), "never more than the burst");
  }

  @Test
  void retryAfterHintIsEnoughToBeAdmitted() {
    admitAndRelease("a", Kind.NEW_WORK, 200);
    for (int i = 0; i < 50; i++) {
      Rejection r = assertInstanceOf(Rejection.class, admit("a", Kind.NEW_WORK));
      now += r.retryAfterNanos();
      assertEquals(1, admitAndRelease("a", Kind.NEW_WORK, 1));
    }
  }

  @Test
  void oneClientsBurstDoesNotAffectAnother() {
    assertEquals(200, admitAndRelease("greedy", Kind.NEW_WORK, 10_000));
    assertEquals(200, admitAndRelease("polite", Kind.NEW_WORK, 200));
    assertEquals(0, admitAndRelease("greedy", Kind.NEW_WORK, 10));
  }

  @Test
  void inFlightCapRefusesWithoutSpendingTokens() {
    List<Permit> held = new ArrayList<>();
    for (int i = 0; i < 900; i++) {
      held.add((Permit) admit("c" + (i % 10), Kind.NEW_WORK));
    }
    Rejection r = assertInstanceOf(Rejection.class, admit("fresh", Kind.NEW_WORK));
    assertEquals(Reason.IN_FLIGHT, r.reason());
    assertEquals(SMALL.inFlightRetryAfterNanos(), r.retryAfterNanos());
    assertEquals(900, limiter.inFlight());

    held.get(0).release();
    held.get(0).release(); // idempotent
    assertEquals(899, limiter.inFlight());
    assertInstanceOf(Permit.class, admit("fresh", Kind.NEW_WORK));
  }

  @Test
  void globalCapHoldsForMaintenanceToo() {
    for (int i = 0; i < 900; i++) {
      assertInstanceOf(Permit.class, admit("acq" + (i % 9), Kind.NEW_WORK));
    }
    for (int i = 0; i < 100; i++) {
      assertInstanceOf(Permit.class, admit("ren" + (i % 2), Kind.MAINTAIN));
    }
    assertEquals(1000, limiter.inFlight());
    Rejection r = assertInstanceOf(Rejection.class, admit("ren9", Kind.MAINTAIN));
    assertEquals(Reason.IN_FLIGHT, r.reason());
  }

  @Test
  void renewAndReleaseAreNotStarvedByAnAcquireFlood() {
    // 100 clients flood acquires that never complete (stuck proposals): they fill the new-work
    // share of the cap, and every further acquire is refused.
    for (int round = 0; round < 12; round++) {
      for (int c = 0; c < 100; c++) {
        admit("flood" + c, Kind.NEW_WORK);
      }
      now += 5 * MS;
    }
    assertEquals(900, limiter.inFlight(), "new work is held to maxInFlight - reserved");
    assertInstanceOf(Rejection.class, admit("holder", Kind.NEW_WORK));

    // The flooders' own renewals, and another holder's, still get through.
    assertInstanceOf(Permit.class, admit("flood7", Kind.MAINTAIN));
    int admitted = 0;
    for (int i = 0; i < 99; i++) {
      if (admit("holder", Kind.MAINTAIN) instanceof Permit p) {
        p.release();
        admitted++;
      }
    }
    assertEquals(99, admitted);
  }

  @Test
  void aClientsAcquireBurstLeavesItsRenewBucketFull() {
    assertEquals(200, admitAndRelease("a", Kind.NEW_WORK, 1_000));
    assertEquals(200, admitAndRelease("a", Kind.MAINTAIN, 1_000));
    assertEquals(0, admitAndRelease("a", Kind.MAINTAIN, 1));
  }

  @Test
  void trackedClientsAreBounded() {
    RateLimiter small = new RateLimiter(new Config(100, 200, 1000, 100, 10, 50 * MS), () -> now);
    for (int i = 0; i < 10_000; i++) {
      Decision d = small.tryAdmit("client-" + i, Kind.NEW_WORK);
      ((Permit) d).release();
      assertTrue(small.trackedClients() <= 10);
      now += 1_000; // 1 us: nobody is idle long enough to be dropped for idleness
    }
    assertEquals(10, small.trackedClients());
  }

  @Test
  void idleClientsAreDroppedWithoutLosingAnything() {
    admitAndRelease("old", Kind.NEW_WORK, 200);
    now += 2_000 * MS; // a full refill (200 tokens at 100/s)
    admitAndRelease("new", Kind.NEW_WORK, 1);
    assertEquals(1, limiter.trackedClients(), "the idle client was dropped");
    assertEquals(200, admitAndRelease("old", Kind.NEW_WORK, 300), "and comes back full");
  }

  @Test
  void recentlyActiveClientsAreKept() {
    admitAndRelease("busy", Kind.NEW_WORK, 200);
    now += 1_000 * MS; // half a refill
    admitAndRelease("other", Kind.NEW_WORK, 1);
    assertEquals(2, limiter.trackedClients());
    assertEquals(100, admitAndRelease("busy", Kind.NEW_WORK, 300), "still rate limited");
  }

  @Test
  void theDefaultsNeverRefuseAServiceSharingOneClientAtTenThousandPairsASecond() {
    RateLimiter shipped = new RateLimiter(Config.DEFAULTS, () -> now);
    // One acquire and one release every 100 us for a minute, from one client id (or session).
    long refused = 0;
    for (int i = 0; i < 600_000; i++) {
      for (Kind kind : Kind.values()) {
        if (shipped.tryAdmit("service", kind) instanceof Permit p) {
          p.release();
        } else {
          refused++;
        }
      }
      now += 100 * US;
    }
    assertEquals(0, refused);
  }

  @Test
  void theDefaultsCutARunawayClientAfterItsBurstAndSpareOthers() {
    RateLimiter shipped = new RateLimiter(Config.DEFAULTS, () -> now);
    // A loop without backoff: one acquire every 2 us (500,000 a second) for 2 s.
    int admitted = 0;
    int refusedForRate = 0;
    int sent = 1_000_000;
    for (int i = 0; i < sent; i++) {
      Decision d = shipped.tryAdmit("runaway", Kind.NEW_WORK);
      if (d instanceof Permit p) {
        p.release();
        admitted++;
      } else if (((Rejection) d).reason() == Reason.CLIENT_RATE) {
        refusedForRate++;
      }
      now += 2 * US;
    }
    int allowed = Config.DEFAULTS.burst() + 2 * Config.DEFAULTS.ratePerSecond();
    assertTrue(admitted <= allowed + 1, admitted + " admitted, at most " + allowed);
    assertTrue(admitted >= allowed - 1, admitted + " admitted, at least " + allowed);
    assertEquals(sent - admitted, refusedForRate, "every other request was refused for the client's rate");
    assertInstanceOf(Permit.class, shipped.tryAdmit("runaway", Kind.MAINTAIN), "its releases still go through");
    assertInstanceOf(Permit.class, shipped.tryAdmit("another", Kind.NEW_WORK), "other clients are not affected");
  }

  @Test
  void theDefaultsCapRequestsInFlightPerNode() {
    RateLimiter shipped = new RateLimiter(Config.DEFAULTS, () -> now);
    int newWork = Config.DEFAULTS.maxInFlight() - Config.DEFAULTS.reservedInFlight();
    for (int i = 0; i < newWork; i++) {
      assertInstanceOf(Permit.class, shipped.tryAdmit("c" + (i % 64), Kind.NEW_WORK));
    }
    Rejection r = assertInstanceOf(Rejection.class, shipped.tryAdmit("c0", Kind.NEW_WORK));
    assertEquals(Reason.IN_FLIGHT, r.reason());
    assertInstanceOf(Permit.class, shipped.tryAdmit("c0", Kind.MAINTAIN), "maintenance keeps its reserve");
  }

  @Test
  void theNodeConfigDefaultsAreTheLimiterDefaults() {
    io.raftlock.config.NodeConfig.ClientApi api = io.raftlock.config.NodeConfig.ClientApi.DEFAULTS;
    assertEquals(Config.DEFAULTS.ratePerSecond(), api.rateLimitPerSecond());
    assertEquals(Config.DEFAULTS.burst(), api.rateLimitBurst());
    assertEquals(Config.DEFAULTS.maxInFlight(), api.maxInFlightRequests());
  }

  @Test
  void configIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new Config(0, 200, 1000, 100, 10, 1));
    assertThrows(IllegalArgumentException.class, () -> new Config(100, 0, 1000, 100, 10, 1));
    assertThrows(IllegalArgumentException.class, () -> new Config(100, 200, 1000, 1000, 10, 1));
    assertThrows(IllegalArgumentException.class, () -> new Config(100, 200, 1000, -1, 10, 1));
    assertThrows(IllegalArgumentException.class, () -> new Config(100, 200, 1000, 1, 0, 1));
  }
}
