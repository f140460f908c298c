package io.raftlock.lock;

import java.util.List;

/** One page of live sessions, in id order. */
public record SessionPage(List<SessionInfo> sessions, int total, boolean hasMore) {
  public SessionPage {
    sessions = List.copyOf(sessions);
  }
}
