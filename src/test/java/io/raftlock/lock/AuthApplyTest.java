package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authoritative check at apply: once auth is on, every client command must name a live key
 * whose principal holds the permission on the lock's name; a refusal is PERMISSION_DENIED and a
 * deterministic no-op; holdings belong to the principal that took them.
 */
class AuthApplyTest {
  private LockStateMachine sm;
  private long index;

  static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private LockReply apply(LockCommand cmd) {
    return sm.apply(++index, cmd).reply();
  }

  private LockReply as(String keyId, LockCommand cmd) {
    return apply(new LockCommand.Authenticated(keyId, cmd));
  }

  private void admin(AclOp op) {
    assertEquals(new LockReply.AuthChanged(), as("root", new LockCommand.Acl(op, T0)), op::toString);
  }

  private static LockReply.Error denied(LockReply reply) {
    LockReply.Error e = assertInstanceOf(LockReply.Error.class, reply);
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code(), e.message());
    return e;
  }

  /** Auth on; alice and bob may lock jobs/ (bob also reads everything), carol may release-any. */
  @BeforeEach
  void enableWithTwoPrincipals() {
    sm = new LockStateMachine();
    assertEquals(new LockReply.AuthChanged(),
        apply(new LockCommand.Acl(new AclOp.Enable("root", "root", sha256("root-secret")), T0)));
    admin(new AclOp.CreateRole("jobs"));
    admin(new AclOp.ChangeGrant("jobs", new AclGrant("jobs/", Permission.LOCK, false), true));
    admin(new AclOp.CreateRole("ops"));
    admin(new AclOp.ChangeGrant("ops", new AclGrant("jobs/", Permission.RELEASE_ANY, false), true));
    for (String p : new String[] {"alice", "bob", "carol"}) {
      admin(new AclOp.CreatePrincipal(p));
      admin(new AclOp.CreateKey("k-" + p, p, sha256(p + "-secret")));
    }
    admin(new AclOp.AssignRole("alice", "jobs", true));
    admin(new AclOp.AssignRole("bob", "jobs", true));
    admin(new AclOp.AssignRole("carol", "ops", true));
  }

  @Test
  void aPrincipalLocksInsideItsPrefixAndIsRefusedOutsideWithThePrefixNamed() {
    assertInstanceOf(LockReply.Granted.class, as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0)));
    LockReply.Error e = denied(as("k-alice", Cmds.acquire("other/b", "w1", 10_000, T0)));
    assertTrue(e.message().contains("'lock'") && e.message().contains("other/b"), e.message());
    assertTrue(sm.lockInfo("other/b").isEmpty());
  }

  @Test
  void withoutAKeyOrWithAnUnknownKeyNothingIsApplied() {
    long hash = sm.stateHash();
    denied(apply(Cmds.acquire("jobs/a", "w1", 10_000, T0)));
    denied(as("k-nobody", Cmds.acquire("jobs/a", "w1", 10_000, T0)));
    denied(apply(new LockCommand.OpenSession("s", 10_000, null, T0)));
    denied(apply(new LockCommand.Acl(new AclOp.CreateRole("x"), T0)));
    assertEquals(hash, sm.stateHash(), "a denied entry is a no-op");
  }

  @Test
  void anotherPrincipalCannotRenewOrReleaseAHoldingEvenWithItsClientIdAndToken() {
    LockReply.Granted g = (LockReply.Granted) as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0));
    LockReply.Error release = denied(as("k-bob", Cmds.release("jobs/a", "w1", g.token(), T0)));
    assertTrue(release.message().contains("release-any"), release.message());
    denied(as("k-bob", Cmds.renew("jobs/a", "w1", g.token(), 10_000, T0)));
    assertInstanceOf(LockReply.Error.class, as("k-bob", Cmds.acquire("jobs/a", "w1", 10_000, T0)),
        "the same client id under another principal is another owner");
    assertEquals("w1", sm.lockInfo("jobs/a").orElseThrow().ownerId());
    assertInstanceOf(LockReply.Released.class, as("k-alice", Cmds.release("jobs/a", "w1", g.token(), T0)));
  }

  @Test
  void releaseAnyReleasesAnyonesHoldingWithItsToken() {
    LockReply.Granted g = (LockReply.Granted) as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0));
    assertEquals(ErrorCode.VERSION_MISMATCH,
        ((LockReply.Error) as("k-carol", Cmds.release("jobs/a", "x", g.token() + 1, T0))).code());
    assertInstanceOf(LockReply.Released.class, as("k-carol", Cmds.release("jobs/a", "x", g.token(), T0)));
  }

  @Test
  void aWaiterPromotedLaterHoldsUnderItsOwnPrincipal() {
    LockReply.Granted g = (LockReply.Granted) as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0));
    assertInstanceOf(LockReply.Queued.class,
        as("k-bob", Cmds.acquireWait("jobs/a", "w2", 10_000, 60_000, 0, T0)));
    as("k-alice", Cmds.release("jobs/a", "w1", g.token(), T0));
    long token = sm.lockInfo("jobs/a").orElseThrow().token();
    denied(as("k-alice", Cmds.release("jobs/a", "w2", token, T0)));
    assertInstanceOf(LockReply.Released.class, as("k-bob", Cmds.release("jobs/a", "w2", token, T0)));
  }

  @Test
  void aRevokedKeyIsRefusedFromTheNextEntryOn() {
    assertInstanceOf(LockReply.Granted.class, as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0)));
    admin(new AclOp.RevokeKey("k-alice"));
    LockReply.Error e = denied(as("k-alice", Cmds.acquire("jobs/b", "w1", 10_000, T0)));
    assertTrue(e.message().contains("k-alice"), e.message());
  }

  @Test
  void aSessionServesOnlyThePrincipalThatOpenedIt() {
    LockReply.SessionOpened s = (LockReply.SessionOpened) as("k-alice",
        new LockCommand.OpenSession("s", 10_000, null, T0));
    LockCommand.Acquire inSession = new LockCommand.Acquire("jobs/s", "", 0, false, 0, 0, null, "",
        T0, s.sessionId());
    denied(as("k-bob", inSession));
    denied(as("k-bob", new LockCommand.KeepAlive(s.sessionId(), T0)));
    denied(as("k-bob", new LockCommand.CloseSession(s.sessionId(), T0)));
    assertInstanceOf(LockReply.Granted.class, as("k-alice", inSession));
  }

  @Test
  void internalEntriesAreNeverChecked() {
    as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0));
    assertEquals(new LockReply.Expired(1, 0), apply(new LockCommand.Expire(T0 + 10_000)));
    assertInstanceOf(LockReply.Promoted.class, apply(new LockCommand.Promote(T0 + 10_000)));
    assertInstanceOf(LockReply.Cancelled.class, apply(new LockCommand.CancelClientWaits("w1", T0 + 10_000)));
  }

  /** A client id names an owner only with its principal: a watch drop cancels its principal's waits. */
  @Test
  void aDisconnectedWatcherCancelsOnlyItsOwnPrincipalsWaits() {
    as("k-carol", Cmds.acquire("jobs/held", "holder", 10_000, T0));
    as("k-alice", Cmds.enqueue("jobs/held", "worker", 30_000, 0, T0));
    as("k-bob", Cmds.enqueue("jobs/held", "worker", 30_000, 0, T0));

    ApplyResult r = sm.apply(++index, new LockCommand.CancelClientWaits("worker", "bob", T0));
    assertEquals(new LockReply.Cancelled(1), r.reply());
    assertEquals("bob", r.events().get(0).principal(), "the event names the principal of the wait");
    assertEquals(1, sm.lockInfo("jobs/held").orElseThrow().waiterCount(), "alice's wait is still there");
    assertEquals(new LockReply.Cancelled(1), apply(new LockCommand.CancelClientWaits("worker", T0)),
        "without a principal (auth off when the watch was made): every principal's waits");
  }

  @Test
  void onlyAdminsChangeTheAclAndDisablingOpensTheCluster() {
    denied(as("k-alice", new LockCommand.Acl(new AclOp.CreateRole("mine"), T0)));
    denied(apply(Cmds.acquire("free/a", "w", 10_000, T0)));
    admin(new AclOp.Disable());
    assertFalse(sm.acl().enabled());
    assertInstanceOf(LockReply.Granted.class, apply(Cmds.acquire("free/a", "w", 10_000, T0)));
    assertEquals(ErrorCode.INVALID_ARGUMENT, ((LockReply.Error) apply(new LockCommand.Acl(
        new AclOp.Enable("root2", "root", sha256("x")), T0))).code(), "key id root exists");
  }

  @Test
  void anEnableIsRefusedWhileAuthIsOnSoAReplayAddsNoKey() {
    LockReply r = as("root", new LockCommand.Acl(new AclOp.Enable("eve", "k-eve", sha256("e")), T0));
    assertEquals(ErrorCode.INVALID_ARGUMENT, ((LockReply.Error) r).code());
    assertTrue(sm.acl().principalOfKey("k-eve") == null);
  }

  @Test
  void theAclStateAndEveryPrincipalSurviveASnapshot() {
    LockReply.Granted g = (LockReply.Granted) as("k-alice", Cmds.acquire("jobs/a", "w1", 10_000, T0));
    as("k-bob", Cmds.acquireWait("jobs/a", "w2", 10_000, 60_000, 0, T0));
    as("k-bob", new LockCommand.OpenSession("s", 10_000, null, T0));
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(sm.stateHash(), back.stateHash());
    assertTrue(back.acl().enabled());
    assertEquals("bob", back.acl().authenticate("k-bob", sha256("bob-secret")));
    assertEquals(null, back.acl().authenticate("k-bob", sha256("guess")));
    sm = back;
    denied(as("k-bob", Cmds.release("jobs/a", "w1", g.token(), T0)));
    assertInstanceOf(LockReply.Released.class, as("k-alice", Cmds.release("jobs/a", "w1", g.token(), T0)));
  }

  /** A version-3 snapshot (before access control): one session "s" (id 1) holding lock "a". */
  @Test
  void aVersionThreeSnapshotRestoresWithAuthOffAndNoPrincipals() {
    ByteWriter w = new ByteWriter(64);
    w.writeFixedInt(SnapshotCodec.MAGIC);
    w.writeByte(3);
    w.writeVarLong(1000);
    w.writeVarLong(600_000);
    w.writeVarLong(100_000);
    w.writeVarLong(64); // sessionDedupeMaxEntries
    w.writeSignedVarLong(T0);
    for (int i = 0; i < 7; i++) {
      w.writeSignedVarLong(0);
    }
    w.writeVarLong(1); // session 1 "s", ttl 10 s
    w.writeSignedVarLong(1);
    w.writeString("s");
    w.writeSignedVarLong(10_000);
    w.writeSignedVarLong(T0 + 10_000);
    w.writeVarLong(0); // metadata
    w.writeVarLong(0); // remembered requests
    w.writeVarLong(1); // lock "a" held by session 1
    w.writeString("a");
    w.writeString("s");
    w.writeSignedVarLong(1);
    w.writeSignedVarLong(2); // token
    w.writeSignedVarLong(T0);
    w.writeSignedVarLong(0);
    w.writeSignedVarLong(0);
    w.writeVarLong(0); // metadata
    w.writeVarLong(0); // waiters
    w.writeVarLong(0); // dedupe
    LockStateMachine back = LockStateMachine.restore(SnapshotCodec.sealed(w));
    assertFalse(back.acl().enabled());
    assertEquals(1, back.lockInfo("a").orElseThrow().sessionId());
    assertEquals("", back.sessions.get(1).principal);
    LockStateMachine again = LockStateMachine.restore(back.snapshot());
    assertEquals(back.stateHash(), again.stateHash());
    assertInstanceOf(LockReply.SessionClosed.class, again.apply(3, new LockCommand.CloseSession(1, T0)).reply());
  }
}
