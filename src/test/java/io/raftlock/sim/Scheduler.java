package io.raftlock.sim;

import java.util.PriorityQueue;

/**
 * Discrete-event scheduler: events run in (time, sequence) order, so two runs with the same seed
 * execute the same events in the same order. Time is simulated milliseconds.
 */
final class Scheduler {
  private record Event(long timeMs, long seq, Runnable action) {}

  private final PriorityQueue<Event> queue =
      new PriorityQueue<>((a, b) -> a.timeMs != b.timeMs ? Long.compare(a.timeMs, b.timeMs) : Long.compare(a.seq, b.seq));
  private long nowMs;
  private long seq;
  private long executed;

  long nowMs() {
    return nowMs;
  }

  long executed() {
    return executed;
  }

  void at(long timeMs, Runnable action) {
    queue.add(new Event(Math.max(timeMs, nowMs), seq++, action));
  }

  void after(long delayMs, Runnable action) {
    at(nowMs + delayMs, action);
  }

  /** Runs events until simulated time passes {@code untilMs}; {@code afterEach} runs after each. */
  void runUntil(long untilMs, Runnable afterEach) {
    while (!queue.isEmpty() && queue.peek().timeMs <= untilMs) {
      Event e = queue.poll();
      nowMs = e.timeMs;
      e.action.run();
      executed++;
      afterEach.run();
    }
    nowMs = Math.max(nowMs, untilMs);
  }
}
