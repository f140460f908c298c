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
  /**
   * Optional, on Messages calls: the caller's own peer and client addresses ({@code host:port}).
   * A member added at runtime is known to the others only by id (the configuration carries ids),
   * so this is how they learn where to reach it.
   */
  static final String FROM_PEER_ADDRESS = "raftlock-from-peer-address";
  static final String FROM_CLIENT_ADDRESS = "raftlock-from-client-address";

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
    return refusal(headers, config.nodeId(), config::isPeer);
  }

  /**
   * As above with the member test given: the member set changes at runtime, so the transport
   * answers it from its current peers and the configuration in force.
   */
  static String refusal(MultiMap headers, String self, java.util.function.Predicate<String> isPeer) {
    String from = headers.get(FROM);
    String to = headers.get(TO);
    if (from == null || from.equals(self) || !isPeer.test(from)) {
      return "sender " + from + " is not a member of this cluster";
    }
    if (!self.equals(to)) {
      return "call meant for " + to + " reached " + self;
    }
    return null;
  }
}
