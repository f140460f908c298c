package io.raftlock.arch.cyclefixture.left;

import io.raftlock.arch.cyclefixture.right.Right;

/** Half of a deliberate package cycle: the cycle rule must reject it. */
public final class Left {
  public Right partner() {
    return new Right();
  }
}
