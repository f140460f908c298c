package io.raftlock.nemesis.check;

import io.raftlock.lock.LockCodecException;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.nemesis.check.CheckReport.Check;
import io.raftlock.nemesis.check.ReferenceModel.Holding;
import io.raftlock.nemesis.check.ReferenceModel.Key;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks that need the committed log: replays the longest dump through the
 * {@link ReferenceModel}, then compares what clients were told with what the log did.
 *
 * <ul>
 *   <li>MODEL: at most one holder per lock; every ok acquire names a grant of the log to that
 *       client on that lock with that token.
 *   <li>LOST_ACK: every ok acquire's token was granted, every ok release / renew of token T by
 *       a client is a successful release / renew of that holding in the log.
 *   <li>FAIL_APPLIED (only where decidable): a failed release whose holding the log shows
 *       released by that client, with no ok or info release of it by that client; a grant of
 *       the log that no ok acquire acknowledges while the client's every acquire of that lock
 *       completed ok or fail (no info, no killed invoke), so a failed one must have taken
 *       effect. Failed renews are not checked: a client's keep-alive renews without a history
 *       line.
 *   <li>FENCING (with the log): every write the resource accepted carries a token the log
 *       granted to the writer on that lock.
 *   <li>LEASE_PROMISE: no lease or session expired before its holder's local deadline
 *       ({@link LeasePromiseChecks}).
 *   <li>SESSIONS: the session operations against the log's sessions ({@link SessionChecks}).
 *   <li>LINEARIZABILITY: acknowledged operations pin the real time of log entries
 *       ({@link LogClock}); they must not contradict each other, and every ok read must have
 *       seen a state of the lock that held at some instant between its invoke and return.
 * </ul>
 */
final class LogChecks {
  private final List<Op> ops;
  private final List<RunData.ResourceWrite> writes;
  private final NodeDump log;
  private final CheckReport report;
  private final ReferenceModel model = new ReferenceModel();
  private final LogClock clock = new LogClock();
  /** Acknowledged acquires, releases and renews of each holding, for printing. */
  private final Map<Key, List<Op>> acksByHolding = new HashMap<>();

  LogChecks(List<Op> ops, List<RunData.ResourceWrite> writes, NodeDump log,
      CheckReport report) {
    this.ops = ops;
    this.writes = writes;
    this.log = log;
    this.report = report;
  }

  void run() {
    if (!replay()) {
      return;
    }
    report.count("model grants", model.grantCount());
    report.count("model releases", model.releaseCount());
    report.count("model expiries", model.expiredCount());
    model.invariantViolations().forEach(v -> report.violation(Check.MODEL, v, List.of()));
    checkAcquires();
    checkReleasesAndRenews();
    checkFailedReleases();
    checkUnexplainedGrants();
    checkWriteTokens();
    SessionChecks sessions = new SessionChecks(ops, model, clock, report);
    sessions.run();
    sessions.countStaleWrites(writes);
    clock.seal();
    report.count("real-time anchors", clock.anchors());
    checkContradictions();
    checkReads();
    new LeasePromiseChecks(ops, model, clock, report).run();
  }

  private boolean replay() {
    if (!log.entries().isEmpty() && log.entries().get(0).index() != 1) {
      report.violation(Check.MODEL, log.file() + " starts at index "
          + log.entries().get(0).index() + ", not 1: the log cannot be replayed (snapshots "
          + "must be disabled in nemesis runs)", List.of());
      return false;
    }
    for (NodeDump.Entry e : log.entries()) {
      if (!e.type().equals("NORMAL")) {
        model.skip(e.index(), e.type());
        continue;
      }
      LockCommand cmd;
      try {
        cmd = LockCommandCodec.decode(Base64.getDecoder().decode(e.data()));
      } catch (IllegalArgumentException | LockCodecException ex) {
        model.skip(e.index(), "undecodable");
        report.violation(Check.MODEL, "committed entry " + e.index() + " is not a lock "
            + "command: " + ex.getMessage(), List.of(e.line()));
        continue;
      }
      model.apply(e.index(), cmd);
    }
    model.commandCounts().forEach((k, v) -> report.count("log " + k, v));
    return true;
  }

