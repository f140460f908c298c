package io.raftlock.node;

import io.raftlock.raft.ReadState;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The linearizable read barriers of one node (ReadIndex, thesis §6.4), from the request to the
 * core until the state machine has applied the confirmed index. Confined to the Raft context.
 *
 * <p>Invariant: a barrier completes only with an index the leader confirmed after the barrier was
 * asked for, and only once {@code appliedIndex} has reached it; every other outcome is a
 * retryable {@link ProposalException}.
 */
final class ReadBarriers {
  /** Waiting for the leader's confirmation, by request id. */
  private final Map<Long, Promise<Long>> awaitingIndex = new HashMap<>();
  /** Confirmed, waiting for the state machine to reach their index. */
  private final TreeMap<Long, List<Promise<Long>>> awaitingApply = new TreeMap<>();
  private long nextId;

  /** A fresh request id for the core's {@code readIndex}. */
  long nextId() {
    return ++nextId;
  }

  void await(long id, Promise<Long> promise) {
    awaitingIndex.put(id, promise);
  }

  /** The barrier {@code id} timed out; true if it was still waiting for its confirmation. */
  boolean expire(long id) {
    return awaitingIndex.remove(id) != null;
  }

  /** The core confirmed (or, with a negative index, refused) a read; {@code leaderId} for the hint. */
  void confirmed(ReadState rs, long appliedIndex, String leaderId) {
    Promise<Long> p = awaitingIndex.remove(rs.requestId());
    if (p == null) {
      return; // timed out already
    }
    if (rs.readIndex() < 0) {
      p.fail(new ProposalException(ProposalException.Reason.LEADERSHIP_LOST, leaderId));
    } else if (rs.readIndex() <= appliedIndex) {
      p.complete(rs.readIndex());
    } else {
      awaitingApply.computeIfAbsent(rs.readIndex(), k -> new ArrayList<>()).add(p);
    }
  }

  /** Completes every confirmed read whose index is now applied. */
  void applied(long appliedIndex) {
    while (!awaitingApply.isEmpty() && awaitingApply.firstKey() <= appliedIndex) {
      var e = awaitingApply.pollFirstEntry();
      e.getValue().forEach(p -> p.complete(e.getKey()));
    }
  }

  void failAll(ProposalException.Reason reason) {
    List<Promise<Long>> all = new ArrayList<>(awaitingIndex.values());
    awaitingApply.values().forEach(all::addAll);
    awaitingIndex.clear();
    awaitingApply.clear();
    all.forEach(p -> p.tryFail(new ProposalException(reason, null)));
  }
}
