package io.raftlock.nemesis.check;

import io.raftlock.nemesis.check.CheckReport.Check;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a nemesis run directory (spec §5): reads the histories, the fenced resource's log, the
 * nemesis log and the node dumps, and reports every violation with the raw lines that show it.
 *
 * <p>Every check is meant to be sound: it reports only what no correct cluster and truthful
 * clients could produce ({@code ok} = acknowledged, {@code fail} = certainly not applied,
 * {@code info} = may take effect any time after its invoke). Checks that need the committed
 * log (model, lost acknowledgements, failed operations, linearizability) are in
 * {@link LogChecks}; the others are here.
 */
public final class Checker {
  /**
   * Liveness: some acquire must succeed within this long after the final heal. A healthy cluster
   * elects within about a second and the clients retry for a few TTLs, so 15 s is generous, and
   * short enough that the harness's post-heal client time (20 s) decides it.
   */
  static final long LIVENESS_WINDOW_NANOS = 15_000_000_000L;

  private final RunData run;
  private final CheckReport report = new CheckReport();

  private Checker(RunData run) {
    this.run = run;
  }

  /** Checks the run in {@code runDir}; throws only if the directory cannot be read. */
  public static CheckReport check(Path runDir) {
    return new Checker(RunData.read(runDir)).run();
  }

