package io.raftlock.sim;

import io.raftlock.raft.Message;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The network between simulated nodes: per-message delay (which also reorders), drop and
 * duplication drawn from its own random stream, and directed link cuts for symmetric and one-way
 * partitions.
 */
final class SimNetwork {
  private final Scheduler scheduler;
  private final RandomGenerator random;
  private final Consumer<Message> deliver;
  /** Directed links "from->to" that currently drop everything. */
  private final Set<String> cut = new HashSet<>();

  double dropRate;
  double duplicateRate;
  int minDelayMs = 1;
  int maxDelayMs = 5;
  long sent;
  long dropped;
  final java.util.Map<String, Long> sentByType = new java.util.TreeMap<>();
  /** Messages sent by each node (including dropped ones). */
  final java.util.Map<String, Long> sentByNode = new java.util.TreeMap<>();

  SimNetwork(Scheduler scheduler, RandomGenerator random, Consumer<Message> deliver) {
    this.scheduler = scheduler;
    this.random = random;
    this.deliver = deliver;
  }

  void send(Message m) {
    sent++;
    sentByType.merge(m.getClass().getSimpleName(), 1L, Long::sum);
    sentByNode.merge(m.from(), 1L, Long::sum);
    if (cut.contains(m.from() + "->" + m.to()) || random.nextDouble() < dropRate) {
      dropped++;
      return;
    }
    scheduleDelivery(m);
    if (random.nextDouble() < duplicateRate) {
      scheduleDelivery(m);
    }
  }

  private void scheduleDelivery(Message m) {
    long delay = minDelayMs + random.nextInt(maxDelayMs - minDelayMs + 1);
    // The link may be cut while the message is in flight: check again on arrival.
    scheduler.after(delay, () -> {
      if (!cut.contains(m.from() + "->" + m.to())) {
        deliver.accept(m);
      } else {
        dropped++;
      }
    });
  }

  long sentBy(String node) {
    return sentByNode.getOrDefault(node, 0L);
  }

  long sentOfType(Class<? extends Message> type) {
    return sentByType.getOrDefault(type.getSimpleName(), 0L);
  }

  void cut(String from, String to) {
    cut.add(from + "->" + to);
  }

  void isolate(String node, Iterable<String> others) {
    for (String o : others) {
      if (!o.equals(node)) {
        cut(node, o);
        cut(o, node);
      }
    }
  }

  void healAll() {
    cut.clear();
  }

  boolean hasCuts() {
    return !cut.isEmpty();
  }
}
