package io.raftlock.sim;

import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The real {@link LockStateMachine} on one simulated node, with the lock invariants checked at
 * every applied index: at most one holder per lock, the fencing token of a grant is the index of
 * the granting entry, and tokens of a lock strictly increase. The digest covers every reply and
 * event, so the cluster checker proves all replicas emitted the same events.
 */
final class LockSimStateMachine implements SimStateMachine {
  /** Sees every grant, for clients that want to know their tokens. */
  interface GrantListener {
    void granted(LockEvent.Granted g);

    /** Every applied entry with its result, after the grants in it were reported. */
    default void applied(long index, byte[] command, ApplyResult result) {}
  }

  static Kind kind(Consumer<String> violations, GrantListener grants) {
    return new Kind() {
      @Override
      public SimStateMachine fresh(String nodeId) {
        return new LockSimStateMachine(nodeId, new LockStateMachine(), 17, 0, violations, grants);
      }

      @Override
      public SimStateMachine restore(String nodeId, byte[] snapshot) {
        ByteBuffer b = ByteBuffer.wrap(snapshot);
        long digest = b.getLong();
        long lastIndex = b.getLong();
        LockStateMachine sm = LockStateMachine.restore(Arrays.copyOfRange(snapshot, 16, snapshot.length));
        return new LockSimStateMachine(nodeId, sm, digest, lastIndex, violations, grants);
      }
    };
  }

  private final String nodeId;
  private final LockStateMachine sm;
  private final Consumer<String> violations;
  private final GrantListener grants;
  private long digest;
  private long lastIndex;
  /** From events since this replica started or restored: holder and last token per lock. */
  private final Map<String, String> holders = new HashMap<>();
  private final Map<String, Long> lastToken = new HashMap<>();

  private LockSimStateMachine(String nodeId, LockStateMachine sm, long digest, long lastIndex,
      Consumer<String> violations, GrantListener grants) {
    this.nodeId = nodeId;
    this.sm = sm;
    this.digest = digest;
    this.lastIndex = lastIndex;
    this.violations = violations;
    this.grants = grants;
  }

  LockStateMachine lockStateMachine() {
    return sm;
  }

  @Override
  public long apply(Entry e) {
    lastIndex = e.index();
    if (e.type() != EntryType.NORMAL) {
      return digest;
    }
    ApplyResult r = sm.apply(e.index(), e.data());
    for (LockEvent ev : r.events()) {
      check(e.index(), ev);
    }
    grants.applied(e.index(), e.data(), r);
    digest = digest * 1_000_003L + (r.reply().toString() + r.events()).hashCode();
    return digest;
  }

  private void check(long index, LockEvent ev) {
    if (ev instanceof LockEvent.Granted g) {
      String holder = holders.get(g.lockId());
      if (holder != null) {
        violations.accept(nodeId + " @" + index + ": " + g.clientId() + " granted " + g.lockId() + " held by " + holder);
      }
      if (g.token() != index) {
        violations.accept(nodeId + " @" + index + ": token " + g.token() + " is not the granting index");
      }
      Long last = lastToken.get(g.lockId());
      if (last != null && g.token() <= last) {
        violations.accept(nodeId + " @" + index + ": token of " + g.lockId() + " went from " + last + " to " + g.token());
      }
      holders.put(g.lockId(), g.clientId());
      lastToken.put(g.lockId(), g.token());
      grants.granted(g);
    } else if (ev instanceof LockEvent.Released rel) {
      endHolding(index, rel.lockId(), rel.clientId());
    } else if (ev instanceof LockEvent.Expired exp) {
      endHolding(index, exp.lockId(), exp.clientId());
    }
  }

  private void endHolding(long index, String lockId, String clientId) {
    String holder = holders.remove(lockId);
    if (holder != null && !holder.equals(clientId)) {
      violations.accept(nodeId + " @" + index + ": " + clientId + " ended a holding of " + lockId + " by " + holder);
    }
  }

  @Override
  public long lastIndex() {
    return lastIndex;
  }

  @Override
  public long digest() {
    return digest;
  }

  @Override
  public byte[] snapshot() {
    byte[] state = sm.snapshot();
    return ByteBuffer.allocate(16 + state.length).putLong(digest).putLong(lastIndex).put(state).array();
  }
}
