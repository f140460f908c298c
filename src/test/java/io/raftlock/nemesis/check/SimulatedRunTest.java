package io.raftlock.nemesis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockStateMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No false alarms: random runs of a correct system (the product's state machine behind a log
 * that commits one entry at a time) with truthful clients must pass every check. Clients
 * invoke, their commands commit some time later, answers come back later still or get lost
 * (info), reads observe the state at some instant of their interval, clients get killed, and
 * leases expire. Three of the five clients work in sessions: they open one, keep it alive now and
 * then (a gap or a kill lets it expire with its locks), and open a new one once told
 * {@code SESSION_NOT_FOUND}. The checker must find nothing, whatever the interleaving.
 */
class SimulatedRunTest {
  @TempDir Path root;

  @Test
  void correctRunsPassEveryCheck() throws IOException {
    long ops = 0;
    long reads = 0;
    long anchors = 0;
    long stale = 0;
    long sessionExpiries = 0;
    long sessionHoldsEnded = 0;
    long expiriesChecked = 0;
    for (int s = 0; s < 200; s++) {
      int seed = s;
      Path dir = Files.createDirectory(root.resolve("run-" + seed));
      new Simulation(new Random(seed), new RunDirBuilder(dir), Bug.NONE).run(400);
      CheckReport report = Checker.check(dir);
      assertEquals(List.of(), report.violations(), () -> "seed " + seed + "\n" + report);
      ops += report.counts().get("operations");
      reads += report.counts().get("reads checked");
      anchors += report.counts().get("real-time anchors");
      stale += report.counts().getOrDefault("stale writes caught by fencing (rejected)", 0L);
      sessionExpiries += report.counts().get("model sessions expired");
      sessionHoldsEnded += report.counts().get("model holdings ended by session expiry");
      expiriesChecked += report.counts().get(
          "lease promise: expiries checked against the holder's deadline");
    }
    System.out.println("simulated: " + ops + " ops, " + reads + " reads, " + anchors
        + " anchors, " + stale + " stale writes caught, " + sessionExpiries + " session expiries ending "
        + sessionHoldsEnded + " holdings, " + expiriesChecked + " expiries checked against the "
        + "holder's deadline");
    assertTrue(expiriesChecked > 1_000, "the lease promise is checked: " + expiriesChecked);
    assertTrue(sessionExpiries > 200 && sessionHoldsEnded > 50,
        "sessions expire with their locks: " + sessionExpiries + ", " + sessionHoldsEnded);
    assertTrue(ops > 5_000 && reads > 1_000 && anchors > 3_000 && stale > 20,
        "the simulation exercises the checks: " + ops + " ops, " + reads + " reads, "
            + anchors + " anchors, " + stale + " stale writes");
  }

  /** A broken system must be caught in a good share of runs. */
  @Test
  void staleReadsAreCaught() throws IOException {
    assertCaughtOften(Bug.STALE_READS, CheckReport.Check.LINEARIZABILITY);
  }

  @Test
  void entriesMissingFromTheDumpedLogAreCaught() throws IOException {
    assertCaughtOften(Bug.DROPPED_ENTRIES, CheckReport.Check.LOST_ACK);
  }

  @Test
  void expiriesBeforeTheHoldersDeadlineAreCaught() throws IOException {
    assertCaughtOften(Bug.EARLY_EXPIRY, CheckReport.Check.LEASE_PROMISE);
  }

  private void assertCaughtOften(Bug bug, CheckReport.Check check) throws IOException {
    int caught = 0;
    int runs = 40;
    for (int seed = 0; seed < runs; seed++) {
      Path dir = Files.createDirectory(root.resolve(bug + "-" + seed));
      new Simulation(new Random(seed), new RunDirBuilder(dir), bug).run(400);
      if (!Checker.check(dir).violations(check).isEmpty()) {
        caught++;
      }
    }
    System.out.println(bug + ": caught by " + check + " in " + caught + " of " + runs + " runs");
    assertTrue(caught >= runs / 4, bug + " caught in only " + caught + " of " + runs + " runs");
  }

  /** Bugs the simulated system can be given. */
  private enum Bug {
    NONE,
    /** Reads are served from a view that lags the log. */
    STALE_READS,
    /** Some applied (and acknowledged) entries are missing from the dumped log. */
    DROPPED_ENTRIES,
    /** Expiry decisions are taken a second early (a lease clock stepped forward). */
    EARLY_EXPIRY
  }

  /** One client operation in flight. */
  private static final class Pending {
    final String process;
    final String f;
    final String lock;
    final long token;
    final long invokeT;
    /** The session it runs in, 0 for a client-owned operation. */
    long session;
    LockCommand cmd;
    boolean committed;
    boolean waiting; // a queued acquire waiting for its grant
    LockReply reply;
    String failure; // the error a definite refusal reports, null otherwise
    long grantedToken;
    String readHolder;
    long readToken;
    boolean readDone;

