package io.raftlock.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Which local address a node's outbound node-to-node connections start from. When a node listens
 * on one specific IP address, its outbound connections are bound to that address too, so every
 * packet between two nodes carries both nodes' own addresses: firewall rules between addresses
 * (127.0.0.1, 127.0.0.2, ... on one machine) then cut both directions of a partition. Without the
 * bind the kernel picks the source, e.g. 127.0.0.1 for any loopback destination, and a rule
 * meant for one node would hit another.
 *
 * <p>A wildcard (0.0.0.0, ::) or a host name gets no bind: the kernel's choice is the only sound
 * one there (a name may resolve to several addresses, and resolving it here would block).
 */
public final class OutboundBind {
  private static final Pattern IPV4 = Pattern.compile(
      "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

  private OutboundBind() {}

  /**
   * The address to bind outbound connections to for a node listening on {@code host}: the
   * address itself when {@code host} is an IPv4 or IPv6 literal other than a wildcard, else null
   * (no bind). Never does a DNS lookup.
   */
  public static String localAddressFor(String host) {
    if (host == null) {
      return null;
    }
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!IPV4.matcher(h).matches() && h.indexOf(':') < 0) {
      return null;
    }
    try {
      // A literal: parsed, not resolved.
      InetAddress a = InetAddress.getByName(h);
      return a.isAnyLocalAddress() ? null : a.getHostAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
