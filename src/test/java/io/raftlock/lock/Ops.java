package io.raftlock.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random command sequences for property tests: few locks, many clients, small TTLs and timeouts
 * so that expiry and promotion happen often, times that mostly move forward but sometimes
 * backwards, request ids drawn from a tiny pool so that duplicates are frequent (reused for
 * another command, or retried with the same command), a few {@code Promote}s (leader changes),
 * a few {@code Configure}s (a new leader's limits, raising or lowering every bound),
 * a small share of invalid commands, and sessions: opened, kept alive, closed and expired, owning
 * locks and waits beside client-owned ones, sometimes named after they ended.
 */
final class Ops {
  static final String[] LOCKS = {"a", "b", "c"};
  static final String[] CLIENTS = {"c0", "c1", "c2", "c3", "c4", "c5", "c6"};
  /** The last entry of each is invalid (rare on purpose). */
  private static final long[] TTLS = {1_000, 2_000, 2_000, 5_000, 5_000, 8_000, 30_000, 999};
  private static final long[] WAIT_TIMEOUTS = {1_000, 3_000, 3_000, 6_000, 10_000, 700};
  /** Session TTLs; the last two are invalid. */
  private static final long[] SESSION_TTLS = {1_000, 2_000, 4_000, 4_000, 8_000, 20_000, 999,
      600_001};
  /**
   * Settings a leader may commit: the model test's start, every bound lowered (none
   * waiting at all in one), and every bound raised.
   */
  private static final LockStateMachine.Config[] CONFIGS = {
      new LockStateMachine.Config(3, 20_000, 6, 3), new LockStateMachine.Config(1, 4_000, 2, 1),
      new LockStateMachine.Config(0, 20_000, 6, 3), new LockStateMachine.Config(5, 60_000, 10, 5)};
  /** A session id that is never opened (sequences are far shorter). */
  private static final long NEVER_OPENED = 100_000;

  /**
   * One generated step; turned into a command by {@link Driver#next}. {@code session}: 0..8 a
   * client-owned command, 9..15 one of a live session, 16 of a dead or never-opened session,
   * 17 OpenSession, 18 KeepAlive, 19 CloseSession.
   */
  record Op(int kind, int lock, int client, int ttl, int waitTimeout, int priority, int request,
      int timeDelta, int session) {
    Op(int kind, int lock, int client, int ttl, int waitTimeout, int priority, int request,
        int timeDelta) {
      this(kind, lock, client, ttl, waitTimeout, priority, request, timeDelta, 0);
    }

    Op withSession(int s) {
      return new Op(kind, lock, client, ttl, waitTimeout, priority, request, timeDelta, s);
    }
  }

  private Ops() {}

  static Arbitrary<Op> op() {
    return Combinators.combine(
        Arbitraries.integers().between(0, 299),
        Arbitraries.integers().between(0, LOCKS.length - 1),
        Arbitraries.integers().between(0, CLIENTS.length - 1),
        Arbitraries.integers().between(0, TTLS.length - 1),
        Arbitraries.integers().between(0, WAIT_TIMEOUTS.length - 1),
        Arbitraries.integers().between(-1, 2),
        Arbitraries.integers().between(-4, 5),
        Arbitraries.integers().between(-2_000, 6_000))
        .as(Op::new)
        .flatMap(o -> Arbitraries.integers().between(0, 19).map(o::withSession));
  }

  static Arbitrary<List<Op>> sequences(int minSize, int maxSize) {
    return op().list().ofMinSize(minSize).ofMaxSize(maxSize);
  }

  /**
   * Turns ops into commands with a leader clock; tokens are chosen current, stale or wrong with
   * the help of {@code currentToken}, so that release and renew succeed often enough.
   */
  static final class Driver {
    long clock = Cmds.T0;
    /** Sessions this driver saw opened (live or not), to name ended ones again. */
    private final List<Long> opened = new ArrayList<>();
    private LockCommand.SessionOwned last;

    LockCommand next(Op op, ReferenceModel model) {
      long nextDeadline = model.nextDeadline();
      clock = Math.max(Cmds.T0, clock + op.timeDelta());
      if (op.request() == 5 && last != null && !last.requestId().isEmpty()) {
        return (LockCommand) last.withTimeMs(clock); // a client's retry of its last request
      }
      boolean sessionOp = op.session() >= 9 && op.session() != 16;
      LockCommand cmd = op.session() == 17 || sessionOp && model.sessionIds().isEmpty()
          ? openSession(op)
          : op.session() >= 17 ? sessionCommand(op, model) : lockCommand(op, model, nextDeadline);
      if (cmd instanceof LockCommand.SessionOwned c) {
        last = c;
      }
      return cmd;
    }

    private LockCommand openSession(Op op) {
      Map<String, String> md = op.priority() > 0 ? Map.of("app", "a" + op.client()) : Map.of();
      return new LockCommand.OpenSession(CLIENTS[op.client()], SESSION_TTLS[op.ttl()],
          new TreeMap<>(md), clock);
    }

    private LockCommand sessionCommand(Op op, ReferenceModel model) {
      long sid = pickSession(op, model, 0);
      return op.session() == 18 ? new LockCommand.KeepAlive(sid, clock)
          : new LockCommand.CloseSession(sid, clock);
    }

    /** A live session (the holder's when {@code holderSession} > 0 and asked), else a dead one. */
    private long pickSession(Op op, ReferenceModel model, long holderSession) {
      List<Long> live = model.sessionIds();
      for (Long id : live) {
        if (!opened.contains(id)) {
          opened.add(id);
        }
      }
      if (op.session() == 16 || live.isEmpty()) {
        return opened.isEmpty() || op.kind() % 3 == 0 ? NEVER_OPENED
            : opened.get(op.kind() % opened.size());
      }
      if (holderSession > 0 && op.client() < 4) {
        return holderSession;
      }
      return live.get((op.client() + op.session()) % live.size());
    }

    private LockCommand lockCommand(Op op, ReferenceModel model, long nextDeadline) {
      String lock = LOCKS[op.lock()];
      String holder = model.holderOf(lock);
      long sid = 0;
      if (op.session() >= 9) {
        long holderSession = op.kind() % 100 >= 40 ? model.holderSessionOf(lock) : 0;
        sid = pickSession(op, model, holderSession);
        if (op.priority() == -1 && op.kind() % 7 == 0) {
          sid = -sid; // invalid
        }
      }
      // Holder commands mostly come from the holder, so that they succeed often enough.
      String client = holder != null && op.client() < 4 && op.kind() % 100 >= 40
          ? holder : CLIENTS[op.client()];
      if (sid != 0 && op.client() % 3 == 0) {
        client = ""; // the session's name is the label
      }
      LockCommand cmd = legacyShape(op, model, nextDeadline, lock, client);
      return sid == 0 ? cmd : withSession(cmd, sid, op.ttl() == 0);
    }

    /** The command as a session's: same fields, the session id, TTL 0 when asked. */
    private static LockCommand withSession(LockCommand cmd, long sid, boolean noTtl) {
      if (cmd instanceof LockCommand.Acquire c) {
        return new LockCommand.Acquire(c.lockId(), c.clientId(), noTtl ? 0 : c.ttlMs(),
            c.waitForLock(), c.waitTimeoutMs(), c.priority(), c.metadata(), c.requestId(),
            c.timeMs(), sid);
      } else if (cmd instanceof LockCommand.Release c) {
        return new LockCommand.Release(c.lockId(), c.clientId(), c.token(), c.requestId(),
            c.timeMs(), sid);
      } else if (cmd instanceof LockCommand.Renew c) {
        return new LockCommand.Renew(c.lockId(), c.clientId(), c.token(), noTtl ? 0 : c.ttlMs(),
            c.requestId(), c.timeMs(), sid);
      } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
        return new LockCommand.EnqueueWaiter(c.lockId(), c.clientId(), c.waitTimeoutMs(),
            c.priority(), c.requestId(), c.timeMs(), sid);
      } else if (cmd instanceof LockCommand.CancelWait c) {
        return new LockCommand.CancelWait(c.lockId(), c.clientId(), c.requestId(), c.timeMs(),
            sid);
      }
      return cmd; // Expire, Promote, Configure, CancelClientWaits have no owner
    }

    private LockCommand legacyShape(Op op, ReferenceModel model, long nextDeadline, String lock,
        String client) {
      long ttl = TTLS[op.ttl()];
      long waitTimeout = WAIT_TIMEOUTS[op.waitTimeout()];
      String req = op.request() < 0 ? "" : "r" + op.request();
      int roll = op.kind() % 100;
      long token = switch (op.kind() / 100) {
        case 0 -> Math.max(1, model.tokenOf(lock));
        case 1 -> Math.max(1, model.tokenOf(lock) - 1);
        default -> op.kind() % 2 == 0 ? 0 : 7;
      };
      if (roll < 15) {
        Map<String, String> md = op.priority() > 0 ? Map.of("k", "v" + op.client()) : Map.of();
        return new LockCommand.Acquire(lock, client, ttl, false, waitTimeout, op.priority(),
            new TreeMap<>(md), req, clock);
      } else if (roll < 40) {
        return new LockCommand.Acquire(lock, client, ttl, true, waitTimeout, op.priority(),
            null, req, clock);
      } else if (roll < 58) {
        return new LockCommand.Release(lock, client, token, req, clock);
      } else if (roll < 68) { // Renew
        return new LockCommand.Renew(lock, client, token, ttl, req, clock);
      } else if (roll < 74) {
        return new LockCommand.EnqueueWaiter(lock, client, Math.max(1_000, waitTimeout),
            op.priority(), req, clock);
      } else if (roll < 80) {
        return new LockCommand.CancelWait(lock, client, req, clock);
      } else if (roll < 95) {
        // The leader expires either at its clock or exactly at the next deadline.
        boolean atDeadline = op.kind() % 2 == 0 && nextDeadline != Long.MAX_VALUE;
        return new LockCommand.Expire(atDeadline ? nextDeadline : clock);
      } else if (roll < 97) {
        // A new leader's grace; its clock may be behind the state machine's time.
        return new LockCommand.Promote(clock);
      } else if (roll == 97) {
        return new LockCommand.Configure(CONFIGS[op.client() % CONFIGS.length], clock);
      }
      return new LockCommand.CancelClientWaits(client.isEmpty() ? CLIENTS[op.client()] : client,
          clock);
    }
  }
}