  /** Every ok acquire is a grant of the log to that client, on that lock, with that token. */
  private void checkAcquires() {
    Map<Key, Op> first = new HashMap<>();
    Set<String> infoAcquires = new HashSet<>(); // "process lock" with an info acquire so far
    List<Op> byInvoke = new ArrayList<>(ops);
    byInvoke.sort(Comparator.comparingLong(Op::invokeT));
    for (Op op : byInvoke) {
      if (op.is("acquire", Op.Outcome.INFO)) {
        infoAcquires.add(op.process() + " " + op.lock());
      }
      if (!op.is("acquire", Op.Outcome.OK) || op.token() < 1) {
        continue;
      }
      Holding h = model.holding(op.lock(), op.process(), op.token());
      if (h == null) {
        reportUnmatchedAcquire(op);
        continue;
      }
      Key key = new Key(op.lock(), op.process(), op.token());
      acksByHolding.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
      // The ack came after the grant at the token's index committed.
      clock.upper(op.token(), op);
      // The first ack of a holding is the acquire whose entry (at or before the token) was
      // created after its invoke, unless an info acquire before it may have been the one.
      if (first.putIfAbsent(key, op) == null
          && !infoAcquires.contains(op.process() + " " + op.lock())) {
        clock.lower(op.token(), op);
      }
    }
  }

  /**
   * An ok acquire the log does not show granted: if the log gave that token of the lock to
   * another client, or another client held the lock at that index, the acknowledgement implies
   * two holders (MODEL); otherwise the grant is simply missing from the log (LOST_ACK).
   */
  private void reportUnmatchedAcquire(Op op) {
    Holding byToken = model.holdingWithToken(op.lock(), op.token());
    Holding then = model.holderAt(op.lock(), op.token());
    if (byToken != null) {
      report.violation(Check.MODEL, "acknowledged acquire of " + op.lock() + " by "
          + op.process() + " with token " + op.token() + " contradicts the log, which gave "
          + "token " + op.token() + " of " + op.lock() + " to " + byToken.client(), op.lines());
    } else if (then != null && (!then.client().equals(op.process())
        || then.session() != op.session())) {
      report.violation(Check.MODEL, "acknowledged acquire of " + op.lock() + " by "
          + op.process() + " with token " + op.token() + " implies two holders: in the log "
          + op.lock() + " was " + describe(then) + " at index " + op.token(), op.lines());
    } else {
      report.violation(Check.LOST_ACK, "acknowledged acquire of " + op.lock() + " with token "
          + op.token() + " is not a grant in the committed log (" + describe(then) + " at "
          + "index " + op.token() + "; log ends at " + model.lastIndex() + ")", op.lines());
    }
  }

  private static String describe(Holding h) {
    return h == null ? "lock free" : "held by " + h.client()
        + (h.session() > 0 ? " (session " + h.session() + ")" : "") + " with token " + h.token();
  }

