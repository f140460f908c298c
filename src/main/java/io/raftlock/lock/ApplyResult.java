package io.raftlock.lock;

import java.util.List;
import java.util.Objects;

/**
 * Outcome of applying one log entry: the reply for the proposer and the events for the push
 * layer, in emission order. A rejected or duplicate command has no events.
 */
public record ApplyResult(LockReply reply, List<LockEvent> events) {
  public ApplyResult {
    Objects.requireNonNull(reply, "reply");
    events = List.copyOf(events);
  }

  static ApplyResult of(LockReply reply) {
    return new ApplyResult(reply, List.of());
  }
}
