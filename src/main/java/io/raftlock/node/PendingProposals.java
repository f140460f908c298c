package io.raftlock.node;

import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Client futures waiting for their entries, keyed by log index (like KRaft's FuturePurgatory).
 * An entry completes its future only if it still has the term it was proposed in: otherwise
 * another leader's entry took the index (sofa-jraft's expectedTerm).
 *
 * <p>Owned by the Raft verticle's event loop.
 */
final class PendingProposals {
  private record Pending(long term, Promise<Applied> promise) {}

  private final TreeMap<Long, Pending> byIndex = new TreeMap<>();

  void add(long index, long term, Promise<Applied> promise) {
    Pending replaced = byIndex.put(index, new Pending(term, promise));
    if (replaced != null) {
      replaced.promise.tryFail(new ProposalException(ProposalException.Reason.SUPERSEDED, null));
    }
  }

  /** The entry at {@code index} with {@code term} was applied with {@code result}. */
  void applied(long index, long term, Object result) {
    Pending p = byIndex.remove(index);
    if (p == null) {
      return;
    }
    if (p.term == term) {
      p.promise.tryComplete(new Applied(index, term, result));
    } else {
      p.promise.tryFail(new ProposalException(ProposalException.Reason.SUPERSEDED, null));
    }
  }

  /** A snapshot jumped over everything up to {@code index}. */
  void skippedTo(long index) {
    failWhere(byIndex.headMap(index, true), ProposalException.Reason.UNKNOWN_OUTCOME, null);
  }

  void failAll(ProposalException.Reason reason, String leaderHint) {
    failWhere(byIndex, reason, leaderHint);
  }

  private static void failWhere(Map<Long, Pending> range, ProposalException.Reason reason, String hint) {
    List<Pending> failed = new ArrayList<>(range.values());
    range.clear();
    for (Pending p : failed) {
      p.promise.tryFail(new ProposalException(reason, hint));
    }
  }

  int size() {
    return byIndex.size();
  }
}
