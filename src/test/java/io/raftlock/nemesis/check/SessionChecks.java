package io.raftlock.nemesis.check;

import io.raftlock.nemesis.check.CheckReport.Check;
import io.raftlock.nemesis.check.ReferenceModel.Holding;
import io.raftlock.nemesis.check.ReferenceModel.SessionRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The session side of the log checks: what a session client was told about its sessions
 * against the sessions the replayed log opened, kept alive and ended ({@link ReferenceModel}).
 *
 * <ul>
 *   <li>An ok {@code open} names a session the log opened, at that index, under the process's
 *       name; it pins that entry between its invoke and return.
 *   <li>An ok {@code keepalive} / {@code resume} of session S: the log kept S alive at least once.
 *   <li>An ok {@code close} of S: the log closed S; the close entry was applied before it returned.
 *   <li>A definite {@code SESSION_NOT_FOUND} for S: the log ended S (expired or closed), before
 *       the refusal returned.
 *   <li>An ok acquire, release or renew in session S concerns a holding the log gave to S (and an
 *       unary one a client-owned holding).
 * </ul>
 *
 * <p>Also counts how the holdings behind refused (stale) writes ended, so that writes after a
 * session expiry are seen to be caught by fencing like those after a lease expiry.
 */
final class SessionChecks {
  private static final String NOT_FOUND = "SESSION_NOT_FOUND";

  private final List<Op> ops;
  private final ReferenceModel model;
  private final LogClock clock;
  private final CheckReport report;

  SessionChecks(List<Op> ops, ReferenceModel model, LogClock clock, CheckReport report) {
    this.ops = ops;
    this.model = model;
    this.clock = clock;
    this.report = report;
  }

  /** Runs before the clock is sealed: the session entries add real-time anchors. */
  void run() {
    report.count("model sessions expired", model.sessionsEndedBy("session-expire"));
    report.count("model sessions closed", model.sessionsEndedBy("session-close"));
    report.count("model holdings ended by session expiry", model.holdingsEndedBy("session-expire"));
    report.count("model holdings ended by session close", model.holdingsEndedBy("session-close"));
    for (Op op : ops) {
      switch (op.f()) {
        case "open" -> checkOpen(op);
        case "keepalive", "resume" -> checkKeepAlive(op);
        case "close" -> checkClose(op);
        case "acquire", "release", "renew" -> checkOwner(op);
        default -> { }
      }
      if (op.outcome() == Op.Outcome.FAIL && NOT_FOUND.equals(op.error()) && op.session() > 0) {
        checkGone(op);
      }
    }
  }

  private void checkOpen(Op op) {
    if (!op.ok()) {
      return;
    }
    SessionRecord r = model.session(op.session());
    if (r == null || !r.name().equals(op.process())) {
      report.violation(Check.SESSIONS, "acknowledged open of session " + op.session() + " by "
          + op.process() + " is not an OpenSession of " + op.process() + " at index "
          + op.session() + " in the committed log", op.lines());
      return;
    }
    clock.upper(op.session(), op); // its own entry (an open is never re-sent)
    clock.lower(op.session(), op);
  }

  private void checkKeepAlive(Op op) {
    if (!op.ok()) {
      return;
    }
    SessionRecord r = model.session(op.session());
    if (r == null || r.keepAlives().isEmpty()) {
      report.violation(Check.SESSIONS, "acknowledged " + op.f() + " of session " + op.session()
          + " by " + op.process() + ": the committed log never kept that session alive",
          op.lines());
    }
  }

  private void checkClose(Op op) {
    if (!op.ok()) {
      return;
    }
    SessionRecord r = model.session(op.session());
    if (r == null || !"session-close".equals(r.endedBy())) {
      report.violation(Check.SESSIONS, "acknowledged close of session " + op.session() + " by "
          + op.process() + " is not in the committed log ("
          + (r == null ? "never opened" : r.endedBy() == null ? "still live at the end"
              : "ended by " + r.endedBy() + " at index " + r.endIndex()) + ")", op.lines());
      return;
    }
    clock.upper(r.endIndex(), op);
  }

  /** The session was refused as gone: the log must have ended it, before the answer. */
  private void checkGone(Op op) {
    SessionRecord r = model.session(op.session());
    if (r == null) {
      return; // never opened: the refusal is right (its open was not acknowledged either)
    }
    if (r.endIndex() == Long.MAX_VALUE) {
      report.violation(Check.SESSIONS, op.f() + " in session " + op.session() + " by "
          + op.process() + " was refused with " + NOT_FOUND + ", but the committed log has the "
          + "session live to its end (index " + model.lastIndex() + ")", op.lines());
      return;
    }
    clock.upper(r.endIndex(), op);
  }

  /** An acknowledged lock operation concerns a holding of its own session (or of no session). */
  private void checkOwner(Op op) {
    if (!op.ok() || op.token() < 1) {
      return;
    }
    Holding h = model.holding(op.lock(), op.process(), op.token());
    if (h != null && h.session() != op.session()) {
      report.violation(Check.SESSIONS, "acknowledged " + op.f() + " of " + op.lock() + " token "
          + op.token() + " by " + op.process() + " in " + owner(op.session()) + ", but the log "
          + "gave that holding to " + owner(h.session()), op.lines());
    }
  }

  private static String owner(long session) {
    return session == 0 ? "no session (client-owned)" : "session " + session;
  }

  /** How the holdings behind the writes the resource refused had ended, by kind. */
  void countStaleWrites(List<RunData.ResourceWrite> writes) {
    Map<String, Long> byEnd = new TreeMap<>();
    for (RunData.ResourceWrite w : writes) {
      if (!w.accepted()) {
        Holding h = model.holding(w.lock(), w.process(), w.token());
        String end = h == null ? "unknown" : h.endedBy() == null ? "still held" : h.endedBy();
        byEnd.merge("stale writes caught by fencing, holding ended by " + end, 1L, Long::sum);
      }
    }
    byEnd.forEach(report::count);
  }
}