  /** Every ok release / renew of token T is a successful release / renew in the log. */
  private void checkReleasesAndRenews() {
    Set<Key> releaseTried = new HashSet<>(); // ok or info releases seen so far, by invoke
    List<Op> byInvoke = new ArrayList<>(ops);
    byInvoke.sort(Comparator.comparingLong(Op::invokeT));
    for (Op op : byInvoke) {
      Key key = new Key(op.lock(), op.process(), op.token());
      if (op.f().equals("release") && op.outcome() != Op.Outcome.FAIL) {
        boolean firstTry = releaseTried.add(key);
        if (op.ok()) {
          ReferenceModel.HolderCommand r = model.release(op.lock(), op.process(), op.token());
          if (r == null) {
            report.violation(Check.LOST_ACK, "acknowledged release of " + op.lock()
                + " token " + op.token() + " by " + op.process() + " is not in the committed "
                + "log (" + fate(key) + ")", op.lines());
            continue;
          }
          acksByHolding.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
          clock.upper(r.index(), op);
          if (firstTry) {
            clock.lower(r.index(), op); // its own entry is the release that succeeded
          }
        }
      } else if (op.is("renew", Op.Outcome.OK)) {
        List<ReferenceModel.HolderCommand> renews =
            model.renews(op.lock(), op.process(), op.token());
        if (renews.isEmpty()) {
          report.violation(Check.LOST_ACK, "acknowledged renew of " + op.lock() + " token "
              + op.token() + " by " + op.process() + " is not in the committed log ("
              + fate(key) + ")", op.lines());
          continue;
        }
        acksByHolding.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
        clock.upper(renews.get(0).index(), op); // it waited for one of them, at least the first
      }
    }
  }

  private String fate(Key key) {
    Holding h = model.holding(key.lock(), key.client(), key.token());
    if (h == null) {
      return "the log never granted that holding";
    }
    return h.endIndex() == Long.MAX_VALUE ? "the holding is still in force at the end of the log"
        : "the holding ended by " + h.endedBy() + " at index " + h.endIndex();
  }

  /** A failed release must not have released: decidable when no ok/info release could have. */
  private void checkFailedReleases() {
    Set<Key> maybeReleased = new HashSet<>();
    for (Op op : ops) {
      if (op.f().equals("release") && op.outcome() != Op.Outcome.FAIL) {
        maybeReleased.add(new Key(op.lock(), op.process(), op.token()));
      }
    }
    for (Op op : ops) {
      Key key = new Key(op.lock(), op.process(), op.token());
      if (op.is("release", Op.Outcome.FAIL) && !maybeReleased.contains(key)
          && model.release(op.lock(), op.process(), op.token()) != null) {
        report.violation(Check.FAIL_APPLIED, "failed release of " + op.lock() + " token "
            + op.token() + " by " + op.process() + " took effect (released at index "
            + model.release(op.lock(), op.process(), op.token()).index() + ")", op.lines());
      }
    }
  }

  /**
   * A grant no ok acquire acknowledges, to a client whose acquires of that lock all completed
   * ok or fail: one of its failed acquires took effect (or it was never asked for).
   */
  private void checkUnexplainedGrants() {
    Set<String> processes = new HashSet<>();
    Set<String> uncertain = new HashSet<>(); // "process lock" with an info acquire
    Map<String, List<Op>> failed = new HashMap<>();
    for (Op op : ops) {
      processes.add(op.process());
      String pl = op.process() + " " + op.lock();
      if (op.is("acquire", Op.Outcome.INFO)) {
        uncertain.add(pl);
      } else if (op.is("acquire", Op.Outcome.FAIL)) {
        failed.computeIfAbsent(pl, k -> new ArrayList<>()).add(op);
      }
    }
    for (List<Holding> holdings : model.holdingsByLock().values()) {
      for (Holding h : holdings) {
        String pl = h.client() + " " + h.lock();
        Key key = new Key(h.lock(), h.client(), h.token());
        boolean acknowledged = acksByHolding.getOrDefault(key, List.of()).stream()
            .anyMatch(op -> op.f().equals("acquire"));
        if (acknowledged || uncertain.contains(pl) || !processes.contains(h.client())) {
          continue;
        }
        List<String> lines = new ArrayList<>();
        failed.getOrDefault(pl, List.of()).forEach(op -> lines.addAll(op.lines()));
        report.violation(Check.FAIL_APPLIED, "the log granted " + h.lock() + " to "
            + h.client() + " with token " + h.token() + ", but no acquire of " + h.client()
            + " was acknowledged with it or is uncertain; "
            + (lines.isEmpty() ? "it never asked" : "one of its failed acquires took effect"),
            lines);
      }
    }
  }

