package io.raftlock.nemesis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.nemesis.check.CheckReport.Check;
import io.raftlock.nemesis.check.CheckReport.Violation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckerTest {
  /** History time (ns) past every lease of the runs below: expiries come after it. */
  static final long LATER = 3_000_000_000L;

  @TempDir Path dir;

  /**
   * A healthy run: a waiting acquire promoted on release, a renew, reads of held and free
   * locks, an expiry, an info acquire that took effect, a killed client's dangling invoke, a
   * failed acquire, a stale write rejected by the resource, a final heal.
   */
  private RunDirBuilder healthyRun() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0); // 2
    run.acquireWait("L1", "c2", 1); // 3: queued
    run.renew("L1", "c1", 2, 2); // 4
    run.release("L1", "c1", 2, 3); // 5: c2 promoted, token 5
    run.acquire("L2", "c3", 4); // 6: c3's info acquire took effect
    run.acquire("L2", "c4", 5); // 7: LOCK_HELD, c4 was killed before the answer
    run.expire(10_000); // 8: both leases end
    run.acquire("L1", "c1", 10_001); // 9
    run.acquire("L1", "c5", 10_002); // 10: LOCK_HELD
    return run
        .fault("kill", "start", "node-2", 10).fault("kill", "end", "node-2", 20)
        .fault("heal", "end", null, 50)
        .ok("c1", "acquire", "L1", 100, 110, 2)
        .ok("c1", "write", "L1", 120, 130, 2).write("L1", 2, "c1", true, 2, 125)
        .ok("c1", "renew", "L1", 140, 150, 2)
        .ok("c2", "acquire", "L1", 105, 400, 5)
        .read("c3", "L1", 160, 170, "c1", 2)
        .ok("c1", "release", "L1", 300, 310, 2)
        .ok("c2", "write", "L1", 410, 420, 5).write("L1", 5, "c2", true, 5, 415)
        .info("c3", "acquire", "L2", 500, 600, 0)
        .dangling("c4", "acquire", "L2", 650, 0)
        .read("c5", "L1", 700, 710, "c2", 5)
        .read("c5", "L1", 800, 810, null, 0)
        .ok("c1", "acquire", "L1", LATER + 1000, LATER + 1010, 9)
        .fail("c1", "write", "L1", LATER + 1020, LATER + 1030, 2, "STALE")
        .write("L1", 2, "c1", false, 5, LATER + 1025)
        .read("c5", "L2", LATER + 1100, LATER + 1110, null, 0)
        .fail("c5", "acquire", "L1", LATER + 1200, LATER + 1210, 0, "LOCK_HELD");
  }

  @Test
  void healthyRunPasses() {
    CheckReport report = Checker.check(healthyRun().build(3));

    assertEquals(List.of(), report.violations(), report::toString);
    assertTrue(report.ok());
    Map<String, Long> counts = report.counts();
    assertEquals(4L, counts.get("model grants"));
    assertEquals(2L, counts.get("model expiries"));
    assertEquals(4L, counts.get("reads checked"));
    assertEquals(1L, counts.get("stale writes caught by fencing (rejected)"));
    assertEquals(1L, counts.get("invokes without completion (killed clients)"));
    assertEquals(3L, counts.get("ops acquire ok"));
    assertEquals(1L, counts.get("faults kill"));
    assertEquals(10L, counts.get("log entries (longest dump)"));
    assertEquals(20L, counts.get("log entries compared across nodes"));
    assertTrue(report.summary().contains("check LINEARIZABILITY"), report::summary);
  }

  @Test
  void mainExitsZeroOnAHealthyRunOneOnViolationsTwoOnBadUsage() {
    Path good = healthyRun().build(3);
    assertEquals(0, Checker.run(new String[] {good.toString()}, System.out));

    new RunDirBuilder(dir).ok("c9", "acquire", "L9", 5_000, 5_010, 99).build();
    assertEquals(1, Checker.run(new String[] {dir.toString()}, System.out));
    assertEquals(2, Checker.run(new String[] {dir.resolve("missing").toString()}, System.out));
    assertEquals(2, Checker.run(new String[0], System.out));
  }

  @Test
  void duplicateTokenIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.ok("c1", "acquire", "L1", 100, 110, 2).ok("c2", "acquire", "L1", 200, 210, 2);

    Violation v = only(Checker.check(run.build(3)), Check.TOKENS);

    assertContains(v.message(), "token 2 acknowledged to two clients, c1 and c2");
    assertEquals(4, v.lines().size());
    assertContains(v.lines().get(3), "\"process\":\"c2\"");
  }

  @Test
  void tokenOutOfRealTimeOrderIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.noop();
    run.acquire("L1", "c2", 0); // 3
    run.release("L1", "c2", 3, 1); // 4
    run.acquire("L1", "c1", 2); // 5
    run.ok("c1", "acquire", "L1", 100, 110, 5).ok("c2", "acquire", "L1", 200, 210, 3);

    Violation v = only(Checker.check(run.build(3)), Check.TOKENS);

    assertContains(v.message(), "token 3 acknowledged to c2 is below token 5");
  }

  @Test
  void twoHoldersImpliedByClientAcksAreCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0); // 2
    run.acquire("L1", "c2", 1); // 3: LOCK_HELD in the log, yet c2 was told it holds L1
    run.ok("c1", "acquire", "L1", 100, 110, 2).ok("c2", "acquire", "L1", 120, 130, 3);

    Violation v = only(Checker.check(run.build(3)), Check.MODEL);

    assertContains(v.message(), "implies two holders");
    assertContains(v.message(), "held by c1 with token 2");
    assertContains(v.lines().get(1), "\"token\":3");
  }

  @Test
  void acknowledgedAcquireAbsentFromTheLogIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.ok("c1", "acquire", "L1", 100, 110, 2).ok("c2", "acquire", "L2", 200, 210, 7);

    Violation v = only(Checker.check(run.build(3)), Check.LOST_ACK);

    assertContains(v.message(), "token 7");
    assertContains(v.message(), "log ends at 2");
  }

  @Test
  void acknowledgedReleaseAbsentFromTheLogIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.ok("c1", "acquire", "L1", 100, 110, 2).ok("c1", "release", "L1", 200, 210, 2);

    Violation v = only(Checker.check(run.build(3)), Check.LOST_ACK);

    assertContains(v.message(), "release of L1 token 2");
    assertContains(v.message(), "still in force");
  }

  @Test
  void acknowledgedRenewOfAnExpiredHoldingIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.expire(5_000); // 3: the lease (2 s) ran out
    run.renew("L1", "c1", 2, 5_001); // 4: LOCK_NOT_HELD
    run.ok("c1", "acquire", "L1", 100, 110, 2).ok("c1", "renew", "L1", 200, 210, 2);

    Violation v = only(Checker.check(run.build(3)), Check.LOST_ACK);

    assertContains(v.message(), "renew of L1 token 2");
    assertContains(v.message(), "ended by expire at index 3");
  }

  @Test
  void divergingCommittedLogsAreCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.acquire("L2", "c2", 1); // index 3 on node-1
    RunDirBuilder other = new RunDirBuilder(dir);
    other.noop();
    other.acquire("L1", "c1", 0);
    other.acquire("L3", "c3", 1); // index 3 on node-2: a different command
    run.dump("node-1", run.logLines(), "00000000000000aa")
        .dump("node-2", other.logLines(), "00000000000000aa");

    Violation v = only(Checker.check(run.build()), Check.LOG_AGREEMENT);

    assertContains(v.message(), "committed entry 3 differs");
    assertEquals(2, v.lines().size());
  }

  @Test
  void staleWriteAcceptedIsCaughtAndRejectedOnesAreCounted() {
    RunDirBuilder run = new RunDirBuilder(dir)
        .write("L1", 5, "c2", true, 5, 100)
        .write("L1", 3, "c1", false, 5, 110)
        .write("L2", 6, "c3", true, 6, 115)
        .write("L1", 3, "c1", true, 5, 120);
    run.noop();
    run.noop();
    run.acquire("L1", "c1", 0); // 3
    run.release("L1", "c1", 3, 1); // 4
    run.acquire("L1", "c2", 2); // 5
    run.acquire("L2", "c3", 3); // 6

    CheckReport report = Checker.check(run.build(3));

    Violation v = only(report, Check.FENCING);
    assertContains(v.message(), "token 3 by c1 accepted after token 5");
    assertEquals(2, v.lines().size());
    assertEquals(1L, report.counts().get("stale writes caught by fencing (rejected)"));
  }

  @Test
  void writeAcceptedWithATokenTheWriterWasNeverGrantedIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir)
        .write("L1", 2, "c1", true, 2, 100)
        .write("L1", 3, "c2", true, 3, 110);
    run.noop();
    run.acquire("L1", "c1", 0);

    Violation v = only(Checker.check(run.build(3)), Check.FENCING);

    assertContains(v.message(), "token 3, which the log never granted to c2");
  }

  @Test
  void stateHashMismatchAtTheSameAppliedIndexIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.dump("node-1", run.logLines(), "00000000000000aa")
        .dump("node-2", run.logLines(), "00000000000000aa")
        .dump("node-3", run.logLines(), "00000000000000bb");

    Violation v = only(Checker.check(run.build()), Check.CONVERGENCE);

    assertContains(v.message(), "node-3 has 00000000000000bb");
  }

  @Test
  void readSayingFreeDuringACertainHoldingIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.release("L1", "c1", 2, 1);
    run.ok("c1", "acquire", "L1", 100, 110, 2)
        .read("c2", "L1", 200, 210, null, 0)
        .ok("c1", "release", "L1", 300, 310, 2);

    CheckReport report = Checker.check(run.build(3));

    assertEquals(1, report.violations().size(), report::toString);
    Violation v = only(report, Check.LINEARIZABILITY);
    assertContains(v.message(), "said L1 was free");
    assertEquals(6, v.lines().size(), "the read, the acquire and the release");
  }

  @Test
  void readsConcurrentWithTheAcquireOrTheReleaseMaySeeEitherState() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.release("L1", "c1", 2, 1);
    run.ok("c1", "acquire", "L1", 100, 110, 2)
        .read("c2", "L1", 105, 115, null, 0)
        .read("c3", "L1", 95, 105, "c1", 2)
        .ok("c1", "release", "L1", 300, 310, 2)
        .read("c2", "L1", 305, 306, "c1", 2)
        .read("c3", "L1", 309, 320, null, 0);

    CheckReport report = Checker.check(run.build(3));

    assertEquals(List.of(), report.violations(), report::toString);
  }

  @Test
  void readOfAHoldingAfterItCertainlyEndedIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.release("L1", "c1", 2, 1);
    run.ok("c1", "acquire", "L1", 100, 110, 2)
        .ok("c1", "release", "L1", 300, 310, 2)
        .read("c2", "L1", 400, 410, "c1", 2)
        .read("c2", "L1", 500, 510, "c7", 2);

    List<Violation> vs = Checker.check(run.build(3)).violations(Check.LINEARIZABILITY);

    assertEquals(2, vs.size(), vs::toString);
    assertContains(vs.get(0).message(), "not in force at any instant of the read");
    assertContains(vs.get(1).message(), "a holding the log never granted");
  }

  @Test
  void acknowledgementsContradictingTheLogOrderAreCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.noop();
    run.acquire("L2", "c2", 0); // 3
    run.noop();
    run.acquire("L1", "c1", 1); // 5
    // c1 learnt of entry 5 at t=110; c2 only asked at t=200, yet its grant is entry 3.
    run.ok("c1", "acquire", "L1", 100, 110, 5).ok("c2", "acquire", "L2", 200, 210, 3);

    CheckReport report = Checker.check(run.build(3));

    assertEquals(1, report.violations().size(), report::toString);
    assertContains(only(report, Check.LINEARIZABILITY).message(), "precedes entry 5");
  }

  @Test
  void failedReleaseThatTookEffectIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.release("L1", "c1", 2, 1);
    run.ok("c1", "acquire", "L1", 100, 110, 2)
        .fail("c1", "release", "L1", 200, 210, 2, "NOT_LOCK_OWNER");

    Violation v = only(Checker.check(run.build(3)), Check.FAIL_APPLIED);

    assertContains(v.message(), "released at index 3");
  }

  @Test
  void failedAcquireThatWasGrantedIsCaught() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c2", 0);
    run.fail("c2", "acquire", "L1", 100, 110, 0, "LOCK_HELD");

    Violation v = only(Checker.check(run.build(3)), Check.FAIL_APPLIED);

    assertContains(v.message(), "one of its failed acquires took effect");
    assertEquals(2, v.lines().size());
  }

  @Test
  void grantAfterAnInfoAcquireOrAKilledInvokeIsNotAViolation() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c2", 0);
    run.acquire("L2", "c3", 1);
    run.fail("c2", "acquire", "L1", 50, 60, 0, "LOCK_HELD")
        .info("c2", "acquire", "L1", 100, 110, 0)
        .dangling("c3", "acquire", "L2", 100, 0);

    CheckReport report = Checker.check(run.build(3));

    assertEquals(List.of(), report.violations(), report::toString);
  }

  @Test
  void noSuccessfulAcquireWithinTheLivenessWindowAfterTheFinalHealIsCaught() {
    long s = 1_000_000_000L;
    RunDirBuilder run = new RunDirBuilder(dir)
        .fault("partition", "start", "node-1", 1 * s).fault("partition", "end", "node-1", 2 * s)
        .fault("heal", "end", null, 3 * s)
        .fail("c1", "acquire", "L1", 4 * s, 5 * s, 0, "UNAVAILABLE")
        .info("c1", "acquire", "L1", 6 * s, 10 * s, 0)
        .read("c2", "L1", 40 * s, 41 * s, null, 0);
    run.noop();

    Violation v = only(Checker.check(run.build(3)), Check.LIVENESS);

    assertContains(v.message(), "within 15 s of the final heal");
  }

  @Test
  void livenessIsUndecidedWhenTheHistoriesEndTooSoon() {
    long s = 1_000_000_000L;
    RunDirBuilder run = new RunDirBuilder(dir)
        .fault("heal", "end", null, 3 * s)
        .fail("c1", "acquire", "L1", 4 * s, 5 * s, 0, "UNAVAILABLE");
    run.noop();

    CheckReport report = Checker.check(run.build(3));

    assertEquals(List.of(), report.violations(), report::toString);
    assertTrue(report.notes().stream().anyMatch(n -> n.startsWith("liveness undecided")),
        report::toString);
  }

  @Test
  void lineCutByAKillIsToleratedButAMalformedLineElsewhereIsNot() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.acquire("L1", "c1", 0);
    run.ok("c1", "acquire", "L1", 100, 110, 2).raw("c1", "{\"process\":\"c1\",\"ty");
    run.raw("c2", "not json").ok("c2", "read", "L2", 100, 110, 0);

    CheckReport report = Checker.check(run.build(3));

    assertTrue(report.notes().stream().anyMatch(n -> n.contains("history-c1.jsonl:3")),
        report::toString);
    assertContains(only(report, Check.INPUT).message(), "history-c2.jsonl:1");
  }

  @Test
  void missingDumpsAreReportedNotSkipped() {
    new RunDirBuilder(dir).ok("c1", "acquire", "L1", 100, 110, 2).build();

    CheckReport report = Checker.check(dir);

    assertContains(only(report, Check.INPUT).message(), "no dump-*.jsonl");
  }

  /**
   * c1 takes L1 with a 2 s lease (invoked at 100 ns: local deadline 100 ns + 2 s - 100 ms); the
   * lease expires at index 2 and c2 takes L1 with token 3, acknowledged at {@code c2ReturnT}.
   */
  private Path expiryThenTakeover(long c2InvokeT, long c2ReturnT) {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.acquire("L1", "c1", 0); // 1
    run.expire(2_000); // 2
    run.acquire("L1", "c2", 2_001); // 3
    return run.ok("c1", "acquire", "L1", 100, 110, 1)
        .ok("c2", "acquire", "L1", c2InvokeT, c2ReturnT, 3).build(3);
  }

  @Test
  void aLockGrantedToAnotherBeforeTheHoldersLocalDeadlineIsFlagged() {
    CheckReport report = Checker.check(expiryThenTakeover(1_000_000_000L, 1_500_000_000L));

    assertContains(only(report, Check.LEASE_PROMISE).message(),
        "L1 token 1 of c1 expired at index 2, 400 ms or more before the holder's local deadline");
  }

  @Test
  void aLockGrantedToAnotherAfterTheHoldersLocalDeadlinePasses() {
    CheckReport report = Checker.check(expiryThenTakeover(1_800_000_000L, 1_900_000_101L));

    assertEquals(List.of(), report.violations(Check.LEASE_PROMISE), report::toString);
    assertEquals(1L, report.counts()
        .get("lease promise: expiries checked against the holder's deadline"));
    assertEquals(0L, report.counts()
        .get("lease promise: least slack ms (expiry bound - holder's deadline)"));
  }

  /** An acknowledged renew restarts the deadline from its invoke (before its first send). */
  @Test
  void aRenewMovesTheDeadline() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.acquire("L1", "c1", 0); // 1
    run.renew("L1", "c1", 1, 1_000); // 2
    run.expire(3_000); // 3
    run.acquire("L1", "c2", 3_001); // 4
    run.ok("c1", "acquire", "L1", 100, 110, 1)
        .ok("c1", "renew", "L1", 1_000_000_000L, 1_100_000_000L, 1)
        .ok("c2", "acquire", "L1", 2_500_000_000L, 2_600_000_000L, 4);

    CheckReport report = Checker.check(run.build(3));

    assertContains(only(report, Check.LEASE_PROMISE).message(), "300 ms or more before");
  }

  private static Violation only(CheckReport report, Check check) {
    List<Violation> vs = report.violations(check);
    assertEquals(1, vs.size(), report::toString);
    return vs.get(0);
  }

  private static void assertContains(String text, String part) {
    assertTrue(text.contains(part), () -> "expected \"" + part + "\" in: " + text);
  }
}
