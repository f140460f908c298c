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

  /**
   * The model against the product's state machine on random logs: same holdings (client,
   * token, end index, how it ended). The model is independent code, so agreement on many logs
   * is evidence that both read the documented semantics the same way.
   */
  @Test
  void agreesWithTheStateMachineOnRandomLogs() {
    LockStateMachine.Config config = new LockStateMachine.Config(2, 4_000, 6);
    long grants = 0;
    for (int seed = 0; seed < 3_000; seed++) {
      Random random = new Random(seed);
      LockStateMachine sm = new LockStateMachine(config);
      ReferenceModel model = new ReferenceModel(config.dedupeRetentionMs(),
          config.dedupeMaxEntries(), config.maxWaitersPerLock());
      Map<String, List<Holding>> expected = new TreeMap<>();
      Generator gen = new Generator(random);
      int length = 1 + random.nextInt(60);
      for (long index = 1; index <= length; index++) {
        LockCommand cmd = gen.next();
        for (LockEvent e : sm.apply(index, cmd).events()) {
          record(expected, e, gen);
        }
        model.apply(index, cmd);
      }
      assertEquals(expected, model.holdingsByLock(), "seed " + seed);
      assertTrue(model.invariantViolations().isEmpty(), "seed " + seed);
      grants += model.grantCount();
    }
    assertTrue(grants > 10_000, "the generator reaches grants: " + grants);
  }

  private static void record(Map<String, List<Holding>> holdings, LockEvent e, Generator gen) {
    List<Holding> list = holdings.computeIfAbsent(e.lockId(), k -> new ArrayList<>());
    if (e instanceof LockEvent.Granted g) {
      list.add(new Holding(g.lockId(), g.clientId(), g.token(), Long.MAX_VALUE, null));
      gen.tokens.add(g.token());
    } else if (e instanceof LockEvent.Released || e instanceof LockEvent.Expired) {
      Holding h = list.get(list.size() - 1);
      list.set(list.size() - 1, new Holding(h.lock(), h.client(), h.token(), e.index(),
          e instanceof LockEvent.Released ? "release" : "expire"));
    }
    if (list.isEmpty()) {
      holdings.remove(e.lockId());
    }
  }

  /** Random commands on 3 locks and 4 clients, with repeated request ids and bad values. */
  private static final class Generator {
    final Random random;
    final List<Long> tokens = new ArrayList<>(List.of(1L));
    long now = T;

    Generator(Random random) {
      this.random = random;
    }

    LockCommand next() {
      now += random.nextInt(10) < 8 ? random.nextInt(700) : -random.nextInt(500);
      String lock = "L" + random.nextInt(3);
      String client = "c" + random.nextInt(4);
      String req = random.nextInt(3) == 0 ? "" : "r" + random.nextInt(12);
      long ttl = random.nextInt(25) == 0 ? 5 : 1_000 + random.nextInt(2_000);
      long token = random.nextInt(6) == 0 ? 1 + random.nextInt(40)
          : tokens.get(tokens.size() - 1 - random.nextInt(Math.min(3, tokens.size())));
      int priority = random.nextInt(3) - 1;
      long waitMs = 1_000 + random.nextInt(3_000);
      return switch (random.nextInt(11)) {
        case 0, 1 -> new LockCommand.Acquire(lock, client, ttl, false, 0, priority, null, req,
            now);
        case 2, 3 -> new LockCommand.Acquire(lock, client, ttl, true, waitMs, priority, null,
            req, now);
        case 4, 5 -> new LockCommand.Release(lock, client, token, req, now);
        case 6 -> new LockCommand.Renew(lock, client, token, ttl, req, now);
        case 7 -> new LockCommand.EnqueueWaiter(lock, client, waitMs, priority, req, now);
        case 8 -> random.nextBoolean() ? new LockCommand.CancelWait(lock, client, req, now)
            : new LockCommand.CancelClientWaits(client, now);
        case 9 -> new LockCommand.Expire(now + random.nextInt(3_000));
        default -> new LockCommand.Promote(now);
      };
    }
  }
}
