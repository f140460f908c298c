package io.raftlock.nemesis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.nemesis.check.ReferenceModel.Holding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ReferenceModelTest {
  private static final long T = 1_700_000_000_000L;

  private static LockCommand acquire(String lock, String client, long ttlMs, String req,
      long t) {
    return new LockCommand.Acquire(lock, client, ttlMs, false, 0, 0, null, req, T + t);
  }

  private static LockCommand waitFor(String lock, String client, int priority,
      long waitTimeoutMs, long t) {
    return new LockCommand.Acquire(lock, client, 2_000, true, waitTimeoutMs, priority, null, "",
        T + t);
  }

  private static LockCommand release(String lock, String client, long token, long t) {
    return new LockCommand.Release(lock, client, token, "", T + t);
  }

  private static ReferenceModel replay(LockCommand... cmds) {
    ReferenceModel m = new ReferenceModel();
    for (int i = 0; i < cmds.length; i++) {
      m.apply(i + 1, cmds[i]);
    }
    return m;
  }

  /**
   * A log written with auth on: the client commands come wrapped with the key id they were sent
   * with. Replayed like the product's state machine: a live key's command applies; one without a
   * key, with an unknown key or with a revoked one is refused and changes nothing (no grant).
   */
  private static LockCommand asAdmin(io.raftlock.lock.AclOp op) {
    return new LockCommand.Authenticated("00000000000000aa", new LockCommand.Acl(op, T + 1));
  }

  @Test
  void authenticatedCommandsApplyAndDeniedOnesAreNoOps() {
    byte[] hash = new byte[32];
    LockCommand[] log = {
        new LockCommand.Acl(new io.raftlock.lock.AclOp.Enable("admin", "00000000000000aa", hash), T),
        asAdmin(new io.raftlock.lock.AclOp.CreateRole("locks")),
        asAdmin(new io.raftlock.lock.AclOp.ChangeGrant("locks",
            new io.raftlock.lock.AclGrant("L", io.raftlock.lock.Permission.LOCK, false), true)),
        asAdmin(new io.raftlock.lock.AclOp.CreatePrincipal("nemesis")),
        asAdmin(new io.raftlock.lock.AclOp.AssignRole("nemesis", "locks", true)),
        asAdmin(new io.raftlock.lock.AclOp.CreateKey("00000000000000bb", "nemesis", hash)),
        new LockCommand.Authenticated("00000000000000bb", acquire("L1", "c1", 2_000, "r1", 2)),
        acquire("L2", "c2", 2_000, "r2", 3), // no key: denied
        new LockCommand.Authenticated("00000000000000cc", acquire("L3", "c3", 2_000, "r3", 4)),
        asAdmin(new io.raftlock.lock.AclOp.RevokeKey("00000000000000bb")),
        new LockCommand.Authenticated("00000000000000bb", acquire("L4", "c1", 2_000, "r4", 6)),
    };
    ReferenceModel model = replay(log);
    LockStateMachine product = new LockStateMachine();
    for (int i = 0; i < log.length; i++) {
      product.apply(i + 1, log[i]);
    }

    assertEquals(List.of("L1"), List.copyOf(model.holdingsByLock().keySet()));
    assertNotNull(model.holding("L1", "c1", 7));
    assertEquals(3L, model.commandCounts().get("denied (no live API key)"));
    assertEquals(9L, model.commandCounts().get("authenticated"));
    for (String lock : List.of("L1", "L2", "L3", "L4")) {
      assertEquals(model.holdingsByLock().containsKey(lock), product.lockInfo(lock).isPresent(), lock);
    }
  }

  @Test
  void waitersAreGrantedByPriorityThenArrival() {
    ReferenceModel m = replay(
        acquire("L", "a", 2_000, "", 0),
        waitFor("L", "b", 0, 10_000, 1),
        waitFor("L", "c", 5, 10_000, 2),
        waitFor("L", "d", 5, 10_000, 3),
        release("L", "a", 1, 4), // 5: c (priority 5, first)
        release("L", "c", 5, 5), // 6: d
        release("L", "d", 6, 6)); // 7: b

    List<Holding> holdings = m.holdingsByLock().get("L");
    assertEquals(List.of("a", "c", "d", "b"), holdings.stream().map(Holding::client).toList());
    assertEquals(List.of(1L, 5L, 6L, 7L), holdings.stream().map(Holding::token).toList());
    assertEquals("release", holdings.get(0).endedBy());
    assertEquals(Long.MAX_VALUE, holdings.get(3).endIndex());
  }

  @Test
  void expiryDropsTimedOutWaitersAndPromotesLiveOnes() {
    ReferenceModel m = replay(
        acquire("L", "a", 2_000, "", 0),
        waitFor("L", "b", 9, 1_000, 0), // times out at 1 s
        waitFor("L", "c", 0, 10_000, 0),
        new LockCommand.Expire(T + 2_000)); // 4: b timed out, a expires, c promoted

    assertEquals(List.of(new Holding("L", "a", 1, 4, "expire"),
        new Holding("L", "c", 4, Long.MAX_VALUE, null)), m.holdingsByLock().get("L"));
  }

  @Test
  void promoteExtendsLeasesSoThatAnEarlierExpireKeepsThem() {
    ReferenceModel m = replay(
        acquire("L", "a", 2_000, "", 0),
        new LockCommand.Promote(T + 1_500), // lease now ends at 3.5 s
        new LockCommand.Expire(T + 2_000), // nothing due
        new LockCommand.Expire(T + 3_500)); // 4: due

    assertEquals(List.of(new Holding("L", "a", 1, 4, "expire")), m.holdingsByLock().get("L"));
  }

  @Test
  void duplicateRequestChangesNothingEvenAfterTheLockChangedHands() {
    ReferenceModel m = replay(
        acquire("L", "a", 2_000, "r1", 0),
        release("L", "a", 1, 1),
        acquire("L", "a", 2_000, "r1", 2)); // a retry of the first acquire: not a new grant

    assertEquals(1, m.grantCount());
    assertEquals(1, m.commandCounts().get("duplicate"));
  }

  @Test
  void invalidCommandsChangeNothingNotEvenTime() {
    ReferenceModel m = replay(
        acquire("L", "a", 10, "", 0), // TTL below the minimum
        acquire("", "a", 2_000, "", 0),
        new LockCommand.Release("L", "a", 0, "", T));

    assertEquals(0, m.grantCount());
    assertEquals(3, m.commandCounts().get("invalid"));
  }

  @Test
  void cancelledWaitersAreNeverGranted() {
    ReferenceModel m = replay(
        acquire("L", "a", 2_000, "", 0),
        waitFor("L", "b", 0, 10_000, 0),
        new LockCommand.Acquire("M", "b", 2_000, false, 0, 0, null, "", T),
        new LockCommand.CancelClientWaits("b", T),
        release("L", "a", 1, 1));

    assertNull(m.holderAt("L", 5));
    assertNotNull(m.holding("M", "b", 3), "held locks are kept");
  }

  @Test
  void sessionExpiryReleasesAllItsLocksInOneEntryAndGrantsTheWaiters() {
    ReferenceModel m = replay(
        new LockCommand.OpenSession("w", 2_000, null, T), // 1: session 1
        new LockCommand.Acquire("L", "", 0, false, 0, 0, null, "a", T, 1),
        new LockCommand.Acquire("M", "", 0, false, 0, 0, null, "b", T, 1),
        waitFor("M", "c", 0, 10_000, 1),
        new LockCommand.KeepAlive(1, T + 1_500), // 5: session lives to 3.5 s
        new LockCommand.Expire(T + 3_000), // nothing due: a session hold has no lease
        new LockCommand.Expire(T + 3_500)); // 7: session 1 ends, L and M released, c gets M

    assertEquals(List.of(new Holding("L", "w", 2, 7, "session-expire", 1)),
        m.holdingsByLock().get("L"));
    assertEquals(List.of(new Holding("M", "w", 3, 7, "session-expire", 1),
        new Holding("M", "c", 7, Long.MAX_VALUE, null)), m.holdingsByLock().get("M"));
    assertEquals(7, m.session(1).endIndex());
    assertEquals(List.of(5L), m.session(1).keepAlives());
    assertEquals(1, m.sessionsEndedBy("session-expire"));
  }

  @Test
  void aSessionThatEndedOwnsNothingAndItsCommandsChangeNothing() {
    ReferenceModel m = replay(
        new LockCommand.OpenSession("w", 2_000, null, T), // 1
        new LockCommand.OpenSession("w", 2_000, null, T), // 2: same name, another owner
        new LockCommand.Acquire("L", "", 0, false, 0, 0, null, "a", T, 1),
        new LockCommand.Release("L", "", 3, "b", T, 2), // not the owner
        new LockCommand.CloseSession(1, T + 1), // 5: L released
        new LockCommand.Acquire("L", "", 0, false, 0, 0, null, "c", T + 2, 1)); // session gone

    assertEquals(List.of(new Holding("L", "w", 3, 5, "session-close", 1)),
        m.holdingsByLock().get("L"));
    assertEquals(1, m.commandCounts().get("session not found"));
    assertTrue(m.invariantViolations().isEmpty());
  }

  /**
   * The model against the product's state machine on random logs: same holdings (client,
   * token, end index, how it ended). The model is independent code, so agreement on many logs
   * is evidence that both read the documented semantics the same way.
   */
  @Test
  void agreesWithTheStateMachineOnRandomLogs() {
    LockStateMachine.Config config = new LockStateMachine.Config(2, 4_000, 6);
    long grants = 0;
    long sessionGrants = 0;
    long sessionEndsSeen = 0;
    long configures = 0;
    for (int seed = 0; seed < 3_000; seed++) {
      Random random = new Random(seed);
      LockStateMachine sm = new LockStateMachine(config);
      ReferenceModel model = new ReferenceModel(config.dedupeRetentionMs(),
          config.dedupeMaxEntries(), config.maxWaitersPerLock());
      Map<String, List<Holding>> expected = new TreeMap<>();
      Map<Long, Long> sessionEnds = new TreeMap<>();
      Generator gen = new Generator(random);
      int length = 1 + random.nextInt(60);
      for (long index = 1; index <= length; index++) {
        LockCommand cmd = gen.next(index);
        configures += cmd instanceof LockCommand.Configure ? 1 : 0;
        for (LockEvent e : sm.apply(index, cmd).events()) {
          record(expected, sessionEnds, e, cmd, gen);
        }
        model.apply(index, cmd);
      }
      assertEquals(expected, model.holdingsByLock(), "seed " + seed);
      for (long id : gen.sessions) {
        ReferenceModel.SessionRecord r = model.session(id);
        Long end = r == null || r.endIndex() == Long.MAX_VALUE ? null : r.endIndex();
        assertEquals(sessionEnds.get(id), end, "seed " + seed + ", end of session " + id);
      }
      assertTrue(model.invariantViolations().isEmpty(), "seed " + seed);
      grants += model.grantCount();
      sessionGrants += model.holdingsByLock().values().stream().flatMap(List::stream)
          .filter(h -> h.session() > 0).count();
      sessionEndsSeen += sessionEnds.size();
    }
    assertTrue(grants > 10_000, "the generator reaches grants: " + grants);
    assertTrue(sessionGrants > 1_000, "the generator reaches session grants: " + sessionGrants);
    assertTrue(sessionEndsSeen > 1_000, "the generator reaches session ends: " + sessionEndsSeen);
    assertTrue(configures > 1_000, "the generator reaches new settings: " + configures);
  }

  private static void record(Map<String, List<Holding>> holdings, Map<Long, Long> sessionEnds,
      LockEvent e, LockCommand cmd, Generator gen) {
    if (e instanceof LockEvent.SessionExpired || e instanceof LockEvent.SessionClosed) {
      sessionEnds.put(e.sessionId(), e.index());
      return;
    }
    List<Holding> list = holdings.computeIfAbsent(e.lockId(), k -> new ArrayList<>());
    if (e instanceof LockEvent.Granted g) {
      list.add(new Holding(g.lockId(), g.clientId(), g.token(), Long.MAX_VALUE, null,
          g.sessionId()));
      gen.tokens.add(g.token());
    } else if (e instanceof LockEvent.Released || e instanceof LockEvent.Expired) {
      Holding h = list.get(list.size() - 1);
      list.set(list.size() - 1, new Holding(h.lock(), h.client(), h.token(), e.index(),
          endedBy(e, cmd), h.session()));
    }
    if (list.isEmpty()) {
      holdings.remove(e.lockId());
    }
  }

  /** How the model names the end of a holding: a session's end says so. */
  private static String endedBy(LockEvent e, LockCommand cmd) {
    if (e.sessionId() > 0 && cmd instanceof LockCommand.CloseSession) {
      return "session-close";
    } else if (e.sessionId() > 0 && e instanceof LockEvent.Expired) {
      return "session-expire";
    }
    return e instanceof LockEvent.Released ? "release" : "expire";
  }

  /**
   * Random commands on 3 locks and 4 clients, with repeated request ids and bad values; about
   * half the lock commands belong to a session (opened, ended or never opened), some of them
   * with an empty client id (the session's name is the label).
   */
  private static final class Generator {
    final Random random;
    final List<Long> tokens = new ArrayList<>(List.of(1L));
    final List<Long> sessions = new ArrayList<>();
    long now = T;

    Generator(Random random) {
      this.random = random;
    }

    LockCommand next(long index) {
      now += random.nextInt(10) < 8 ? random.nextInt(700) : -random.nextInt(500);
      String lock = "L" + random.nextInt(3);
      long session = session();
      String client = session > 0 && random.nextBoolean() ? "" : "c" + random.nextInt(4);
      String req = random.nextInt(3) == 0 ? "" : "r" + random.nextInt(12);
      long ttl = random.nextInt(25) == 0 ? 5 : session > 0 && random.nextBoolean() ? 0
          : 1_000 + random.nextInt(2_000);
      long token = random.nextInt(6) == 0 ? 1 + random.nextInt(40)
          : tokens.get(tokens.size() - 1 - random.nextInt(Math.min(3, tokens.size())));
      int priority = random.nextInt(3) - 1;
      long waitMs = 1_000 + random.nextInt(3_000);
      return switch (random.nextInt(14)) {
        case 0, 1 -> new LockCommand.Acquire(lock, client, ttl, false, 0, priority, null, req,
            now, session);
        case 2, 3 -> new LockCommand.Acquire(lock, client, ttl, true, waitMs, priority, null,
            req, now, session);
        case 4, 5 -> new LockCommand.Release(lock, client, token, req, now, session);
        case 6 -> new LockCommand.Renew(lock, client, token, ttl, req, now, session);
        case 7 -> new LockCommand.EnqueueWaiter(lock, client, waitMs, priority, req, now, session);
        case 8 -> random.nextBoolean() ? new LockCommand.CancelWait(lock, client, req, now, session)
            : new LockCommand.CancelClientWaits("c" + random.nextInt(4), now);
        case 9 -> new LockCommand.Expire(now + random.nextInt(3_000));
        case 10 -> open(index);
        case 11 -> random.nextInt(3) == 0 ? new LockCommand.CloseSession(session(), now)
            : new LockCommand.KeepAlive(session(), now);
        default -> random.nextInt(8) == 0 ? configure()
            : random.nextInt(4) == 0 ? new LockCommand.Promote(now)
            : new LockCommand.Expire(now + random.nextInt(3_000));
      };
    }

    /** New committed settings (a leader with other limits): caps raised or lowered below the state. */
    private LockCommand configure() {
      return new LockCommand.Configure(new LockStateMachine.Config(random.nextInt(4),
          1_000 + random.nextInt(5_000), random.nextInt(8), random.nextInt(4)), now);
    }

    /** Two names for four sessions, so that equal names must not make equal owners. */
    private LockCommand open(long index) {
      sessions.add(index);
      long ttl = random.nextInt(20) == 0 ? 500 : 1_000 + random.nextInt(2_000);
      return new LockCommand.OpenSession("s" + random.nextInt(2), ttl, null, now);
    }

    /** A known session (live or not) most of the time, sometimes none or an unknown id. */
    private long session() {
      int r = random.nextInt(10);
      if (r < 5 || sessions.isEmpty()) {
        return r == 9 ? 1 + random.nextInt(60) : 0;
      }
      return sessions.get(random.nextInt(sessions.size()));
    }
  }
}
