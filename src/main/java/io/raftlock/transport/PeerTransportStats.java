package io.raftlock.transport;

/**
 * A point-in-time copy of a transport's counters (for metrics and tests).
 *
 * @param sent messages written to a Messages call
 * @param received messages handed to the listener (snapshots included)
 * @param dropped messages dropped: circuit open, queue full, call broken, transport closed
 * @param rejected inbound calls or messages refused: unknown sender, wrong receiver, malformed
 * @param connects Messages calls that opened (answered with headers)
 * @param unreachableReports {@code onUnreachable} callbacks issued
 * @param snapshotsSent snapshots the receiver confirmed
 * @param snapshotsFailed snapshots abandoned (refused, deadline, connection lost)
 * @param snapshotsReceived snapshots reassembled and handed to the listener
 * @param forwardsSent Forward calls started to a leader
 * @param forwardsFailed forwards that failed here (circuit open, call failed, deadline, closing)
 *     — not the leader's rejections, which are answers
 * @param forwardsReceived forwarded commands handed to the listener
 */
public record PeerTransportStats(
    long sent,
    long received,
    long dropped,
    long rejected,
    long connects,
    long unreachableReports,
    long snapshotsSent,
    long snapshotsFailed,
    long snapshotsReceived,
    long forwardsSent,
    long forwardsFailed,
    long forwardsReceived) {}
