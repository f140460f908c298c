package io.raftlock.sim;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One seeded run: draw fault parameters from the seed, run a workload under faults, then heal
 * everything and demand liveness (a leader, convergence, every proposal finished). Safety is
 * checked after every event throughout.
 */
final class Simulation {
  /** Fault parameters, all drawn from the seed and printed with every run. */
  record Plan(
      long seed,
      int nodes,
      long faultPhaseMs,
      double dropRate,
      double duplicateRate,
      int maxDelayMs,
      int meanFaultGapMs,
      double crashWeight,
      double partitionWeight,
      double oneWayWeight,
      double transferWeight,
      double tornWriteRate,
      boolean corruptOneNode,
      int maxEntriesPerAppend,
      int maxInflight,
      int snapshotEveryEntries,
      int snapshotKeepEntries,
      int proposalGapMs,
      boolean preVote,
      boolean checkQuorum,
      boolean lockWorkload,
      int maxClockSkewMs,
      int spares,
      double membershipWeight,
      int clockStepGapMs,
      double maxClockRateSkew) {

    /**
     * The same plan without spares or membership changes: it replays exactly as the simulator
     * did before membership changes existed (their parameters are drawn last).
     */
    Plan withoutMembership() {
      return new Plan(seed, nodes, faultPhaseMs, dropRate, duplicateRate, maxDelayMs, meanFaultGapMs,
          crashWeight, partitionWeight, oneWayWeight, transferWeight, tornWriteRate, corruptOneNode,
          maxEntriesPerAppend, maxInflight, snapshotEveryEntries, snapshotKeepEntries, proposalGapMs,
          preVote, checkQuorum, lockWorkload, maxClockSkewMs, 0, 0, clockStepGapMs, maxClockRateSkew);
    }

    static Plan draw(long seed) {
      SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
      return new Plan(
          seed,
          r.nextBoolean() ? 3 : 5,
          3_000 + r.nextInt(5_000),
          r.nextInt(4) == 0 ? 0 : r.nextDouble() * 0.15,
          r.nextInt(3) == 0 ? 0 : r.nextDouble() * 0.05,
          2 + r.nextInt(40),
          50 + r.nextInt(600),
          r.nextDouble(),
          r.nextDouble(),
          r.nextDouble() * 0.5,
          r.nextDouble() * 0.3,
          r.nextDouble() * 0.5,
          r.nextInt(5) == 0,
          1 + r.nextInt(r.nextBoolean() ? 4 : 64),
          1 + r.nextInt(16),
          r.nextInt(3) == 0 ? 0 : 20 + r.nextInt(200),
          r.nextInt(30),
          2 + r.nextInt(40),
          r.nextInt(6) != 0,
          r.nextInt(6) != 0,
          r.nextBoolean(),
          r.nextInt(3) == 0 ? 0 : r.nextInt(1_000),
          // Drawn last so that every earlier parameter of a seed is what it was before.
          r.nextInt(3),
          r.nextInt(4) == 0 ? 0 : r.nextDouble(),
          // Clock faults (lock workload only), drawn after everything else for the same reason.
          r.nextInt(4) == 0 ? 0 : 100 + r.nextInt(1_500),
          r.nextInt(4) == 0 ? 0 : r.nextDouble() * MAX_RATE_SKEW);
    }
  }

  /** What a run found. */
  record Result(Plan plan, List<String> violations, long events, long proposals, long acknowledged,
      long crashes, long partitions, long transfers, long messagesDropped, long lockGrantsChecked,
      long membershipChanges, long membershipRefusals, long clockSteps, long lockExpiriesChecked,
      long sessionsOpened, long sessionExpiriesChecked) {
    boolean ok() {
      return violations.isEmpty();
    }
  }

  static final int MAX_OUTSTANDING = 200;
  /**
   * Bound on a node's monotonic clock rate error. The client's margin is 2 % of the TTL and at
   * least 100 ms; the workload's TTLs are 1-2.5 s, so 1 % (25 ms at most) leaves the rest of the
   * margin for the client's own rate error.
   */
  static final double MAX_RATE_SKEW = 0.01;
  /** Wall-clock steps exceed every TTL of the workload (≤ 2.5 s), up to ten minutes, either way. */
  static final long MIN_CLOCK_STEP_MS = 5_001;
  static final long MAX_CLOCK_STEP_MS = 600_000;
  /** After healing: longer than the workload's longest TTL, so abandoned leases expire. */
  static final long LEASE_DRAIN_MS = 3_000;

  private Simulation() {}

  static Result run(long seed) {
    return run(Plan.draw(seed), RaftNode::new);
  }

