package io.raftlock.arch.cyclefixture.right;

import io.raftlock.arch.cyclefixture.left.Left;

/** The other half of a deliberate package cycle. */
public final class Right {
  public Left partner() {
    return new Left();
  }
}
