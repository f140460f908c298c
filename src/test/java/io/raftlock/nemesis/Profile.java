package io.raftlock.nemesis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A run's shape: how long the faults go on and how many of each kind at least. The quotas are
 * planned up front (a shuffled list), so a run reaches them whatever the seed; extra faults of
 * random kinds fill the remaining time.
 */
public enum Profile {
  /**
   * About 3 minutes: kill, pause, partitions between members and of clients from nodes, a few
   * wall-clock steps and rate changes (what the lease-promise check is about) and torn power
   * losses (the failsafe test) and client floods of the leader. As many faults as before the last
   * three kinds came in: they took the place of three kills, two pauses and two member partitions.
   */
  SHORT(150, Map.of(FaultKind.KILL, 5, FaultKind.PAUSE, 6, FaultKind.PARTITION, 6, FaultKind.CLOCK, 4,
      FaultKind.CLIENT_PARTITION, 3, FaultKind.TORN_POWER, 2, FaultKind.FLOOD, 2)),
  /** About 10 minutes: every fault, at least the counts. */
  STANDARD(560, quotas());

  final int faultSeconds;
  final Map<FaultKind, Integer> quotas;

  Profile(int faultSeconds, Map<FaultKind, Integer> quotas) {
    this.faultSeconds = faultSeconds;
    this.quotas = new EnumMap<>(quotas);
  }

  private static Map<FaultKind, Integer> quotas() {
    Map<FaultKind, Integer> q = new EnumMap<>(FaultKind.class);
    q.put(FaultKind.KILL, 30);
    q.put(FaultKind.PARTITION, 30);
    q.put(FaultKind.PAUSE, 20);
    q.put(FaultKind.POWER, 6);
    q.put(FaultKind.TORN_POWER, 4);
    q.put(FaultKind.CLIENT_PARTITION, 6);
    q.put(FaultKind.CLOCK, 6);
    q.put(FaultKind.LOSS, 4);
    q.put(FaultKind.DISKFULL, 3);
    q.put(FaultKind.FLOOD, 4);
    return q;
  }

  Set<FaultKind> kinds() {
    return quotas.keySet();
  }

  static Profile parse(String name) {
    try {
      return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--profile must be short or standard, was '" + name + "'");
    }
  }

  /**
   * The planned order: every quota, shuffled, then {@code extras} random kinds, also shuffled in.
   * Quota faults run whatever the time; extras are dropped once the fault time is over. Kinds
   * in {@code skipped} are left out.
   */
  List<Planned> plan(Random random, Set<FaultKind> skipped, int extras) {
    List<Planned> plan = new ArrayList<>();
    List<FaultKind> usable = kinds().stream().filter(k -> !skipped.contains(k)).sorted().toList();
    for (FaultKind k : usable) {
      for (int i = 0; i < quotas.get(k); i++) {
        plan.add(new Planned(k, true));
      }
    }
    for (int i = 0; i < extras && !usable.isEmpty(); i++) {
      plan.add(new Planned(usable.get(random.nextInt(usable.size())), false));
    }
    Collections.shuffle(plan, random);
    return plan;
  }

  /** One planned fault; {@code quota} faults are never dropped for lack of time. */
  record Planned(FaultKind kind, boolean quota) {}
}
