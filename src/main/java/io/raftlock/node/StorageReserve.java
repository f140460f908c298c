package io.raftlock.node;

import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The storage's free-space reserve as one node's Raft context sees it: the guard that answers
 * whether the volume is below its reserve (readable from any thread), and what the core and the
 * listeners were last told about it.
 *
 * <p>Invariant: the core ({@link RaftNode#storageBelowReserve}) and the listeners hear of each
 * crossing exactly once, on the Raft context, and {@link #sync} runs before every tick and every
 * stepped peer message, so an append taken while below is refused by the core instead of being
 * persisted in the drain that follows. Log lines keep the verticle's logger name, as before.
 */
final class StorageReserve {
  private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

  private final String nodeId;
  private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
  private volatile BooleanSupplier below = () -> false;
  /** What the core was last told (context). */
  private boolean told;

  StorageReserve(String nodeId) {
    this.nodeId = nodeId;
  }

  /** The storage's free-space guard; true while below the reserve. */
  void guardWith(BooleanSupplier below) {
    this.below = below;
  }

  /** True while the storage is below its reserve; any thread. */
  boolean isBelow() {
    return below.getAsBoolean();
  }

  /** {@code listener} hears every crossing (true: now below), on the Raft context. */
  void onChange(Consumer<Boolean> listener) {
    listeners.add(listener);
  }

  /** Tells the core and the listeners when the storage crossed its reserve, either way. */
  void sync(RaftNode raft) {
    boolean now = below.getAsBoolean();
    if (now == told) {
      return;
    }
    told = now;
    raft.storageBelowReserve(now);
    if (now) {
      String role = raft.role() == Role.LEADER ? "hands leadership to a caught-up voter, " : "";
      LOG.warning(() -> nodeId + " is below its storage reserve: it " + role
          + "takes no entries and does not campaign until space returns");
    } else {
      LOG.info(() -> nodeId + " has space above its storage reserve again: it takes entries"
          + " and may campaign");
    }
    listeners.forEach(l -> l.accept(now));
  }
}
