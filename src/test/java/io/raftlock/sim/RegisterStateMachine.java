package io.raftlock.sim;

import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The simplest deterministic state machine that still detects any difference in what was applied:
 * a running hash over every applied command, plus a count.
 */
final class RegisterStateMachine implements SimStateMachine {
  static final Kind KIND = new Kind() {
    @Override
    public SimStateMachine fresh(String nodeId) {
      return new RegisterStateMachine();
    }

    @Override
    public SimStateMachine restore(String nodeId, byte[] snapshot) {
      return RegisterStateMachine.restore(snapshot);
    }
  };

  private long hash = 17;
  private long count;
  private long lastIndex;

  @Override
  public long apply(Entry e) {
    if (e.type() == EntryType.NORMAL) {
      apply(e.index(), e.data());
    } else {
      lastIndex = e.index();
    }
    return hash;
  }

  @Override
  public long digest() {
    return hash;
  }

  private void apply(long index, byte[] command) {
    if (index <= lastIndex) {
      throw new IllegalStateException("apply of " + index + " after " + lastIndex);
    }
    lastIndex = index;
    hash = hash * 1_000_003L + Arrays.hashCode(command) * 31L + index;
    count++;
  }

  @Override
  public long lastIndex() {
    return lastIndex;
  }

  @Override
  public byte[] snapshot() {
    return ByteBuffer.allocate(24).putLong(hash).putLong(count).putLong(lastIndex).array();
  }

  static RegisterStateMachine restore(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    RegisterStateMachine sm = new RegisterStateMachine();
    sm.hash = b.getLong();
    sm.count = b.getLong();
    sm.lastIndex = b.getLong();
    return sm;
  }
}
