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

/**
 * The checker on runs of session clients: a session that expires while its process is stopped,
 * its lock granted to the next session and the stopped holder's late write refused by fencing;
 * and broken variants of that run, each of which must be caught.
 */
class SessionCheckerTest {
  /** History time (ns) past session 2's deadline: what follows its expiry comes after it. */
  private static final long L = CheckerTest.LATER;

  @TempDir Path dir;

  /**
   * c1 opens session 2 and takes L1 (token 3), c2 opens session 4 and is refused; c1 stops, its
   * session expires at index 8 and c2 takes L1 (token 9), writes, releases and closes; c1 wakes,
   * its late write with token 3 is refused and its keep-alive answers SESSION_NOT_FOUND.
   */
  private RunDirBuilder expiryRun() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.noop();
    run.openSession("c1", 0); // 2: session 2, expires at 2 s
    run.acquireIn(2, "L1", "c1", 10); // 3
    run.openSession("c2", 20); // 4: session 4
    run.acquireIn(4, "L1", "c2", 30); // 5: LOCK_HELD
    run.keepAlive(2, 1_000); // 6: session 2 to 3 s
    run.keepAlive(4, 1_500); // 7: session 4 to 3.5 s
    run.expire(3_000); // 8: session 2 expires, L1 released
    run.acquireIn(4, "L1", "c2", 3_010); // 9
    run.releaseIn(4, "L1", "c2", 9, 3_020); // 10
    run.closeSession(4, 3_030); // 11
    return run.fault("heal", "end", null, 50)
        .inSession("c1", 2, "ok", "open", "", 100, 110, 0, null)
        .inSession("c1", 2, "ok", "acquire", "L1", 120, 130, 3, null)
        .inSession("c1", 2, "ok", "write", "L1", 140, 150, 3, null).write("L1", 3, "c1", true, 3, 145)
        .inSession("c1", 2, "ok", "keepalive", "", 200, 210, 0, null)
        .inSession("c2", 4, "ok", "open", "", 125, 135, 0, null)
        .inSession("c2", 4, "fail", "acquire", "L1", 300, 310, 0, "LOCK_HELD")
        .inSession("c2", 4, "ok", "keepalive", "", 320, 330, 0, null)
        .inSession("c2", 4, "ok", "acquire", "L1", L + 600, L + 700, 9, null)
        .inSession("c2", 4, "ok", "write", "L1", L + 710, L + 720, 9, null)
        .write("L1", 9, "c2", true, 9, L + 715)
        .inSession("c2", 4, "ok", "release", "L1", L + 730, L + 740, 9, null)
        .inSession("c2", 4, "ok", "close", "", L + 750, L + 760, 0, null)
        .inSession("c1", 2, "fail", "write", "L1", L + 900, L + 910, 3, "STALE_TOKEN")
        .write("L1", 3, "c1", false, 9, L + 905)
        .inSession("c1", 2, "fail", "keepalive", "", L + 920, L + 930, 0, "SESSION_NOT_FOUND");
  }

  @Test
  void aRunWithASessionExpiryPasses() {
    CheckReport report = Checker.check(expiryRun().build(3));

    assertEquals(List.of(), report.violations(), report::toString);
    Map<String, Long> counts = report.counts();
    assertEquals(1L, counts.get("model sessions expired"));
    assertEquals(1L, counts.get("model sessions closed"));
    assertEquals(1L, counts.get("model holdings ended by session expiry"));
    assertEquals(0L, counts.get("model expiries"), "no lease expired: the session did");
    assertEquals(1L, counts.get("stale writes caught by fencing, holding ended by session-expire"));
    assertEquals(1L, counts.get("stale writes caught by fencing (rejected)"));
    assertTrue(report.summary().contains("check SESSIONS"), report::summary);
  }

  /** Session B (c2) is told it got L1 at index 5, where the log has session A still holding. */
  @Test
  void aGrantToSessionBWhileSessionAStillHoldsIsFlagged() {
    Path run = expiryRun().inSession("c2", 4, "ok", "acquire", "L1", L + 1_000, L + 1_010, 5, null).build(3);

    List<Violation> model = of(Checker.check(run), Check.MODEL);
    assertEquals(1, model.size(), model::toString);
    assertTrue(model.get(0).message().contains("implies two holders"), model.get(0).message());
  }

  /** Two sessions of one process (a restart) are two owners: the name does not make them one. */
  @Test
  void aGrantToANewSessionOfTheSameProcessWhileTheOldOneHoldsIsFlagged() {
    RunDirBuilder b = new RunDirBuilder(dir);
    b.openSession("c1", 0); // 1: the process before its kill -9
    b.acquireIn(1, "L1", "c1", 10); // 2
    b.openSession("c1", 20); // 3: the restarted process
    b.acquireIn(3, "L1", "c1", 30); // 4: LOCK_HELD, session 1 holds until it expires
    b.inSession("c1", 1, "ok", "open", "", 100, 110, 0, null)
        .inSession("c1", 1, "ok", "acquire", "L1", 120, 130, 2, null)
        .inSession("c1", 3, "ok", "open", "", 140, 150, 0, null)
        .inSession("c1", 3, "ok", "acquire", "L1", 160, 170, 4, null);

    List<Violation> model = of(Checker.check(b.build(3)), Check.MODEL);
    assertEquals(1, model.size(), model::toString);
    assertTrue(model.get(0).message().contains("(session 1)"), model.get(0).message());
  }

  /** After its session's expiry entry, c1's lock is gone: a renew or a read saying held is wrong. */
  @Test
  void aLockStillCountedHeldAfterItsSessionExpiredIsFlagged() {
    Path run = expiryRun()
        .inSession("c1", 2, "ok", "renew", "L1", L + 940, L + 950, 3, null)
        .read("c3", "L1", L + 1_000, L + 1_010, "c1", 3)
        .build(3);
    CheckReport report = Checker.check(run);

    List<Violation> lost = of(report, Check.LOST_ACK);
    assertEquals(1, lost.size(), lost::toString);
    assertTrue(lost.get(0).message().contains("ended by session-expire at index 8"),
        lost.get(0).message());
    List<Violation> reads = of(report, Check.LINEARIZABILITY);
    assertEquals(1, reads.size(), reads::toString);
    assertTrue(reads.get(0).message().contains("not in force"), reads.get(0).message());
  }

  @Test
  void sessionAnswersThatContradictTheLogAreFlagged() {
    RunDirBuilder b = expiryRun();
    long live = b.openSession("c4", 3_040); // 12: never ends
    Path run = b
        .inSession("c4", live, "fail", "keepalive", "", L + 1_100, L + 1_110, 0, "SESSION_NOT_FOUND")
        .inSession("c1", 2, "ok", "close", "", L + 940, L + 950, 0, null) // it expired, never closed
        .inSession("c3", 6, "ok", "open", "", L + 960, L + 970, 0, null) // index 6 is a keep-alive
        .inSession("c1", 4, "ok", "acquire", "L1", L + 980, L + 990, 3, null) // token 3 is session 2's
        .build(3);

    List<String> sessions = of(Checker.check(run), Check.SESSIONS).stream()
        .map(Violation::message).toList();
    assertEquals(4, sessions.size(), sessions::toString);
    assertTrue(sessions.stream().anyMatch(m -> m.contains("refused with SESSION_NOT_FOUND")
        && m.contains("session live")), sessions::toString);
    assertTrue(sessions.stream().anyMatch(m -> m.contains("close of session 2")
        && m.contains("ended by session-expire")), sessions::toString);
    assertTrue(sessions.stream().anyMatch(m -> m.contains("open of session 6")), sessions::toString);
    assertTrue(sessions.stream().anyMatch(m -> m.contains("in session 4, but the log gave that "
        + "holding to session 2")), sessions::toString);
  }

  /**
   * The same run with c2 taking L1 (token 9) while c1's session still had a second to live: its
   * last acknowledged keep-alive was invoked at 200 ns, so its deadline is 200 ns + 1.9 s.
   */
  @Test
  void aSessionExpiredBeforeItsHoldersLocalDeadlineIsFlagged() {
    RunDirBuilder run = new RunDirBuilder(dir);
    run.openSession("c1", 0); // 1
    run.acquireIn(1, "L1", "c1", 10); // 2
    run.openSession("c2", 20); // 3
    run.keepAlive(1, 1_000); // 4
    run.keepAlive(3, 1_500); // 5
    run.expire(3_000); // 6: session 1 expires
    run.acquireIn(3, "L1", "c2", 3_010); // 7
    run.inSession("c1", 1, "ok", "open", "", 100, 110, 0, null)
        .inSession("c1", 1, "ok", "acquire", "L1", 120, 130, 2, null)
        .inSession("c2", 3, "ok", "open", "", 125, 135, 0, null)
        .inSession("c1", 1, "ok", "keepalive", "", 1_000_000_000L, 1_000_000_010L, 0, null)
        .inSession("c2", 3, "ok", "acquire", "L1", 2_000_000_000L, 2_100_000_000L, 7, null);

    List<Violation> promise = of(Checker.check(run.build(3)), Check.LEASE_PROMISE);
    assertEquals(1, promise.size(), promise::toString);
    assertTrue(promise.get(0).message().startsWith("session 1 of c1 expired at index 6, 800 ms"),
        promise.get(0).message());
  }

  @Test
  void aSessionExpiryAfterItsHoldersLocalDeadlinePasses() {
    CheckReport report = Checker.check(expiryRun().build(3));

    assertEquals(List.of(), report.violations(Check.LEASE_PROMISE), report::toString);
    assertEquals(1L, report.counts()
        .get("lease promise: expiries checked against the holder's deadline"));
  }

  private static List<Violation> of(CheckReport report, Check check) {
    return report.violations().stream().filter(v -> v.check() == check).toList();
  }
}
