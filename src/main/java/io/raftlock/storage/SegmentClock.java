package io.raftlock.storage;

import net.openhft.chronicle.core.time.TimeProvider;

/**
 * A logical clock for Chronicle Queue so that roll-cycle files are <em>segments</em> cut by entry
 * count, not by wall time. Chronicle picks the file to append to from
 * {@code rollCycle.toCycle(currentTimeMillis())}; this clock reports the start of segment
 * {@code cycle}, and the log writer advances it to roll. Two properties follow:
 *
 * <ul>
 *   <li>every process start appends to a fresh file (recovery sets the clock past the newest
 *       file), so a torn tail left by a crash is never appended after, only read up to;
 *   <li>a segment holds a bounded number of entries, so compaction can delete whole files below a
 *       snapshot (a wall-clock cycle would put an unbounded burst in one file).
 * </ul>
 *
 * File names therefore encode a segment number, not a time. Written by one thread (recovery, then
 * the log writer); read by Chronicle on the same thread, {@code volatile} for tailers elsewhere.
 */
final class SegmentClock implements TimeProvider {
  private final long cycleMillis;
  private volatile int cycle = 1;

  SegmentClock(long cycleMillis) {
    this.cycleMillis = cycleMillis;
  }

  int cycle() {
    return cycle;
  }

  void cycle(int c) {
    cycle = c;
  }

  @Override
  public long currentTimeMillis() {
    return cycle * cycleMillis;
  }
}
