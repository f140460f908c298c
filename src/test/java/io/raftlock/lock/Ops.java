package io.raftlock.lock;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random command sequences for property tests: few locks, many clients, small TTLs and timeouts
 * so that expiry and promotion happen often, times that mostly move forward but sometimes
 * backwards, request ids drawn from a tiny pool so that duplicates are frequent, a few
 * {@code Promote}s (leader changes), and a small share of invalid commands.
 */
final class Ops {
  static final String[] LOCKS = {"a", "b", "c"};
  static final String[] CLIENTS = {"c0", "c1", "c2", "c3", "c4", "c5", "c6"};
  /** The last entry of each is invalid (rare on purpose). */
  private static final long[] TTLS = {1_000, 2_000, 2_000, 5_000, 5_000, 8_000, 30_000, 999};
  private static final long[] WAIT_TIMEOUTS = {1_000, 3_000, 3_000, 6_000, 10_000, 700};

  /** One generated step; turned into a command by {@link Driver#next}. */
  record Op(int kind, int lock, int client, int ttl, int waitTimeout, int priority, int request,
      int timeDelta) {}

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
        .as(Op::new);
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

    LockCommand next(Op op, ReferenceModel model) {
      long nextDeadline = model.nextDeadline();
      clock = Math.max(Cmds.T0, clock + op.timeDelta());
      String lock = LOCKS[op.lock()];
      String holder = model.holderOf(lock);
      // Holder commands mostly come from the holder, so that they succeed often enough.
      String client = holder != null && op.client() < 4 && op.kind() % 100 >= 40
          ? holder : CLIENTS[op.client()];
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
      }
      return new LockCommand.CancelClientWaits(client, clock);
    }
  }
}