  static Result run(Plan plan, SimNode.Factory factory) {
    RaftConfig template = RaftConfig.defaults("template")
        .withBatching(plan.maxInflight(), plan.maxEntriesPerAppend(), 1 << 20)
        .withPreVote(plan.preVote())
        .withCheckQuorum(plan.checkQuorum());
    SplittableRandom faults = new SplittableRandom(plan.seed() * 31 + 7);
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= plan.nodes() + plan.spares(); i++) {
      ids.add("n" + i);
    }
    LockWorkload locks = plan.lockWorkload() ? new LockWorkload(faults.split(), ids, plan.maxClockSkewMs()) : null;
    List<String> lockViolations = new ArrayList<>();
    // Clocks draw from a generator of their own: clock faults leave every other draw as it was.
    SplittableRandom clockRandom = new SplittableRandom(plan.seed() * 131 + 17);
    SimClocks clocks = locks == null ? null
        : new SimClocks(clockRandom.split(), ids, locks.clockOffsetsMs(), plan.maxClockRateSkew());
    Scheduler[] time = new Scheduler[1]; // the checker reads the time of the cluster built with it
    LeasePromiseChecker promise = new LeasePromiseChecker(() -> time[0].nowMs(), lockViolations::add);
    SimCluster c = new SimCluster(plan.nodes(), plan.spares(), plan.seed(), factory, template,
        plan.snapshotEveryEntries(), plan.snapshotKeepEntries(),
        locks == null ? null : LockSimStateMachine.kind(lockViolations::add, observe(locks, promise)));
    time[0] = c.scheduler;
    SimLeaseDriver leases = locks == null ? null : new SimLeaseDriver(c, clocks);
    if (leases != null) {
      c.afterTick = leases::afterTick;
    }
    c.network.dropRate = plan.dropRate();
    c.network.duplicateRate = plan.duplicateRate();
    c.network.maxDelayMs = plan.maxDelayMs();
    String corrupted = plan.corruptOneNode() ? c.ids.get(faults.nextInt(c.ids.size())) : null;
    long[] counts = new long[5]; // crashes, partitions, transfers, membership changes, refusals
    List<String> violations = new ArrayList<>();
    try {
      scheduleWorkload(c, plan, faults.split(), new Clients(locks, leases, promise));
      scheduleFaults(c, plan, faults, corrupted, counts);
      if (clocks != null && plan.clockStepGapMs() > 0) {
        scheduleClockSteps(c, plan, clockRandom, clocks);
      }
      c.runFor(plan.faultPhaseMs());
      heal(c);
      boolean live = c.runUntil(() -> {
        c.abandonPendingOffMembers();
        return c.converged() && c.pendingProposals() == 0;
      }, 60_000);
      if (!live) {
        violations.add("liveness: no convergence within 60 s after healing (leader "
            + (c.leader() == null ? "none" : c.leader().id) + ", pending proposals "
            + c.pendingProposals() + ")");
        violations.add("  state: " + c.describeState());
      } else if (locks != null) {
        // A calm leader expires what the abandoning clients left behind (leader changes during
        // the faults keep extending those leases), so the lease promise is checked on them too.
        c.runUntil(() -> nothingDue(c), LEASE_DRAIN_MS);
      }
      c.checker.finalCheck(c.nodes);
    } catch (RuntimeException e) {
      violations.add("exception at " + c.scheduler.nowMs() + " ms: " + e);
    }
    violations.addAll(0, c.checker.violations());
    violations.addAll(0, lockViolations.stream().limit(20).toList());
    for (String lost : c.lostAcknowledged()) {
      violations.add("acknowledged proposal lost: " + lost);
    }
    long acked = c.proposals.stream().filter(p -> p.outcome.equals("ok")).count();
    return new Result(plan, violations, c.scheduler.executed(), c.proposals.size(), acked,
        counts[0], counts[1], counts[2], c.network.dropped, locks == null ? 0 : locks.grantsChecked,
        counts[3], counts[4], clocks == null ? 0 : clocks.steps, promise.expiriesChecked,
        locks == null ? 0 : locks.sessionsOpened, promise.sessionExpiriesChecked);
  }

  /** The leader holds no lease and no wait (or there is no leader). */
  private static boolean nothingDue(SimCluster c) {
    SimNode l = c.leader();
    return l == null || ((LockSimStateMachine) l.sm).lockStateMachine().nextDeadlineMs() == Long.MAX_VALUE;
  }

  /** The workload's grant tracking and the lease-promise check, on every applied entry. */
  private static LockSimStateMachine.GrantListener observe(LockWorkload locks, LeasePromiseChecker promise) {
    return new LockSimStateMachine.GrantListener() {
      @Override
      public void granted(io.raftlock.lock.LockEvent.Granted g) {
        locks.granted(g);
      }

      @Override
      public void applied(long index, byte[] command, io.raftlock.lock.ApplyResult result) {
        locks.applied(index, command, result);
        promise.applied(index, command, result);
      }
    };
  }

  /** The lock workload's clients: commands, the leader's stamps, the sends the checker sees. */
  private record Clients(LockWorkload locks, SimLeaseDriver leases, LeasePromiseChecker promise) {}

  /**
   * Steps a node's wall clock by more than a TTL, forward or back, often the leader's, and half
   * the time steps it back again a little later; monotonic clocks are never stepped.
   */
  private static void scheduleClockSteps(SimCluster c, Plan plan, SplittableRandom r, SimClocks clocks) {
    c.scheduler.after(plan.clockStepGapMs(), new Runnable() {
      @Override
      public void run() {
        if (c.scheduler.nowMs() >= plan.faultPhaseMs()) {
          return;
        }
        String id = c.ids.get(r.nextInt(c.ids.size()));
        if (r.nextBoolean() && c.leader() != null) {
          id = c.leader().id;
        }
        long step = r.nextLong(MIN_CLOCK_STEP_MS, MAX_CLOCK_STEP_MS + 1) * (r.nextBoolean() ? 1 : -1);
        clocks.stepWall(id, step);
        if (r.nextBoolean()) {
          String back = id;
          c.scheduler.after(10 + r.nextInt(3_000), () -> clocks.stepWall(back, -step));
        }
        c.scheduler.after(1 + r.nextInt(2 * plan.clockStepGapMs()), this);
      }
    });
  }

  /** Clients propose at a steady pace during the fault phase and keep going after the heal. */
  /** One proposal from the workload on the current leader (or any node believing it leads). */
  private static void proposeOne(SimCluster c, Clients clients) {
    if (clients.locks() == null) {
      c.propose();
      return;
    }
    SimNode leader = c.leader();
    if (leader != null) {
      byte[] command = clients.locks().nextCommand();
      clients.promise().sent(command);
      c.proposeOn(leader.id, clients.leases().stamp(leader, command));
    }
  }

  private static void scheduleWorkload(SimCluster c, Plan plan, SplittableRandom r, Clients locks) {
    c.scheduler.after(plan.proposalGapMs(), new Runnable() {
      @Override
      public void run() {
        c.abandonPendingOffMembers();
        if (c.scheduler.nowMs() < plan.faultPhaseMs()) {
          // Like real clients, which wait for their answers: a bounded number outstanding.
          int burst = 1 + r.nextInt(4);
          for (int i = 0; i < burst && c.pendingProposals() < MAX_OUTSTANDING; i++) {
            proposeOne(c, locks);
          }
          c.scheduler.after(plan.proposalGapMs() + r.nextInt(plan.proposalGapMs()), this);
          return;
        }
        // After the fault phase: propose only to push the log past proposals whose index the
        // current leader's log has not reached (they can only finish once something is there).
        SimNode leader = c.leader();
        if (leader != null) {
          long gap = Math.min(100, c.maxPendingIndex() - leader.raft.lastIndex());
          for (long i = 0; i < gap; i++) {
            proposeOne(c, locks);
          }
        }
        c.scheduler.after(50, this);
      }
    });
  }

  private static void scheduleFaults(SimCluster c, Plan plan, SplittableRandom r, String corrupted,
      long[] counts) {
    c.scheduler.after(plan.meanFaultGapMs(), new Runnable() {
      @Override
      public void run() {
        if (c.scheduler.nowMs() >= plan.faultPhaseMs()) {
          return;
        }
        injectOne(c, plan, r, corrupted, counts);
        c.scheduler.after(1 + r.nextInt(2 * plan.meanFaultGapMs()), this);
      }
    });
  }

  private static void injectOne(SimCluster c, Plan plan, SplittableRandom r, String corrupted,
      long[] counts) {
    double total = plan.crashWeight() + plan.partitionWeight() + plan.transferWeight()
        + plan.membershipWeight();
    double pick = r.nextDouble() * total;
    if (pick >= total - plan.membershipWeight()) {
      changeMembership(c, plan, r, counts);
      return;
    }
    String victim = c.ids.get(r.nextInt(c.ids.size()));
    if (pick < plan.crashWeight()) {
      if (r.nextInt(3) == 0 && c.leader() != null) {
        victim = c.leader().id; // leaders are the interesting ones to kill
      }
      String v = victim;
      if (!c.byId.get(v).up) {
        return;
      }
      counts[0]++;
      c.crash(v, r.nextDouble() < plan.tornWriteRate());
      c.scheduler.after(20 + r.nextInt(1500), () -> {
        if (v.equals(corrupted) && r.nextInt(3) == 0) {
          c.byId.get(v).disk.loseTail(1 + r.nextInt(5));
        }
        c.restart(v);
      });
    } else if (pick < plan.crashWeight() + plan.partitionWeight()) {
      counts[1]++;
      partition(c, plan, r, victim);
      c.scheduler.after(50 + r.nextInt(2000), c::healNetwork);
    } else {
      counts[2]++;
      if (c.leader() != null) {
        String target = r.nextBoolean() ? victim : null;
        c.leader().raft.transferLeadership(target);
        c.leader().drain();
      }
    }
  }

  /**
   * One membership change on whichever node leads now: add a learner, promote one (usually with
   * the catch-up precondition, sometimes forced), add a voter directly, or remove a member —
   * sometimes the leader itself. Refusals (change in progress, leader not ready, learner behind)
   * are expected and counted; the change, if accepted, races every other fault.
   */
  /**
   * Mostly keep two voters or more, so crashes still leave something to elect. With the
   * lost-tail fault keep three: a voter that lost acknowledged entries waits for a leader to
   * repair it, and of two voters that may leave none that can be elected (two voters tolerate no
   * fault at all; that unavailability is real, not a bug for the simulator to report).
   */
  private static int minVoters(Plan plan) {
    return plan.corruptOneNode() ? 3 : 2;
  }

  private static void changeMembership(SimCluster c, Plan plan, SplittableRandom r, long[] counts) {
    SimNode l = c.leader();
    if (l == null) {
      return;
    }
    ClusterConfig cfg = l.raft.clusterConfig();
    List<String> outside = c.ids.stream().filter(id -> !cfg.isMember(id)).toList();
    List<String> learners = List.copyOf(cfg.learners());
    List<String> voters = List.copyOf(cfg.voters());
    int op = r.nextInt(5);
    ConfigChangeResult res;
    if (op == 0 && !outside.isEmpty()) {
      String id = outside.get(r.nextInt(outside.size()));
      res = c.change(raft -> raft.addLearner(id));
    } else if (op <= 2 && !learners.isEmpty()) {
      String id = learners.get(r.nextInt(learners.size()));
      long min = r.nextInt(5) == 0 ? 0 : l.raft.commitIndex();
      boolean force = r.nextInt(3) == 0;
      res = c.change(raft -> raft.promoteLearner(id, min, force));
    } else if (op == 3 && !outside.isEmpty()) {
      String id = outside.get(r.nextInt(outside.size()));
      res = c.change(raft -> raft.addVoter(id));
    } else {
      String id = r.nextInt(3) == 0 ? l.id : voters.get(r.nextInt(voters.size()));
      if (!learners.isEmpty() && r.nextBoolean()) {
        id = learners.get(r.nextInt(learners.size()));
      }
      if (cfg.isVoter(id) && voters.size() <= minVoters(plan) && (plan.corruptOneNode() || r.nextInt(4) != 0)) {
        return;
      }
      String victim = id;
      res = c.change(raft -> raft.removeServer(victim));
    }
    if (res != null) {
      counts[res.accepted() ? 3 : 4]++;
    }
  }

  private static void partition(SimCluster c, Plan plan, SplittableRandom r, String victim) {
    if (r.nextDouble() < plan.oneWayWeight()) {
      String other = c.ids.get(r.nextInt(c.ids.size()));
      if (!other.equals(victim)) {
        c.network.cut(victim, other); // one-way: victim's messages to `other` vanish
      }
      return;
    }
    if (r.nextBoolean() && c.leader() != null) {
      victim = c.leader().id;
    }
    if (c.ids.size() == 5 && r.nextBoolean()) {
      // majority/minority split: victim plus one other on the minority side
      String buddy = c.ids.get(r.nextInt(c.ids.size()));
      for (String a : c.ids) {
        boolean aMinority = a.equals(victim) || a.equals(buddy);
        for (String b : c.ids) {
          boolean bMinority = b.equals(victim) || b.equals(buddy);
          if (aMinority != bMinority) {
            c.network.cut(a, b);
          }
        }
      }
    } else {
      c.isolate(victim);
    }
  }

  private static void heal(SimCluster c) {
    c.healNetwork();
    c.network.dropRate = 0;
    c.network.duplicateRate = 0;
    for (String id : c.ids) {
      c.restart(id);
    }
  }
}
