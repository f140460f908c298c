package io.raftlock.transport;

import io.vertx.core.MultiMap;

/**
 * Who is calling whom, carried as gRPC metadata on every peer call. This is identification, not
 * authentication: it keeps misconfigured or stray nodes out (wrong cluster member list, swapped
 * addresses); it does not stop an attacker who can reach the peer port. Use mTLS for that.
 */
final class PeerIdentity {
  static final String FROM = "raftlock-from";
  static final String TO = "raftlock-to";

  private PeerIdentity() {}

  static void stamp(MultiMap headers, String from, String to) {
    headers.set(FROM, from);
    headers.set(TO, to);
  }

  /**
   * Why a call with these headers must be refused, or {@code null} if it comes from a configured
   * peer and is meant for this node.
   */
  static String refusal(MultiMap headers, PeerTransportConfig config) {
    String from = headers.get(FROM);
    String to = headers.get(TO);
    if (!config.isPeer(from)) {
      return "sender " + from + " is not a member of this cluster";
    }
    if (!config.nodeId().equals(to)) {
      return "call meant for " + to + " reached " + config.nodeId();
    }
    return null;
  }
}
