package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Sessions: a server-issued owner of holds, waits and request ids, kept alive by one lease;
 * ending it (close or expiry) releases everything it owns in one entry.
 */
class SessionTest {
  private final LockStateMachine sm = new LockStateMachine();

  private static LockCommand.OpenSession open(String name, long ttlMs, long timeMs) {
    return new LockCommand.OpenSession(name, ttlMs, null, timeMs);
  }

  private static LockCommand.Acquire acquire(long sid, String lock, String label, long timeMs) {
    return new LockCommand.Acquire(lock, label, 0, false, 0, 0, null, "", timeMs, sid);
  }

  private static LockCommand.Acquire acquireWait(long sid, String lock, long timeMs) {
    return new LockCommand.Acquire(lock, "", 0, true, 60_000, 0, null, "", timeMs, sid);
  }

  private static LockCommand.Release release(long sid, String lock, long token, long timeMs) {
    return new LockCommand.Release(lock, "", token, "", timeMs, sid);
  }

  private static LockReply.Error error(ApplyResult r) {
    return assertInstanceOf(LockReply.Error.class, r.reply());
  }

  @Test
  void openSessionIssuesTheLogIndexAsIdWithItsTtl() {
    var md = new TreeMap<>(Map.of("host", "h1"));
    ApplyResult r = sm.apply(5, new LockCommand.OpenSession("worker", 10_000, md, T0));
    assertEquals(new LockReply.SessionOpened(5, 10_000, T0 + 10_000), r.reply());
    assertTrue(r.events().isEmpty());
    assertEquals(new SessionInfo(5, "worker", 10_000, T0 + 10_000, 0, 0, 0, md),
        sm.sessionInfo(5).orElseThrow());
    assertEquals(1, sm.stats().sessions());
    assertEquals(T0 + 10_000, sm.nextDeadlineMs());
    // A second session with the same name is another session, with its own id.
    assertEquals(new LockReply.SessionOpened(6, 10_000, T0 + 10_000),
        sm.apply(6, open("worker", 10_000, T0)).reply());
    assertEquals(List.of(5L, 6L),
        sm.listSessions(0, 0).sessions().stream().map(SessionInfo::sessionId).toList());
    assertEquals(new SessionPage(List.of(sm.sessionInfo(6).orElseThrow()), 2, false),
        sm.listSessions(1, 1));
  }

