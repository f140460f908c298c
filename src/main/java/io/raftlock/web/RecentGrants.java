package io.raftlock.web;

import io.raftlock.lock.LockEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The last few grants applied on this node, newest first: the cluster page's "recently granted"
 * locks when there are too many locks to sort them all every second.
 *
 * <p><b>Threading.</b> Owned by the Raft context: the replica's event consumer feeds it while
 * applying, and the page reads it inside a Raft query, so it needs no locking.
 */
public final class RecentGrants implements Consumer<LockEvent> {
  /** A grant: {@code lockId} given out with fencing token {@code token}. */
  public record Grant(String lockId, long token) {}

  private final Grant[] ring;
  private int next; // slot of the next write
  private int size;

  public RecentGrants(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be ≥ 1: " + capacity);
    }
    this.ring = new Grant[capacity];
  }

  @Override
  public void accept(LockEvent event) {
    if (event instanceof LockEvent.Granted g) {
      ring[next] = new Grant(g.lockId(), g.token());
      next = (next + 1) % ring.length;
      size = Math.min(size + 1, ring.length);
    }
  }

  /** Newest first; a lock granted twice appears twice (the caller keeps the grant still held). */
  public List<Grant> newestFirst() {
    List<Grant> out = new ArrayList<>(size);
    for (int i = 1; i <= size; i++) {
      out.add(ring[Math.floorMod(next - i, ring.length)]);
    }
    return out;
  }
}
