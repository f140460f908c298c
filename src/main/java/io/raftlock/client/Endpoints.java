package io.raftlock.client;

import io.vertx.core.net.SocketAddress;
import java.util.List;

/**
 * Where the client's calls and its session stream go. Each client starts at a random endpoint of
 * its list, so that processes configured with the same list spread over the nodes instead of all
 * loading the first one. A leader address named by a node ({@code NOT_LEADER} with
 * {@code leader_address}) takes over at once: writes cost least on the leader. A node that cannot
 * be reached, is stopping or has no leader gives way to the next endpoint in the list.
 *
 * <p>Used on the client's one event-loop context only: no locking.
 */
final class Endpoints {
  private final List<SocketAddress> list;
  private SocketAddress preferred;
  private int rotation;

  /** Starts at {@code list.get(start)} (a random index unless the client was told otherwise). */
  Endpoints(List<SocketAddress> list, int start) {
    if (list.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    this.list = List.copyOf(list);
    this.rotation = Math.floorMod(start, this.list.size());
    this.preferred = this.list.get(rotation);
  }

  /** The endpoint the next call or stream goes to. */
  SocketAddress preferred() {
    return preferred;
  }

  int size() {
    return list.size();
  }

  /** {@code failed} did not serve: move on to the next endpoint (unless someone already did). */
  void moveOnFrom(SocketAddress failed) {
    if (failed.equals(preferred)) {
      rotation = (rotation + 1) % list.size();
      preferred = list.get(rotation);
    }
  }

  /**
   * A node named the leader's client address: go there. A malformed or empty hint is ignored.
   * Returns whether the preferred endpoint changed.
   */
  boolean followLeader(String hostPort) {
    if (hostPort == null || hostPort.isEmpty()) {
      return false;
    }
    SocketAddress leader;
    try {
      leader = parse(hostPort);
    } catch (IllegalArgumentException e) {
      return false;
    }
    boolean changed = !leader.equals(preferred);
    preferred = leader;
    return changed;
  }

  /** {@code host:port} → address; the last colon separates the port (IPv6 hosts in brackets). */
  static SocketAddress parse(String hostPort) {
    String s = hostPort.trim();
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("endpoint must be host:port, got '" + hostPort + "'");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint must be host:port, got '" + hostPort + "'", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range in '" + hostPort + "'");
    }
    return SocketAddress.inetSocketAddress(port, host);
  }
}