  /** {@code Checker RUN_DIR}: prints the summary and the violations; exit 1 on violations. */
  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** What {@link #main} does, returning the exit code: 0 ok, 1 violations, 2 bad usage. */
  static int run(String[] args, PrintStream out) {
    if (args.length != 1) {
      out.println("usage: Checker RUN_DIR");
      return 2;
    }
    CheckReport report;
    try {
      report = check(Path.of(args[0]));
    } catch (IllegalArgumentException | UncheckedIOException e) {
      out.println("cannot check " + args[0] + ": " + e.getMessage());
      return 2;
    }
    out.print(report);
    return report.ok() ? 0 : 1;
  }

  private CheckReport run() {
    countInputs();
    checkInput();
    checkTokens();
    NodeDump longest = checkLogAgreement();
    if (longest != null) {
      new LogChecks(run.ops, run.writes, longest, report).run();
    }
    checkFencing();
    checkConvergence();
    checkLiveness();
    return report;
  }

  private void countInputs() {
    report.count("history files", run.historyFiles);
    report.count("operations", run.ops.size());
    Map<String, Long> byKind = new TreeMap<>();
    for (Op op : run.ops) {
      byKind.merge("ops " + op.f() + " " + op.outcome().name().toLowerCase(), 1L, Long::sum);
    }
    byKind.forEach(report::count);
    report.count("invokes without completion (killed clients)",
        run.ops.stream().filter(Op::dangling).count());
    Map<String, Long> faults = new TreeMap<>();
    for (RunData.NemesisEvent e : run.nemesis) {
      if (e.phase().equals("start")) {
        faults.merge("faults " + e.fault(), 1L, Long::sum);
      }
    }
    faults.forEach(report::count);
    report.count("dumps", run.dumps.size());
  }

  private void checkInput() {
    for (History.Problem p : run.historyProblems) {
      if (p.tolerated()) {
        report.note(p.message());
      } else {
        report.violation(Check.INPUT, p.message(), List.of(p.line()));
      }
    }
    for (String p : run.resourceProblems) {
      report.violation(Check.INPUT, p, List.of());
    }
    for (NodeDump d : run.dumps) {
      d.problems().forEach(p -> report.violation(Check.INPUT, p, List.of()));
    }
    if (run.historyFiles == 0) {
      report.violation(Check.INPUT, "no history-*.jsonl in the run directory", List.of());
    }
    for (Op op : run.ops) {
      if (op.is("acquire", Op.Outcome.OK) && op.token() < 1) {
        report.violation(Check.INPUT, "ok acquire without a token", op.lines());
      }
    }
  }

  /**
   * Tokens of ok acquires: on one lock, one token names one holding (a holder that acquires
   * again gets its own token back), and if acquire A returned before acquire B of the same lock
   * was invoked, token(A) < token(B) (or the same holding again).
   *
   * <p>Tokens are not unique across locks: one {@code Expire} entry that ends several leases
   * promotes a waiter on each of those locks, all with that entry's index as token. Whether an
   * acknowledged token is a grant of the log to that client on that lock is checked against
   * the replayed log ({@link LogChecks}).
   */
  private void checkTokens() {
    List<Op> acks = run.ops.stream()
        .filter(op -> op.is("acquire", Op.Outcome.OK) && op.token() >= 1).toList();
    Map<String, Op> byLockAndToken = new HashMap<>();
    for (Op op : acks) {
      Op first = byLockAndToken.putIfAbsent(op.lock() + " " + op.token(), op);
      if (first != null && !first.process().equals(op.process())) {
        report.violation(Check.TOKENS, op.lock() + ": token " + op.token()
            + " acknowledged to two clients, " + first.process() + " and " + op.process(),
            concat(first.lines(), op.lines()));
      }
    }
    Map<String, List<Op>> byLock = new TreeMap<>();
    acks.forEach(op -> byLock.computeIfAbsent(op.lock(), k -> new ArrayList<>()).add(op));
    byLock.values().forEach(this::checkRealTimeOrder);
  }

  private void checkRealTimeOrder(List<Op> acks) {
    List<Op> byInvoke = new ArrayList<>(acks);
    byInvoke.sort(Comparator.comparingLong(Op::invokeT));
    List<Op> byReturn = new ArrayList<>(acks);
    byReturn.sort(Comparator.comparingLong(Op::returnT));
    Op max = null; // the returned acquire with the highest token so far
    int r = 0;
    for (Op b : byInvoke) {
      while (r < byReturn.size() && byReturn.get(r).returnT() < b.invokeT()) {
        Op a = byReturn.get(r++);
        if (max == null || a.token() > max.token()) {
          max = a;
        }
      }
      if (max != null && max.token() > b.token()) {
        report.violation(Check.TOKENS, b.lock() + ": token " + b.token() + " acknowledged to "
            + b.process() + " is below token " + max.token() + " acknowledged to "
            + max.process() + " before " + b.process() + " even asked",
            concat(max.lines(), b.lines()));
      }
    }
  }

  /**
   * Committed entries are the same on every node that has them (state machine safety, Raft
   * §5.4.3). Returns the longest dump (the most committed entries), {@code null} if none.
   */
  private NodeDump checkLogAgreement() {
    if (run.dumps.isEmpty()) {
      report.violation(Check.INPUT, "no dump-*.jsonl: the committed log cannot be checked",
          List.of());
      return null;
    }
    for (NodeDump d : run.dumps) {
      checkContiguous(d);
    }
    NodeDump longest = run.dumps.stream().max(Comparator.comparingLong(NodeDump::lastIndex))
        .orElseThrow();
    Map<Long, NodeDump.Entry> reference = new HashMap<>();
    longest.entries().forEach(e -> reference.put(e.index(), e));
    for (NodeDump d : run.dumps) {
      if (d == longest) {
        continue;
      }
      long compared = 0;
      for (NodeDump.Entry e : d.entries()) {
        NodeDump.Entry ref = reference.get(e.index());
        if (ref == null) {
          continue;
        }
        compared++;
        if (ref.term() != e.term() || !ref.type().equals(e.type())
            || !ref.data().equals(e.data())) {
          report.violation(Check.LOG_AGREEMENT, "committed entry " + e.index() + " differs: "
              + d.node() + " vs " + longest.node() + " (later entries not compared)",
              List.of(d.file() + ": " + e.line(), longest.file() + ": " + ref.line()));
          break;
        }
      }
      report.add("log entries compared across nodes", compared);
    }
    report.count("log entries (longest dump)", longest.entries().size());
    return longest;
  }

  private void checkContiguous(NodeDump d) {
    long expected = d.entries().isEmpty() ? 0 : d.entries().get(0).index();
    for (NodeDump.Entry e : d.entries()) {
      if (e.index() != expected) {
        report.violation(Check.INPUT, d.file() + ": entry " + expected + " missing (next is "
            + e.index() + ")", List.of(e.line()));
        return;
      }
      expected++;
    }
    if (!d.entries().isEmpty() && d.lastIndex() != d.commitIndex()) {
      report.violation(Check.INPUT, d.file() + ": last entry " + d.lastIndex()
          + " is not the header's commitIndex " + d.commitIndex(), List.of());
    }
  }

  /**
   * The resource accepts a write only with a token at least the highest it accepted for the
   * lock: an accepted lower token is a stale write that got through. Rejected writes are the
   * overlapping client-believed holds that fencing caught.
   */
  private void checkFencing() {
    if (!run.hasResourceLog) {
      report.note("no resource.jsonl: fencing not checked");
      return;
    }
    Map<String, RunData.ResourceWrite> highest = new HashMap<>();
    long accepted = 0;
    long rejected = 0;
    for (RunData.ResourceWrite w : run.writes) {
      RunData.ResourceWrite top = highest.get(w.lock());
      if (!w.accepted()) {
        rejected++;
        continue;
      }
      accepted++;
      if (top != null && w.token() < top.token()) {
        report.violation(Check.FENCING, w.lock() + ": write with token " + w.token() + " by "
            + w.process() + " accepted after token " + top.token() + " was",
            List.of(top.line(), w.line()));
      } else {
        highest.put(w.lock(), w);
      }
    }
    report.count("resource writes accepted", accepted);
    report.count("stale writes caught by fencing (rejected)", rejected);
  }

  /** Dumps taken at the same applied index describe the same state (same hash). */
  private void checkConvergence() {
    long maxApplied = run.dumps.stream().mapToLong(NodeDump::appliedIndex).max().orElse(0);
    report.count("max applied index", maxApplied);
    List<NodeDump> atMax = run.dumps.stream()
        .filter(d -> d.appliedIndex() == maxApplied).toList();
    report.count("dumps at the max applied index", atMax.size());
    if (atMax.size() < run.dumps.size()) {
      report.note((run.dumps.size() - atMax.size())
          + " dump(s) below the max applied index: their hash is not compared");
    }
    for (NodeDump d : atMax) {
      if (!d.stateHash().equals(atMax.get(0).stateHash())) {
        report.violation(Check.CONVERGENCE, "state hash at applied index " + maxApplied + ": "
            + atMax.get(0).node() + " has " + atMax.get(0).stateHash() + ", " + d.node()
            + " has " + d.stateHash(), List.of(atMax.get(0).file(), d.file()));
      }
    }
  }

  /**
   * After the final heal (the last nemesis line) the cluster is healthy: some acquire must
   * succeed within {@link #LIVENESS_WINDOW_NANOS}. Decided only if the histories reach that
   * far or an acquire succeeded.
   */
  private void checkLiveness() {
    if (run.nemesis.isEmpty()) {
      report.note("no nemesis.jsonl lines: liveness after the final heal not checked");
      return;
    }
    RunData.NemesisEvent last = run.nemesis.get(run.nemesis.size() - 1);
    if (!last.fault().equals("heal") || !last.phase().equals("end")) {
      report.violation(Check.INPUT, "the last nemesis line is not the final heal",
          List.of(last.line()));
      return;
    }
    long healT = last.t();
    long deadline = healT + LIVENESS_WINDOW_NANOS;
    Op first = run.ops.stream()
        .filter(op -> op.is("acquire", Op.Outcome.OK) && op.returnT() >= healT)
        .min(Comparator.comparingLong(Op::returnT)).orElse(null);
    long historyEnd = run.ops.stream()
        .mapToLong(op -> op.dangling() ? op.invokeT() : op.returnT()).max().orElse(healT);
    if (first != null && first.returnT() <= deadline) {
      report.count("ms from final heal to first acquire", (first.returnT() - healT) / 1_000_000);
    } else if (historyEnd >= deadline) {
      report.violation(Check.LIVENESS, "no acquire succeeded within "
          + LIVENESS_WINDOW_NANOS / 1_000_000_000 + " s of the final heal", first == null
          ? List.of(last.line()) : concat(List.of(last.line()), first.lines()));
    } else {
      report.note("liveness undecided: no acquire succeeded in the "
          + (historyEnd - healT) / 1_000_000 + " ms the histories run after the final heal");
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