  /** The resource accepted only tokens the log granted to the writer on that lock. */
  private void checkWriteTokens() {
    for (RunData.ResourceWrite w : writes) {
      if (w.accepted() && model.holding(w.lock(), w.process(), w.token()) == null) {
        report.violation(Check.FENCING, w.lock() + ": write accepted with token " + w.token()
            + ", which the log never granted to " + w.process(), List.of(w.line()));
      }
    }
  }

  private void checkContradictions() {
    for (LogClock.Contradiction c : clock.contradictions()) {
      report.violation(Check.LINEARIZABILITY, c.late() + " was invoked after " + c.early()
          + " returned, yet its entry (at or before index " + c.lateIndex() + ") precedes "
          + "entry " + c.earlyIndex() + " that " + c.early().process() + " waited for",
          Checker.concat(c.early().lines(), c.late().lines()));
    }
  }

  /** Every ok read saw a state of its lock that held at some instant of its interval. */
  private void checkReads() {
    long checked = 0;
    for (Op read : ops) {
      if (!read.is("read", Op.Outcome.OK)) {
        continue;
      }
      checked++;
      if (read.holder() != null) {
        checkHeldRead(read);
      } else {
        checkFreeRead(read);
      }
    }
    report.count("reads checked", checked);
  }

  private void checkHeldRead(Op read) {
    Holding h = model.holding(read.lock(), read.holder(), read.token());
    if (h == null) {
      report.violation(Check.LINEARIZABILITY, "read of " + read.lock() + " returned holder "
          + read.holder() + " with token " + read.token() + ", a holding the log never "
          + "granted", read.lines());
    } else if (!observable(read, h.startIndex(), h.endIndex())) {
      List<String> lines = new ArrayList<>(read.lines());
      acksOf(h).forEach(op -> lines.addAll(op.lines()));
      report.violation(Check.LINEARIZABILITY, "read of " + read.lock() + " returned holder "
          + read.holder() + " with token " + read.token() + ", which was not in force at any "
          + "instant of the read", lines);
    }
  }

  /**
   * A free read must have run at an instant between two holdings. Walks the holdings backwards
   * from the last one that can have started before the read returned, and stops at the first
   * that certainly started before the read was invoked: earlier states were over by then.
   */
  private void checkFreeRead(Op read) {
    List<Holding> holdings = model.holdingsByLock().getOrDefault(read.lock(), List.of());
    long lastState = clock.lastStateBefore(read.returnT());
    int i = holdings.size() - 1;
    while (i >= 0 && holdings.get(i).startIndex() > lastState) {
      i--;
    }
    long nextStart = i + 1 < holdings.size() ? holdings.get(i + 1).startIndex() : Long.MAX_VALUE;
    List<Holding> overlapping = new ArrayList<>();
    for (; i >= 0; i--) {
      Holding h = holdings.get(i);
      if (observable(read, h.endIndex(), nextStart)) {
        return;
      }
      if (observable(read, h.startIndex(), h.endIndex())) {
        overlapping.add(h);
      }
      nextStart = h.startIndex();
      if (clock.upper(h.startIndex()) < read.invokeT()) {
        break; // h began before the read: the states before it cannot have been seen
      }
    }
    if (i < 0 && observable(read, 0, nextStart)) {
      return;
    }
    List<String> lines = new ArrayList<>(read.lines());
    overlapping.forEach(h -> acksOf(h).forEach(op -> lines.addAll(op.lines())));
    report.violation(Check.LINEARIZABILITY, "read said " + read.lock() + " was free, but it "
        + "was held during the whole read", lines);
  }

  private boolean observable(Op read, long fromIndex, long toIndex) {
    return clock.observable(fromIndex, toIndex, read.invokeT(), read.returnT());
  }

  private List<Op> acksOf(Holding h) {
    return acksByHolding.getOrDefault(new Key(h.lock(), h.client(), h.token()), List.of());
  }
}
