package io.raftlock.raft.archfixture;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Everything the pure core must never do, so the architecture rules can be seen to fail. */
public final class ImpureCore {
  public long now() {
    return System.currentTimeMillis() + System.nanoTime();
  }

  public Thread spawn() {
    return new Thread(() -> {});
  }

  public Object outsideJava() {
    return new ObjectMapper();
  }
}
