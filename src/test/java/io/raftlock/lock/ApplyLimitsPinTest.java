package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The limits the state machine checks when it applies an entry, besides its replicated settings
 * ({@link LockStateMachine.Config}): a replica replaying an old log under a binary in which one of
 * them changed would apply the same entries differently from the replicas that applied them
 * first. They are part of the log's meaning: to change one, make it a committed setting (a field
 * of {@code Config}, changed by {@code Configure}) or give the commands a new version; never edit
 * the constant. (Limits only the API checks before proposing, such as page sizes, are free.)
 */
class ApplyLimitsPinTest {
  @Test
  void theLimitsCheckedAtApplyAreFrozen() {
    Map<String, Object> actual = new LinkedHashMap<>();
    actual.put("MAX_LOCK_ID_LENGTH", LockLimits.MAX_LOCK_ID_LENGTH);
    actual.put("MAX_CLIENT_ID_LENGTH", LockLimits.MAX_CLIENT_ID_LENGTH);
    actual.put("MAX_REQUEST_ID_LENGTH", LockLimits.MAX_REQUEST_ID_LENGTH);
    actual.put("MIN_TTL_MS", LockLimits.MIN_TTL_MS);
    actual.put("MAX_TTL_MS", LockLimits.MAX_TTL_MS);
    actual.put("DEFAULT_TTL_MS", LockLimits.DEFAULT_TTL_MS);
    actual.put("MIN_SESSION_TTL_MS", LockLimits.MIN_SESSION_TTL_MS);
    actual.put("MAX_SESSION_TTL_MS", LockLimits.MAX_SESSION_TTL_MS);
    actual.put("MIN_WAIT_TIMEOUT_MS", LockLimits.MIN_WAIT_TIMEOUT_MS);
    actual.put("MAX_WAIT_TIMEOUT_MS", LockLimits.MAX_WAIT_TIMEOUT_MS);
    actual.put("MIN_PRIORITY", LockLimits.MIN_PRIORITY);
    actual.put("MAX_PRIORITY", LockLimits.MAX_PRIORITY);
    actual.put("MAX_METADATA_ENTRIES", LockLimits.MAX_METADATA_ENTRIES);
    actual.put("MAX_METADATA_KEY_LENGTH", LockLimits.MAX_METADATA_KEY_LENGTH);
    actual.put("MAX_METADATA_VALUE_LENGTH", LockLimits.MAX_METADATA_VALUE_LENGTH);
    actual.put("MIN_BACKOFF_MS", LockLimits.MIN_BACKOFF_MS);
    actual.put("MAX_BACKOFF_MS", LockLimits.MAX_BACKOFF_MS);
    actual.put("BACKOFF_MULTIPLIER", LockLimits.BACKOFF_MULTIPLIER);
    actual.put("BACKOFF_JITTER_FACTOR", LockLimits.BACKOFF_JITTER_FACTOR);
    actual.put("MAX_TIME_MS", LockLimits.MAX_TIME_MS);
    actual.put("AclState.MAX_PRINCIPALS", AclState.MAX_PRINCIPALS);
    actual.put("AclState.MAX_ROLES", AclState.MAX_ROLES);
    actual.put("AclState.MAX_KEYS", AclState.MAX_KEYS);
    actual.put("AclState.MAX_GRANTS_PER_ROLE", AclState.MAX_GRANTS_PER_ROLE);
    actual.put("AclState.MAX_NAME_LENGTH", AclState.MAX_NAME_LENGTH);
    actual.put("AclState.MAX_KEY_ID_LENGTH", AclState.MAX_KEY_ID_LENGTH);

    Map<String, Object> frozen = new LinkedHashMap<>();
    frozen.put("MAX_LOCK_ID_LENGTH", 256);
    frozen.put("MAX_CLIENT_ID_LENGTH", 256);
    frozen.put("MAX_REQUEST_ID_LENGTH", 128);
    frozen.put("MIN_TTL_MS", 1_000L);
    frozen.put("MAX_TTL_MS", 86_400_000L);
    frozen.put("DEFAULT_TTL_MS", 30_000L);
    frozen.put("MIN_SESSION_TTL_MS", 1_000L);
    frozen.put("MAX_SESSION_TTL_MS", 600_000L);
    frozen.put("MIN_WAIT_TIMEOUT_MS", 1_000L);
    frozen.put("MAX_WAIT_TIMEOUT_MS", 600_000L);
    frozen.put("MIN_PRIORITY", -1000);
    frozen.put("MAX_PRIORITY", 1000);
    frozen.put("MAX_METADATA_ENTRIES", 32);
    frozen.put("MAX_METADATA_KEY_LENGTH", 64);
    frozen.put("MAX_METADATA_VALUE_LENGTH", 256);
    frozen.put("MIN_BACKOFF_MS", 1_000L);
    frozen.put("MAX_BACKOFF_MS", 30_000L);
    frozen.put("BACKOFF_MULTIPLIER", 1.5);
    frozen.put("BACKOFF_JITTER_FACTOR", 0.2);
    frozen.put("MAX_TIME_MS", 253_402_300_799_999L);
    frozen.put("AclState.MAX_PRINCIPALS", 4096);
    frozen.put("AclState.MAX_ROLES", 1024);
    frozen.put("AclState.MAX_KEYS", 8192);
    frozen.put("AclState.MAX_GRANTS_PER_ROLE", 256);
    frozen.put("AclState.MAX_NAME_LENGTH", 128);
    frozen.put("AclState.MAX_KEY_ID_LENGTH", 64);

    assertEquals(frozen, actual, "a limit checked at apply changed: existing logs would replay"
        + " differently (make it a committed setting instead; see the class comment)");
  }
}
