package io.raftlock.transport;

/**
 * Counters of one transport. Confined to the transport's context: written there, read there
 * through {@link GrpcPeerTransport#stats()}.
 */
final class TransportStats {
  long sent;
  long received;
  long dropped;
  long rejected;
  long connects;
  long unreachableReports;
  long snapshotsSent;
  long snapshotsFailed;
  long snapshotsReceived;
  long forwardsSent;
  long forwardsFailed;
  long forwardsReceived;

  PeerTransportStats snapshot() {
    return new PeerTransportStats(sent, received, dropped, rejected, connects, unreachableReports,
        snapshotsSent, snapshotsFailed, snapshotsReceived, forwardsSent, forwardsFailed,
        forwardsReceived);
  }
}
