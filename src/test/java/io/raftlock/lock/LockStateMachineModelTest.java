package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Model-based test: random command sequences applied to {@link LockStateMachine} and to the
 * independent {@link ReferenceModel} must give the same replies (errors compared by code and
 * backoff, not message), the same events and the same observable state after every step. Safety
 * is also checked on the event stream alone: at most one holder per lock, and fencing tokens
 * strictly increasing per lock, even across the lock being dropped and re-created.
 */
class LockStateMachineModelTest {
  /** Small bounds so that full queues and idempotency eviction happen in short sequences. */
  static final LockStateMachine.Config CONFIG = new LockStateMachine.Config(3, 20_000, 6, 3);

  @Provide
  Arbitrary<List<Ops.Op>> sequences() {
    return Ops.sequences(1, 80);
  }

  /** 6,000 sequences per run (random seeds, so runs add up), to keep the suite in its budget. */
  @Property(tries = 6_000, edgeCases = EdgeCasesMode.NONE)
  void stateMachineAgreesWithTheModel(@ForAll("sequences") List<Ops.Op> ops) {
    LockStateMachine sm = new LockStateMachine(CONFIG);
    ReferenceModel model = new ReferenceModel(CONFIG);
    Ops.Driver driver = new Ops.Driver();
    Map<String, String> holders = new HashMap<>(); // lookups only
    Map<String, Long> lastTokens = new HashMap<>();
    Map<String, Long> owners = new HashMap<>(); // lock -> owning session (0: a client)
    long index = 0;
    for (Ops.Op op : ops) {
      LockCommand cmd = driver.next(op, model);
      index++;
      ApplyResult actual = sm.apply(index, cmd);
      ApplyResult expected = model.apply(index, cmd);
      String step = "step " + index + ": " + cmd;
      assertEquals(normalize(expected.reply()), normalize(actual.reply()), step);
      assertEquals(expected.events(), actual.events(), step);
      checkSafety(actual.events(), holders, lastTokens, owners, step);
      compareState(sm, model, holders, step);
      boolean bySession = cmd instanceof LockCommand.SessionOwned c && c.sessionId() != 0;
      Statistics.label("outcome").collect((bySession ? "session " : "") + outcome(actual));
    }
  }

  /** Outcome class, so that the run report shows the generator reaches every path. */
  private static String outcome(ApplyResult r) {
    String name = r.reply() instanceof LockReply.Error e ? e.code().name()
        : r.reply().getClass().getSimpleName();
    boolean promoted = r.events().stream().anyMatch(e -> e instanceof LockEvent.Granted)
        && !(r.reply() instanceof LockReply.Granted);
    boolean sessionEnded = r.events().stream().anyMatch(e -> e instanceof LockEvent.SessionExpired);
    return name + (sessionEnded ? "+session expiry" : "") + (promoted ? "+promotion" : "");
  }

  static LockReply normalize(LockReply reply) {
    return reply instanceof LockReply.Error e ? new LockReply.Error(e.code(), "", e.backoff())
        : reply;
  }

  private static void checkSafety(List<LockEvent> events, Map<String, String> holders,
      Map<String, Long> lastTokens, Map<String, Long> owners, String step) {
    for (LockEvent e : events) {
      if (e instanceof LockEvent.Granted g) {
        assertNull(holders.get(g.lockId()), "two holders of " + g.lockId() + " at " + step);
        long last = lastTokens.getOrDefault(g.lockId(), 0L);
        assertTrue(g.token() > last, "token not increasing for " + g.lockId() + " at " + step);
        holders.put(g.lockId(), g.clientId());
        lastTokens.put(g.lockId(), g.token());
      } else if (e instanceof LockEvent.Released || e instanceof LockEvent.Expired) {
        assertEquals(holders.get(e.lockId()), e.clientId(), step);
        assertEquals(lastTokens.get(e.lockId()), e.token(), step);
        holders.remove(e.lockId());
      } else if (e instanceof LockEvent.SessionExpired || e instanceof LockEvent.SessionClosed) {
        // An ended session holds nothing: its locks were released before this event.
        assertTrue(owners.values().stream().noneMatch(s -> s == e.sessionId()), step);
      }
      if (e instanceof LockEvent.Granted) {
        owners.put(e.lockId(), e.sessionId());
      } else if (e instanceof LockEvent.Released || e instanceof LockEvent.Expired) {
        owners.remove(e.lockId());
      }
    }
  }

  private static void compareState(LockStateMachine sm, ReferenceModel model,
      Map<String, String> holders, String step) {
    for (String lock : Ops.LOCKS) {
      assertEquals(model.lockInfo(lock), sm.lockInfo(lock), step);
      assertEquals(holders.get(lock), sm.lockInfo(lock).map(LockInfo::ownerId).orElse(null),
          step);
    }
    assertEquals(model.stats(), sm.stats(), step);
    assertEquals(model.config, sm.config(), step);
    assertEquals(model.nextDeadline(), sm.nextDeadlineMs(), step);
    List<SessionInfo> sessions = model.sessionInfos();
    assertEquals(sessions, sm.listSessions(1000, 0).sessions(), step);
    for (SessionInfo s : sessions) {
      assertEquals(Optional.of(s), sm.sessionInfo(s.sessionId()), step);
    }
  }
}