    Pending(String process, String f, String lock, long token, long invokeT) {
      this.process = process;
      this.f = f;
      this.lock = lock;
      this.token = token;
      this.invokeT = invokeT;
    }
  }

  private static final class Simulation {
    final Random random;
    final RunDirBuilder run;
    final Bug bug;
    final LockStateMachine sm = new LockStateMachine();
    final Map<String, Optional<LockInfo>> laggingView = new HashMap<>();
    final List<String> clients = List.of("c1", "c2", "c3", "c4", "c5");
    final List<String> sessionClients = List.of("c1", "c2", "c3");
    final Map<String, Long> sessionOf = new HashMap<>(); // the live session a client knows of
    final Map<String, Pending> pending = new HashMap<>();
    final Map<String, Long> believedToken = new HashMap<>(); // "client lock" -> token
    final List<String> killed = new ArrayList<>();
    final Map<String, Long> highestAccepted = new HashMap<>();
    final List<Pending> uncommitted = new ArrayList<>(); // in order of proposal
    long t = 1_000;
    long index;
    int requests;

    Simulation(Random random, RunDirBuilder run, Bug bug) {
      this.random = random;
      this.run = run;
      this.bug = bug;
    }

    /** The leader's lease time: the history's ns clock in ms (one clock, as on one machine). */
    long nowMs() {
      return RunDirBuilder.T0_MS + t / 1_000_000;
    }

    void run(int steps) {
      for (int i = 0; i < steps; i++) {
        t += 1 + random.nextInt(400_000_000); // up to 400 ms per step
        step();
      }
      for (Pending p : List.copyOf(pending.values())) {
        run.dangling(p.process, p.f, p.lock, p.invokeT, p.token);
      }
      run.build(3);
    }

    void step() {
      int action = random.nextInt(10);
      if (action < 3) {
        invoke(clients.get(random.nextInt(clients.size())));
      } else if (action < 5) {
        commitNext();
      } else if (action < 8) {
        complete(clients.get(random.nextInt(clients.size())));
      } else if (action == 8) {
        // EARLY_EXPIRY: a leader whose lease time ran ahead of the others' by a second
        append(new LockCommand.Expire(nowMs() + (bug == Bug.EARLY_EXPIRY ? 1_000 : 0)));
      } else if (action == 9) {
        sessionClients.forEach(this::keepAliveOrOpen);
      } else if (random.nextInt(8) == 0 && killed.size() < 2) {
        String c = clients.get(random.nextInt(clients.size()));
        if (!killed.contains(c)) {
          killed.add(c); // its pending op, if any, stays an invoke without completion
        }
      }
    }

    /** A session client's other lane: open a session if it has none, else keep it alive. */
    void keepAliveOrOpen(String c) {
      if (killed.contains(c) || random.nextInt(4) == 0) {
        return; // a gap in the keep-alives
      }
      Long s = sessionOf.get(c);
      if (s == null) {
        if (!pending.containsKey(c)) { // the workload lane opens, between its operations
          long id = index + 1;
          append(new LockCommand.OpenSession(c, 2_000, null, nowMs()));
          sessionOf.put(c, id);
          run.inSession(c, id, "ok", "open", "", t, t + 2, 0, null);
        }
        return;
      }
      LockReply r = append(new LockCommand.KeepAlive(s, nowMs()));
      if (r instanceof LockReply.Error e) {
        sessionOf.remove(c);
        run.inSession(c, s, "fail", "keepalive", "", t, t + 2, 0, e.code().name());
      } else {
        run.inSession(c, s, "ok", "keepalive", "", t, t + 2, 0, null);
      }
    }

    void invoke(String c) {
      if (pending.containsKey(c) || killed.contains(c)
          || sessionClients.contains(c) && !sessionOf.containsKey(c)) {
        return;
      }
      long session = sessionOf.getOrDefault(c, 0L);
      String lock = "L" + random.nextInt(2);
      Long held = believedToken.get(c + " " + lock);
      String f;
      if (random.nextInt(4) == 0) {
        f = "read";
      } else if (held != null) {
        f = random.nextInt(3) == 0 ? "renew" : "release";
      } else {
        f = "acquire";
      }
      if (held != null && random.nextInt(4) == 0) {
        write(c, lock, held);
        return;
      }
      long token = f.equals("release") || f.equals("renew") ? held : 0;
      Pending p = new Pending(c, f, lock, token, t);
      p.session = f.equals("read") ? 0 : session;
      String req = c + "-" + (++requests);
      p.cmd = switch (f) {
        case "acquire" -> new LockCommand.Acquire(lock, c, 2_000, random.nextBoolean(), 3_000,
            0, null, req, 0, session);
        case "release" -> new LockCommand.Release(lock, c, token, req, 0, session);
        case "renew" -> new LockCommand.Renew(lock, c, token, 2_000, req, 0, session);
        default -> null;
      };
      pending.put(c, p);
      if (p.cmd != null) {
        uncommitted.add(p);
      }
    }

