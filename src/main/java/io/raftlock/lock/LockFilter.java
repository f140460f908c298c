package io.raftlock.lock;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Filter of {@link LockStateMachine#listLocks}, after the seed's {@code LockFilter}. All criteria
 * must hold. Globs use {@code *} (any run of characters) and {@code ?} (one character); a null or
 * empty glob matches everything.
 *
 * @param onlyHeld only held locks (always true in practice: free locks are not kept)
 * @param onlyContested only locks with at least one waiter
 * @param expiresBeforeMs if non-null, only locks expiring strictly before this time
 * @param expiresAfterMs if non-null, only locks expiring strictly after this time
 * @param metadata every entry must be present with an equal value in the lock's metadata
 */
public record LockFilter(
    String lockIdGlob,
    String ownerGlob,
    boolean onlyHeld,
    boolean onlyContested,
    Long expiresBeforeMs,
    Long expiresAfterMs,
    SortedMap<String, String> metadata) {

  public static final LockFilter ALL = new LockFilter(null, null, false, false, null, null, null);

  public LockFilter {
    metadata = Collections.unmodifiableSortedMap(
        metadata == null ? new TreeMap<>() : new TreeMap<>(metadata));
  }

  public LockFilter withLockIdGlob(String glob) {
    return new LockFilter(glob, ownerGlob, onlyHeld, onlyContested, expiresBeforeMs,
        expiresAfterMs, metadata);
  }

  public LockFilter withOwnerGlob(String glob) {
    return new LockFilter(lockIdGlob, glob, onlyHeld, onlyContested, expiresBeforeMs,
        expiresAfterMs, metadata);
  }

  public LockFilter withOnlyContested(boolean only) {
    return new LockFilter(lockIdGlob, ownerGlob, onlyHeld, only, expiresBeforeMs,
        expiresAfterMs, metadata);
  }

  public LockFilter withExpiryWindow(Long afterMs, Long beforeMs) {
    return new LockFilter(lockIdGlob, ownerGlob, onlyHeld, onlyContested, beforeMs, afterMs,
        metadata);
  }

  public LockFilter withMetadata(Map<String, String> match) {
    return new LockFilter(lockIdGlob, ownerGlob, onlyHeld, onlyContested, expiresBeforeMs,
        expiresAfterMs, new TreeMap<>(match));
  }
}
