package io.raftlock.raft;

/**
 * A confirmed read (thesis §6.4): once the state machine has applied {@code readIndex}, a read
 * issued with {@code requestId} may be served and is linearizable.
 */
public record ReadState(long requestId, long readIndex) {}
