package io.raftlock.nemesis.check;

import io.raftlock.client.RaftLockClient;
import io.raftlock.nemesis.check.CheckReport.Check;
import io.raftlock.nemesis.check.ReferenceModel.Holding;
import io.raftlock.nemesis.check.ReferenceModel.SessionRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LEASE_PROMISE: the cluster never ends a lease before its holder's local deadline, the promise
 * of docs/client.md ({@link RaftLockClient#localDeadline}: TTL less the client's margin, from the
 * moment the request that started the lease was first sent).
 *
 * <p>For every holding the log ends by {@code expire} (a client-owned lease) and every session
 * it ends by {@code session-expire} (with all its holds):
 *
 * <ul>
 *   <li><b>Start.</b> The latest instant the holder's TTL certainly restarted no earlier than: the
 *       invoke of each of its acknowledged renews (and, for a session, keep-alives and resumes),
 *       whose own entry was created after that invoke; and the lower bound of the entry that
 *       granted the lease or opened the session ({@link LogClock#lower}, which the holder's own
 *       first acknowledged acquire or open pins when nothing earlier of its could have been that
 *       entry). Invokes are taken before a request's first send, so a retried request counts
 *       from its first try.
 *   <li><b>Deadline</b> = {@code localDeadline(start, TTL)}, the TTL of the entry that started
 *       it (the session's TTL for a session).
 *   <li><b>Expiry no later than</b> the return of the first acknowledged operation that waited
 *       for the expiring entry or a later one ({@link LogClock#upper}), e.g. another client's
 *       acquire of the freed lock with a higher token.
 * </ul>
 *
 * A violation is an expiry certainly before the deadline. Every bound is one a correct cluster
 * satisfies whatever the clocks do (the histories share one monotonic clock), so the rule has no
 * false alarms; expiries with no acknowledged start or no later acknowledged operation are
 * counted as undecided.
 */
final class LeasePromiseChecks {
  /** The instant a lease certainly restarted no earlier than, and the lines that show it. */
  private record Start(long t, long ttlMs, List<String> lines) {
    long deadline() {
      return RaftLockClient.localDeadline(t, Duration.ofMillis(ttlMs));
    }
  }

  private final List<Op> ops;
  private final ReferenceModel model;
  private final LogClock clock;
  private final CheckReport report;
  private long checked;
  private long undecided;
  private long leastSlackNanos = Long.MAX_VALUE;

  LeasePromiseChecks(List<Op> ops, ReferenceModel model, LogClock clock, CheckReport report) {
    this.ops = ops;
    this.model = model;
    this.clock = clock;
    this.report = report;
  }

  /** Runs after the clock is sealed. */
  void run() {
    Map<ReferenceModel.Key, List<Op>> renewsByHolding = new HashMap<>();
    Map<Long, List<Op>> keepAlivesBySession = new HashMap<>();
    for (Op op : ops) {
      if (!op.ok()) {
        continue;
      }
      if (op.session() == 0 && op.f().equals("renew")) {
        renewsByHolding.computeIfAbsent(new ReferenceModel.Key(op.lock(), op.process(),
            op.token()), k -> new ArrayList<>()).add(op);
      } else if (op.session() > 0 && List.of("keepalive", "resume", "renew").contains(op.f())) {
        keepAlivesBySession.computeIfAbsent(op.session(), k -> new ArrayList<>()).add(op);
      }
    }
    for (List<Holding> holdings : model.holdingsByLock().values()) {
      for (Holding h : holdings) {
        if ("expire".equals(h.endedBy())) {
          checkLease(h, renewsByHolding.getOrDefault(
              new ReferenceModel.Key(h.lock(), h.client(), h.token()), List.of()));
        }
      }
    }
    for (long id = 1; id <= model.lastIndex(); id++) {
      SessionRecord r = model.session(id);
      if (r != null && "session-expire".equals(r.endedBy())) {
        checkSession(r, keepAlivesBySession.getOrDefault(id, List.of()));
      }
    }
    report.count("lease promise: expiries checked against the holder's deadline", checked);
    report.count("lease promise: expiries undecided (no acknowledged start or later op)",
        undecided);
    if (leastSlackNanos != Long.MAX_VALUE) {
      report.count("lease promise: least slack ms (expiry bound - holder's deadline)",
          leastSlackNanos / 1_000_000);
    }
  }

  private void checkLease(Holding h, List<Op> renews) {
    long grantTtlMs = model.leaseTtlAt(h.startIndex());
    Start start = entryStart(h.startIndex(), grantTtlMs);
    long renewTtlMs = model.renews(h.lock(), h.client(), h.token()).stream()
        .mapToLong(c -> model.leaseTtlAt(c.index())).min().orElse(grantTtlMs);
    for (Op renew : renews) {
      start = later(start, new Start(renew.invokeT(), renewTtlMs, renew.lines()));
    }
    decide(start, h.endIndex(), h.lock() + " token " + h.token() + " of " + h.client()
        + " expired at index " + h.endIndex());
  }

  private void checkSession(SessionRecord r, List<Op> keepAlives) {
    Start start = entryStart(r.id(), r.ttlMs());
    for (Op op : keepAlives) {
      start = later(start, new Start(op.invokeT(), r.ttlMs(), op.lines()));
    }
    decide(start, r.endIndex(), "session " + r.id() + " of " + r.name() + " expired at index "
        + r.endIndex());
  }

  /** The lower bound of the entry at {@code index}, or {@code null} if unknown. */
  private Start entryStart(long index, long ttlMs) {
    LogClock.Anchor a = clock.lowerAnchor(index);
    return a == null || ttlMs <= 0 ? null : new Start(a.t(), ttlMs, a.op().lines());
  }

  private static Start later(Start a, Start b) {
    return a == null || b.deadline() > a.deadline() ? b : a;
  }

  private void decide(Start start, long expiryIndex, String what) {
    LogClock.Anchor expiredBy = clock.upperAnchor(expiryIndex);
    if (start == null || expiredBy == null) {
      undecided++;
      return;
    }
    checked++;
    long slackNanos = expiredBy.t() - start.deadline();
    leastSlackNanos = Math.min(leastSlackNanos, slackNanos);
    if (slackNanos < 0) {
      report.violation(Check.LEASE_PROMISE, what + ", " + (-slackNanos / 1_000_000)
          + " ms or more before the holder's local deadline (TTL " + start.ttlMs() + " ms): "
          + expiredBy.op().process() + " saw a later entry (" + expiredBy.index()
          + ") before that deadline", Checker.concat(start.lines(), expiredBy.op().lines()));
    }
  }
}
