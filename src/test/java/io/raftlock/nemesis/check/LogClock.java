package io.raftlock.nemesis.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Conservative bounds on τ(x), the real time at which log entry x took effect (was committed).
 * τ is non-decreasing in x: entries commit in index order. Acknowledged operations pin it:
 *
 * <ul>
 *   <li>upper anchor (op, x): the op returned after entry x committed, so τ(y) ≤ return(op)
 *       for every y ≤ x. Sound for every ok op that names an entry it waited for: an ok acquire
 *       with token T waited for the grant at T; an ok release or renew for its own entry.
 *   <li>lower anchor (op, x): the op's own entry is at index ≤ x and was created after the op
 *       was invoked, so τ(y) ≥ invoke(op) for every y ≥ x. Only used where the op's own entry
 *       is known (see {@link Checker}).
 * </ul>
 *
 * <p>So lower(x) = max invoke over lower anchors ≤ x and upper(x) = min return over upper
 * anchors ≥ x. If lower(x) > upper(x) for some x no linearization of the acknowledged
 * operations exists: {@link #contradictions()}.
 */
final class LogClock {
  record Anchor(long index, long t, Op op) {}

  /** Two acknowledged operations that cannot both be true: {@code late} was invoked after
   * {@code early} returned, yet its entry is at or before the one {@code early} waited for. */
  record Contradiction(Op early, long earlyIndex, Op late, long lateIndex) {}

  private final List<Anchor> lowers = new ArrayList<>();
  private final List<Anchor> uppers = new ArrayList<>();
  private long[] lowerIndex;
  private Anchor[] lowerPrefixMax;
  private long[] lowerPrefixMaxT;
  private long[] upperIndex;
  private Anchor[] upperSuffixMin;

  void lower(long index, Op op) {
    lowers.add(new Anchor(index, op.invokeT(), op));
  }

  void upper(long index, Op op) {
    uppers.add(new Anchor(index, op.returnT(), op));
  }

  int anchors() {
    return lowers.size() + uppers.size();
  }

  /** Sorts the anchors; call once, after the last anchor and before any query. */
  void seal() {
    lowers.sort(Comparator.comparingLong(Anchor::index));
    uppers.sort(Comparator.comparingLong(Anchor::index));
    lowerIndex = new long[lowers.size()];
    lowerPrefixMax = new Anchor[lowers.size()];
    lowerPrefixMaxT = new long[lowers.size()];
    for (int i = 0; i < lowers.size(); i++) {
      Anchor a = lowers.get(i);
      lowerIndex[i] = a.index();
      lowerPrefixMax[i] = i > 0 && lowerPrefixMax[i - 1].t() >= a.t() ? lowerPrefixMax[i - 1] : a;
      lowerPrefixMaxT[i] = lowerPrefixMax[i].t();
    }
    upperIndex = new long[uppers.size()];
    upperSuffixMin = new Anchor[uppers.size()];
    for (int i = uppers.size() - 1; i >= 0; i--) {
      Anchor a = uppers.get(i);
      upperIndex[i] = a.index();
      upperSuffixMin[i] = i < uppers.size() - 1 && upperSuffixMin[i + 1].t() <= a.t()
          ? upperSuffixMin[i + 1] : a;
    }
  }

  /** Earliest time entry x can have taken effect ({@link Long#MIN_VALUE}: unknown). */
  long lower(long x) {
    Anchor a = lowerAnchor(x);
    return a == null ? Long.MIN_VALUE : a.t();
  }

  /** Latest time entry x can have taken effect ({@link Long#MAX_VALUE}: unknown). */
  long upper(long x) {
    int i = firstAtLeast(upperIndex, x);
    return i == upperIndex.length ? Long.MAX_VALUE : upperSuffixMin[i].t();
  }

  /** The upper anchor that bounds entry x ({@link #upper}), or {@code null} if none does. */
  Anchor upperAnchor(long x) {
    int i = firstAtLeast(upperIndex, x);
    return i == upperIndex.length ? null : upperSuffixMin[i];
  }

  /** The lower anchor that bounds entry x ({@link #lower}), or {@code null} if none does. */
  Anchor lowerAnchor(long x) {
    // The last lower anchor with index <= x (x + 1 would overflow at the end of time).
    int i = x == Long.MAX_VALUE ? lowerIndex.length - 1 : firstAtLeast(lowerIndex, x + 1) - 1;
    return i < 0 ? null : lowerPrefixMax[i];
  }

  /**
   * Whether some state x in [from, to) (the state after applying x) can have been observed by
   * a read that ran over [invokeT, returnT]: τ(x) ≤ returnT and τ(x + 1) ≥ invokeT for some x.
   * {@code to} may be {@link Long#MAX_VALUE} (the state still holds at the end of the log).
   */
  boolean observable(long from, long to, long invokeT, long returnT) {
    if (from >= to || lower(from) > returnT) {
      return false;
    }
    // The largest x in [from, to) with lower(x) <= returnT: lower() is a non-decreasing step
    // function, so it is just before the first lower anchor above returnT past from.
    long x = to - 1;
    int i = firstAbove(lowerPrefixMaxT, firstAtLeast(lowerIndex, from + 1), returnT);
    if (i < lowerIndex.length && lowerIndex[i] < to) {
      x = lowerIndex[i] - 1;
    }
    return upper(x + 1) >= invokeT;
  }

  /** The last state x with lower(x) <= t: later entries all took effect after t. */
  long lastStateBefore(long t) {
    int i = firstAbove(lowerPrefixMaxT, 0, t);
    return i < lowerIndex.length ? lowerIndex[i] - 1 : Long.MAX_VALUE;
  }

  /** Every upper anchor that a lower anchor at or before its index contradicts. */
  List<Contradiction> contradictions() {
    List<Contradiction> found = new ArrayList<>();
    for (Anchor u : uppers) {
      Anchor l = lowerAnchor(u.index());
      if (l != null && l.t() > u.t() && l.op() != u.op()) {
        found.add(new Contradiction(u.op(), u.index(), l.op(), l.index()));
      }
    }
    return found;
  }

  /** Index of the first element {@code > t} at or after {@code from} of a sorted array. */
  private static int firstAbove(long[] sorted, int from, long t) {
    int lo = from;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Index of the first element {@code >= x} of a sorted array (its length if none). */
  private static int firstAtLeast(long[] sorted, long x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