  @Test
  void badSessionCommandsAreRefusedAndChangeNothing() {
    sm.apply(1, open("w", 10_000, T0));
    long hash = sm.stateHash();
    assertEquals(ErrorCode.INVALID_TTL, error(sm.apply(2, open("w", 999, T0 + 1))).code());
    assertEquals(ErrorCode.INVALID_TTL, error(sm.apply(3, open("w", 600_001, T0 + 1))).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT, error(sm.apply(4, open("", 10_000, T0 + 1))).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        error(sm.apply(5, new LockCommand.KeepAlive(0, T0 + 1))).code());
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        error(sm.apply(6, acquire(-1, "a", "w", T0 + 1))).code());
    LockReply.Error missing = error(sm.apply(7, acquire(42, "a", "w", T0 + 1)));
    assertEquals(ErrorCode.SESSION_NOT_FOUND, missing.code());
    assertTrue(missing.message().contains("42"), missing.message());
    assertEquals(ErrorCode.SESSION_NOT_FOUND,
        error(sm.apply(8, new LockCommand.KeepAlive(42, T0 + 1))).code());
    assertEquals(ErrorCode.SESSION_NOT_FOUND,
        error(sm.apply(9, new LockCommand.CloseSession(42, T0 + 1))).code());
    assertEquals(ErrorCode.SESSION_NOT_FOUND,
        error(sm.apply(10, new LockCommand.CancelWait("a", "", "r", T0 + 1, 42))).code());
    assertEquals(hash, sm.stateHash()); // not even time moved
  }

  @Test
  void aSessionOwnedLockLivesOnTheSessionsLease() {
    sm.apply(1, open("worker", 10_000, T0));
    ApplyResult g = sm.apply(2, acquire(1, "a", "", T0 + 1_000));
    assertEquals(new LockReply.Granted(2, T0 + 1_000, T0 + 10_000), g.reply());
    assertEquals(List.of(new LockEvent.Granted("a", "worker", 2, 2, 1)), g.events());
    LockInfo info = sm.lockInfo("a").orElseThrow();
    assertEquals("worker", info.ownerId()); // the session's name labels an empty client id
    assertEquals(1, info.sessionId());
    assertEquals(T0 + 10_000, info.expiresAtMs());
    assertEquals(new LockReply.Expired(0, 0), sm.apply(3, new LockCommand.Expire(T0 + 9_999))
        .reply());
    assertEquals(new LockReply.KeptAlive(T0 + 22_000),
        sm.apply(4, new LockCommand.KeepAlive(1, T0 + 12_000)).reply());
    assertEquals(T0 + 22_000, sm.lockInfo("a").orElseThrow().expiresAtMs());
    assertEquals(T0 + 22_000, sm.nextDeadlineMs());
    // Renew of a session-owned lock keeps the whole session alive; its TTL (0 here) is ignored.
    sm.apply(5, acquire(1, "b", "label-b", T0 + 12_000));
    ApplyResult renewed = sm.apply(6, new LockCommand.Renew("a", "", 2, 0, "", T0 + 15_000, 1));
    assertEquals(new LockReply.Renewed(T0 + 25_000), renewed.reply());
    assertEquals(T0 + 25_000, sm.lockInfo("b").orElseThrow().expiresAtMs());
    assertEquals("label-b", sm.lockInfo("b").orElseThrow().ownerId());
  }

  @Test
  void twoSessionsWithTheSameNameAreTwoOwners() {
    sm.apply(1, open("worker-7", 10_000, T0));
    sm.apply(2, open("worker-7", 10_000, T0));
    sm.apply(3, acquire(1, "a", "", T0));
    assertEquals(ErrorCode.LOCK_HELD, error(sm.apply(4, acquire(2, "a", "", T0))).code());
    assertEquals(ErrorCode.NOT_LOCK_OWNER, error(sm.apply(5, release(2, "a", 3, T0))).code());
    // Nor is a client without session that uses the same name.
    assertEquals(ErrorCode.LOCK_HELD,
        error(sm.apply(6, Cmds.acquire("a", "worker-7", 10_000, T0))).code());
    assertEquals(ErrorCode.NOT_LOCK_OWNER,
        error(sm.apply(7, Cmds.release("a", "worker-7", 3, T0))).code());
    assertEquals(1, sm.lockInfo("a").orElseThrow().sessionId());
  }

  @Test
  void reacquiringAHeldLockSaysAlreadyHeldAndIsNotReentrant() {
    sm.apply(1, open("w", 10_000, T0));
    assertEquals(new LockReply.Granted(2, T0, T0 + 10_000, false),
        sm.apply(2, acquire(1, "a", "", T0)).reply());
    ApplyResult again = sm.apply(3, acquire(1, "a", "other-label", T0 + 1_000));
    assertEquals(new LockReply.Granted(2, T0, T0 + 10_000, true), again.reply());
    assertTrue(again.events().isEmpty());
    // One release ends the holding: it was not counted twice.
    assertEquals(new LockReply.Released(false), sm.apply(4, release(1, "a", 2, T0)).reply());
    assertTrue(sm.lockInfo("a").isEmpty());
  }

  @Test
  void expiryEndsEverythingTheSessionOwnsInOneEntryAndPromotesWaiters() {
    sm.apply(1, open("s", 5_000, T0));
    sm.apply(2, acquire(1, "b", "", T0));
    sm.apply(3, acquire(1, "a", "", T0));
    sm.apply(4, Cmds.acquire("c", "x", 60_000, T0));
    sm.apply(5, acquireWait(1, "c", T0));                       // the session waits for c
    sm.apply(6, Cmds.acquireWait("a", "y", 20_000, 60_000, 0, T0)); // y waits for a
    assertEquals(T0 + 5_000, sm.nextDeadlineMs());
    assertEquals(new SessionInfo(1, "s", 5_000, T0 + 5_000, 2, 1, 0, new TreeMap<>()),
        sm.sessionInfo(1).orElseThrow());
    ApplyResult r = sm.apply(7, new LockCommand.Expire(T0 + 5_000));
    assertEquals(new LockReply.Expired(2, 0, 1), r.reply());
    assertEquals(List.of(
        new LockEvent.WaitCancelled("c", "s", 0, 7, 1),
        new LockEvent.Expired("a", "s", 3, 7, 1),
        new LockEvent.Granted("a", "y", 7, 7),
        new LockEvent.Expired("b", "s", 2, 7, 1),
        new LockEvent.SessionExpired(1, "s", 7)), r.events());
    assertTrue(sm.sessionInfo(1).isEmpty());
    assertTrue(sm.lockInfo("b").isEmpty());
    assertEquals(0, sm.lockInfo("c").orElseThrow().waiterCount());
    assertEquals(T0 + 25_000, sm.lockInfo("a").orElseThrow().expiresAtMs());
    assertEquals(0, sm.stats().sessions());
    // The ended session is gone for good, with its request memory.
    assertEquals(ErrorCode.SESSION_NOT_FOUND, error(sm.apply(8, acquire(1, "b", "", T0))).code());
  }

  @Test
  void closeReleasesEverythingWithReleasedEvents() {
    sm.apply(1, open("s", 5_000, T0));
    sm.apply(2, acquire(1, "a", "", T0));
    sm.apply(3, Cmds.acquire("c", "x", 60_000, T0));
    sm.apply(4, acquireWait(1, "c", T0));
    ApplyResult r = sm.apply(5, new LockCommand.CloseSession(1, T0 + 1_000));
    assertEquals(new LockReply.SessionClosed(1, 1), r.reply());
    assertEquals(List.of(
        new LockEvent.WaitCancelled("c", "s", 0, 5, 1),
        new LockEvent.Released("a", "s", 2, 5, 1),
        new LockEvent.SessionClosed(1, "s", 5)), r.events());
    assertEquals(1, sm.stats().releases());
    assertEquals(ErrorCode.SESSION_NOT_FOUND,
        error(sm.apply(6, new LockCommand.CloseSession(1, T0 + 1_000))).code());
  }

  @Test
  void noLockIsGrantedToASessionEndingInTheSameEntry() {
    sm.apply(1, open("s1", 5_000, T0));
    sm.apply(2, open("s2", 5_000, T0));
    sm.apply(3, acquire(1, "a", "", T0));
    sm.apply(4, acquireWait(2, "a", T0));
    ApplyResult r = sm.apply(5, new LockCommand.Expire(T0 + 5_000));
    assertEquals(new LockReply.Expired(1, 0, 2), r.reply());
    assertTrue(r.events().stream().noneMatch(e -> e instanceof LockEvent.Granted), r.events()
        .toString());
    assertTrue(sm.lockInfo("a").isEmpty());
  }

  @Test
  void aSessionWaiterIsGrantedOnTheSessionsLease() {
    sm.apply(1, open("s", 20_000, T0));
    sm.apply(2, Cmds.acquire("a", "x", 5_000, T0));
    assertEquals(new LockReply.Queued(0, 5_000), sm.apply(3, acquireWait(1, "a", T0)).reply());
    ApplyResult r = sm.apply(4, Cmds.release("a", "x", 2, T0 + 1_000));
    assertEquals(List.of(new LockEvent.Released("a", "x", 2, 4),
        new LockEvent.Granted("a", "s", 4, 4, 1)), r.events());
    LockInfo info = sm.lockInfo("a").orElseThrow();
    assertEquals(1, info.sessionId());
    assertEquals(T0 + 20_000, info.expiresAtMs());
    // Its lock has no lease of its own: the next deadline is the session's.
    assertEquals(T0 + 20_000, sm.nextDeadlineMs());
    assertEquals(new LockReply.Expired(0, 0), sm.apply(5, new LockCommand.Expire(T0 + 19_999))
        .reply());
  }

  @Test
  void cancelClientWaitsLeavesTheWaitsOfSessionsWithThatName() {
    sm.apply(1, open("w", 20_000, T0));
    sm.apply(2, Cmds.acquire("a", "x", 5_000, T0));
    sm.apply(3, acquireWait(1, "a", T0));
    assertEquals(new LockReply.Cancelled(0),
        sm.apply(4, new LockCommand.CancelClientWaits("w", T0)).reply());
    assertEquals(1, sm.lockInfo("a").orElseThrow().waiterCount());
    assertEquals(new LockReply.Cancelled(1),
        sm.apply(5, new LockCommand.CancelWait("a", "", "", T0, 1)).reply());
  }

  @Test
  void promoteReArmsSessions() {
    sm.apply(1, open("s", 10_000, T0));
    sm.apply(2, acquire(1, "a", "", T0));
    ApplyResult p = sm.apply(3, new LockCommand.Promote(T0 + 7_000));
    assertEquals(new LockReply.Promoted(1), p.reply());
    assertEquals(T0 + 17_000, sm.sessionInfo(1).orElseThrow().expiresAtMs());
    assertEquals(T0 + 17_000, sm.lockInfo("a").orElseThrow().expiresAtMs());
    assertEquals(new LockReply.Promoted(0),
        sm.apply(4, new LockCommand.Promote(T0 + 7_000)).reply()); // a repeat moves nothing
    assertEquals(new LockReply.Expired(0, 0), sm.apply(5, new LockCommand.Expire(T0 + 16_999))
        .reply());
    assertEquals(new LockReply.Expired(1, 0, 1),
        sm.apply(6, new LockCommand.Expire(T0 + 17_000)).reply());
  }

  @Test
  void requestIdsAreScopedToTheSession() {
    sm.apply(1, open("w", 10_000, T0));
    sm.apply(2, open("w", 10_000, T0));
    LockReply first = sm.apply(3, withRequest(acquire(1, "a", "", T0), "1")).reply();
    LockReply other = sm.apply(4, withRequest(acquire(2, "b", "", T0), "1")).reply();
    assertEquals(new LockReply.Granted(3, T0, T0 + 10_000), first);
    assertEquals(new LockReply.Granted(4, T0, T0 + 10_000), other);
    // A retry (same command, later time) gets the first reply and changes nothing.
    long hash = sm.stateHash();
    ApplyResult retry = sm.apply(5, withRequest(acquire(1, "a", "", T0 + 500), "1"));
    assertEquals(first, retry.reply());
    assertTrue(retry.events().isEmpty());
    assertEquals(hash, sm.stateHash());
    assertEquals(1, sm.sessionInfo(1).orElseThrow().rememberedRequests());
  }

  @Test
  void aReusedRequestIdWithAnotherCommandIsRefused() {
    // Issue 17: worker-7 acquires a with request id "1", then b with request id "1".
    sm.apply(1, Cmds.acquire("b", "other", 60_000, T0));
    LockReply a = sm.apply(2, new LockCommand.Acquire("a", "worker-7", 10_000, false, 0, 0, null,
        "1", T0)).reply();
    assertInstanceOf(LockReply.Granted.class, a);
    long hash = sm.stateHash();
    LockReply.Error b = error(sm.apply(3, new LockCommand.Acquire("b", "worker-7", 10_000, false,
        0, 0, null, "1", T0 + 1)));
    assertEquals(ErrorCode.INVALID_ARGUMENT, b.code());
    assertTrue(b.message().contains("request_id"), b.message());
    LockReply.Error release = error(sm.apply(4, new LockCommand.Release("a", "worker-7", 2, "1",
        T0 + 1)));
    assertEquals(ErrorCode.INVALID_ARGUMENT, release.code());
    assertEquals(hash, sm.stateHash());
    assertEquals("other", sm.lockInfo("b").orElseThrow().ownerId());
    // The same for a session; and the first command itself is still answered.
    sm.apply(5, open("w", 10_000, T0));
    sm.apply(6, withRequest(acquire(5, "c", "", T0), "1"));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        error(sm.apply(7, withRequest(acquire(5, "d", "", T0), "1"))).code());
    assertEquals(a, sm.apply(8, new LockCommand.Acquire("a", "worker-7", 10_000, false, 0, 0,
        null, "1", T0 + 2)).reply());
  }

  @Test
  void sessionRequestMemoryIsBoundedAndDiesWithTheSession() {
    LockStateMachine m = new LockStateMachine(new LockStateMachine.Config(10, 10_000, 100, 2));
    m.apply(1, open("w", 10_000, T0));
    assertEquals(new LockReply.Granted(2, T0, T0 + 10_000, false),
        m.apply(2, withRequest(acquire(1, "a", "", T0), "r1")).reply());
    m.apply(3, withRequest(acquire(1, "b", "", T0), "r2"));
    m.apply(4, withRequest(acquire(1, "c", "", T0), "r3"));
    assertEquals(2, m.sessionInfo(1).orElseThrow().rememberedRequests());
    // r1 was forgotten (oldest first): the retry executes again and finds the lock held.
    assertEquals(new LockReply.Granted(2, T0, T0 + 10_000, true),
        m.apply(5, withRequest(acquire(1, "a", "", T0), "r1")).reply());
    // Far later (past the client table's retention) r3 is still remembered: no clock evicts.
    m.apply(6, new LockCommand.KeepAlive(1, T0 + 9_000));
    m.apply(7, new LockCommand.KeepAlive(1, T0 + 18_000));
    assertEquals(new LockReply.Granted(4, T0, T0 + 10_000, false),
        m.apply(8, withRequest(acquire(1, "c", "", T0 + 18_000), "r3")).reply());
    m.apply(9, new LockCommand.CloseSession(1, T0 + 18_000));
    assertEquals(ErrorCode.SESSION_NOT_FOUND,
        error(m.apply(10, withRequest(acquire(1, "c", "", T0 + 18_000), "r3"))).code());
  }

  @Test
  void theStateHashCoversSessions() {
    LockStateMachine a = new LockStateMachine();
    LockStateMachine b = new LockStateMachine();
    a.apply(1, open("w", 10_000, T0));
    b.apply(1, open("w", 10_000, T0));
    assertEquals(a.stateHash(), b.stateHash());
    b.apply(2, new LockCommand.KeepAlive(1, T0 + 1));
    a.apply(2, new LockCommand.Expire(T0 + 1));
    assertNotEquals(a.stateHash(), b.stateHash()); // same time, another expiry
    LockStateMachine back = LockStateMachine.restore(b.snapshot());
    assertEquals(b.stateHash(), back.stateHash());
    assertEquals(b.sessionInfo(1), back.sessionInfo(1));
  }

  private static LockCommand withRequest(LockCommand.Acquire c, String requestId) {
    return new LockCommand.Acquire(c.lockId(), c.clientId(), c.ttlMs(), c.waitForLock(),
        c.waitTimeoutMs(), c.priority(), c.metadata(), requestId, c.timeMs(), c.sessionId());
  }
}