    /** A guarded write to the fenced resource, decided at once. */
    void write(String c, String lock, long token) {
      long highest = highestAccepted.getOrDefault(lock, 0L);
      boolean accepted = token >= highest;
      if (accepted) {
        highestAccepted.put(lock, token);
        run.ok(c, "write", lock, t, t + 2, token);
      } else {
        run.fail(c, "write", lock, t, t + 2, token, "STALE_TOKEN");
      }
      run.write(lock, token, c, accepted, Math.max(token, highest), t + 1);
    }

    /** The leader stamps its clock and commits the oldest proposal. */
    void commitNext() {
      if (uncommitted.isEmpty()) {
        return;
      }
      Pending p = uncommitted.remove(0);
      LockReply reply = append(p.cmd.withTimeMs(nowMs()));
      if (random.nextInt(6) == 0) {
        uncommitted.add(p); // the client resends it with the same request id
      }
      if (p.committed) {
        return; // a resend: the state machine answers it from its idempotency table
      }
      p.committed = true;
      p.reply = reply;
      if (reply instanceof LockReply.Error e) {
        p.failure = e.code().name();
      } else if (reply instanceof LockReply.Queued) {
        p.waiting = true;
      } else if (reply instanceof LockReply.Granted g) {
        p.grantedToken = g.token();
      }
    }

    LockReply append(LockCommand cmd) {
      index++;
      if (bug == Bug.DROPPED_ENTRIES && random.nextInt(15) == 0) {
        run.noop(); // the dump shows something else at this index
      } else {
        run.entry(cmd);
      }
      var result = sm.apply(index, cmd);
      if (random.nextInt(8) == 0) {
        laggingView.put("L0", sm.lockInfo("L0"));
        laggingView.put("L1", sm.lockInfo("L1"));
      }
      for (LockEvent e : result.events()) {
        Pending p = pending.get(e.clientId());
        boolean forWaiter = p != null && p.waiting && p.f.equals("acquire")
            && p.lock.equals(e.lockId());
        if (forWaiter && e instanceof LockEvent.Granted g) {
          p.waiting = false;
          p.grantedToken = g.token();
        } else if (forWaiter && (e instanceof LockEvent.WaitTimedOut
            || e instanceof LockEvent.WaitCancelled)) {
          p.waiting = false;
          p.failure = "WAIT_TIMEOUT"; // never granted: a definite refusal
        }
      }
      return result.reply();
    }

    /** The client hears back (or gives up: info); a read observes the state now. */
    void complete(String c) {
      Pending p = pending.get(c);
      if (p == null || killed.contains(c)) {
        return;
      }
      if (p.f.equals("read")) {
        if (!p.readDone) {
          Optional<LockInfo> info = bug == Bug.STALE_READS
              ? laggingView.getOrDefault(p.lock, Optional.empty()) : sm.lockInfo(p.lock);
          p.readHolder = info.map(LockInfo::ownerId).orElse(null);
          p.readToken = info.map(LockInfo::token).orElse(0L);
          p.readDone = true;
        } else {
          run.read(c, p.lock, p.invokeT, t, p.readHolder, p.readToken);
          pending.remove(c);
        }
        return;
      }
      boolean answered = p.committed && !p.waiting;
      if (!answered || random.nextInt(10) == 0) {
        if (random.nextInt(3) == 0) { // gives up: uncertain, may still commit later
          record(p, "info", p.token, "DEADLINE");
          forget(c, p);
          pending.remove(c);
        }
        return;
      }
      if (p.failure != null) {
        record(p, "fail", p.token, p.failure);
        if (p.failure.equals("SESSION_NOT_FOUND")) {
          sessionOf.remove(c, p.session); // told: it opens a new one
        }
      } else if (p.f.equals("acquire")) {
        record(p, "ok", p.grantedToken, null);
        believedToken.put(c + " " + p.lock, p.grantedToken);
      } else {
        record(p, "ok", p.token, null);
        if (p.f.equals("release")) {
          believedToken.remove(c + " " + p.lock);
        }
      }
      if (p.failure != null && !p.f.equals("acquire")) {
        believedToken.remove(c + " " + p.lock); // the holding is gone
      }
      pending.remove(c);
    }

    /** The completion of {@code p}, now, in its session if it has one. */
    void record(Pending p, String type, long token, String error) {
      if (p.session == 0) {
        switch (type) {
          case "ok" -> run.ok(p.process, p.f, p.lock, p.invokeT, t, token);
          case "fail" -> run.fail(p.process, p.f, p.lock, p.invokeT, t, token, error);
          default -> run.info(p.process, p.f, p.lock, p.invokeT, t, token);
        }
      } else {
        run.inSession(p.process, p.session, type, p.f, p.lock, p.invokeT, t, token, error);
      }
    }

    /** After an uncertain outcome the client stops believing it holds the lock. */
    void forget(String c, Pending p) {
      believedToken.remove(c + " " + p.lock);
    }
  }
}
