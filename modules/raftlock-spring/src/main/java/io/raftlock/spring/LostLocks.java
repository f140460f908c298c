package io.raftlock.spring;

import io.raftlock.client.LockHandle;
import io.raftlock.client.LostReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Counts the client's lost locks by reason: give it to {@code RaftLockClient.Builder#onLost} (the
 * auto-configuration does) and read it in {@link RaftLockMetrics}. It can forward to another listener.
 */
public final class LostLocks implements BiConsumer<LockHandle, LostReason> {
  private final Map<LostReason, AtomicLong> counts = new EnumMap<>(LostReason.class);
  private final BiConsumer<LockHandle, LostReason> next;

  public LostLocks() {
    this((lock, reason) -> { });
  }

  public LostLocks(BiConsumer<LockHandle, LostReason> next) {
    this.next = next;
    for (LostReason r : LostReason.values()) {
      counts.put(r, new AtomicLong());
    }
  }

  @Override
  public void accept(LockHandle lock, LostReason reason) {
    counts.get(reason).incrementAndGet();
    next.accept(lock, reason);
  }

  public long count(LostReason reason) {
    return counts.get(reason).get();
  }
}
