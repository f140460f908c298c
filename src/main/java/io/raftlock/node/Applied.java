package io.raftlock.node;

/**
 * The answer to a proposal: the log position it landed at and what the state machine replied.
 *
 * @param index the entry's log index (a lock grant's fencing token)
 * @param term the term it was proposed and committed in
 * @param result the state machine's reply; for a command forwarded to the leader, the reply as
 *     the local state machine decoded it ({@link ReplicatedStateMachine#decodeResult}). Inside
 *     the peer transport it is the encoded {@code byte[]} (see {@code PeerTransport}).
 */
public record Applied(long index, long term, Object result) {}
