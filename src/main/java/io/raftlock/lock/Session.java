package io.raftlock.lock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * One session: a server-issued owner of holds, waits and request ids, kept alive by one lease.
 *
 * <p>Invariants: {@link #holds} is exactly the set of locks whose holder is this session, and
 * {@link #waits} exactly the set of waiters that belong to it; both are kept by {@link LockTable}.
 * Their iteration order is never used for a decision (ending a session sorts them), so the
 * identity hashing of their elements cannot make replicas differ. {@link #requests} is in
 * insertion order (replicated: snapshots keep it) and bounded: beyond the cap the oldest goes.
 * A client that numbers its requests ({@link LockCommand.Sequenced}) lets it forget sooner: the
 * replies of requests numbered below {@link #answeredBelow} are gone, and such requests are
 * refused if they come again.
 */
final class Session extends DeadlineHeap.Node {
  /** Deadline-heap order: earliest expiry, then id (unique, so the order is total). */
  static final Comparator<Session> DEADLINE_ORDER = (a, b) -> {
    int byExpiry = Long.compare(a.expiresAtMs, b.expiresAtMs);
    return byExpiry != 0 ? byExpiry : Long.compare(a.id, b.id);
  };

  /**
   * A remembered request: the client's number for it (0: not numbered), the reply and the
   * fingerprint of the command it answered.
   */
  record Remembered(String requestId, long seq, long fingerprint, LockReply reply) {}

  /** Log index of the entry that opened the session: never reused. */
  final long id;
  final String name;
  final long ttlMs;
  /** Sorted key/value pairs, or {@code null} if none (as {@link LockState#metadata}). */
  final String[] metadata;
  long expiresAtMs;
  /**
   * The principal that opened it ({@code ""}: none, auth was off); once auth is on, only it may
   * use the session. Set once, when the session is opened or restored.
   */
  String principal = "";
  /**
   * The client has received (or given up on) the answers to all its requests numbered below this
   * (0: none said so): never decreases.
   */
  long answeredBelow;
  final LinkedHashSet<LockState> holds = new LinkedHashSet<>();
  final LinkedHashSet<Waiter> waits = new LinkedHashSet<>();
  private final LinkedHashMap<String, Remembered> requests = new LinkedHashMap<>();

  Session(long id, String name, long ttlMs, String[] metadata, long expiresAtMs) {
    this.id = id;
    this.name = name;
    this.ttlMs = ttlMs;
    this.metadata = metadata;
    this.expiresAtMs = expiresAtMs;
  }

  /** The label of a command of this session: its own client id, or the session's name. */
  String label(String clientId) {
    return clientId.isEmpty() ? name : clientId;
  }

  Remembered lookup(String requestId) {
    return requests.get(requestId);
  }

  /** Remembers a new request (absent), evicting the oldest beyond {@code maxRequests}. */
  void remember(Remembered r, int maxRequests) {
    requests.put(r.requestId(), r);
    trimRemembered(maxRequests);
  }

  /** Evicts the oldest remembered requests beyond {@code maxRequests}; returns how many. */
  int trimRemembered(int maxRequests) {
    int evicted = 0;
    Iterator<Remembered> it = requests.values().iterator();
    while (requests.size() > maxRequests) {
      it.next();
      it.remove();
      evicted++;
    }
    return evicted;
  }

  /**
   * Takes the client's acknowledgement carried by its request {@code seq}: forgets the replies of
   * the requests numbered below {@code answered} (≤ seq, checked by {@link CommandValidator}).
   * Returns false, and changes nothing, if {@code seq} itself is below the acknowledged mark: a
   * late copy of a request the client no longer waits for.
   */
  boolean acknowledge(long seq, long answered) {
    if (seq < answeredBelow) {
      return false;
    }
    if (answered > answeredBelow) {
      answeredBelow = answered;
      forgetAnswered();
    }
    return true;
  }

  /**
   * Drops numbered replies below {@link #answeredBelow}, oldest first, up to the first one that
   * is still awaited: requests are applied almost in number order, so this touches little more
   * than what it drops. One applied out of order behind an awaited one goes at a later
   * acknowledgement (or with the cap); unnumbered ones are left to the cap.
   */
  private void forgetAnswered() {
    Iterator<Remembered> it = requests.values().iterator();
    while (it.hasNext()) {
      Remembered r = it.next();
      if (r.seq() >= answeredBelow) {
        return;
      }
      if (r.seq() > 0) {
        it.remove();
      }
    }
  }

  int rememberedCount() {
    return requests.size();
  }

  /** Remembered requests, oldest first. */
  Iterable<Remembered> remembered() {
    return requests.values();
  }

  /** Held locks by lock id: the order in which ending the session releases them. */
  List<LockState> holdsByLockId() {
    List<LockState> sorted = new ArrayList<>(holds);
    sorted.sort(Comparator.comparing(l -> l.lockId));
    return sorted;
  }

  /** Waits by arrival (seq): the order in which ending the session cancels them. */
  List<Waiter> waitsByArrival() {
    List<Waiter> sorted = new ArrayList<>(waits);
    sorted.sort(Comparator.comparingLong(w -> w.seq));
    return sorted;
  }
}
