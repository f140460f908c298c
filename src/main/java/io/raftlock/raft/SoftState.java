package io.raftlock.raft;

/**
 * Volatile facts the driver reacts to (routing, failing pending work, the expiry driver); not
 * persisted. {@code leaderId} is null while no leader is known.
 */
public record SoftState(Role role, String leaderId, long term) {}
