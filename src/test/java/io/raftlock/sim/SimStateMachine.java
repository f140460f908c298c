package io.raftlock.sim;

import io.raftlock.raft.Entry;

/**
 * A state machine the simulator replicates. {@link #apply} returns a digest of everything the
 * replica has produced so far (state or replies and events); replicas must agree on it at every
 * index.
 */
interface SimStateMachine {
  long apply(Entry entry);

  long lastIndex();

  long digest();

  byte[] snapshot();

  /** Makes fresh or restored replicas for one node. */
  interface Kind {
    SimStateMachine fresh(String nodeId);

    SimStateMachine restore(String nodeId, byte[] snapshot);
  }
}
