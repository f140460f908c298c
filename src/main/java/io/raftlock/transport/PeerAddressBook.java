package io.raftlock.transport;

import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.vertx.core.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who this node talks to and who may call it: every member's peer address, this node's included
 * (the configured members, then the configuration at runtime), and the members admitted as
 * callers (those of the configurations in force, even before their address is known).
 *
 * <p><b>Learning.</b> A caller advertises its own address; it is learned only for an admitted
 * member this node knows no address of: a configured (or added) address wins over an advertised
 * one.
 *
 * <p>Written on the transport's context; the map is concurrent and the admitted set a volatile
 * copy only so that {@link #peers} and {@link #mayCall} may be read from anywhere.
 */
final class PeerAddressBook {
  private final String self;
  private final Map<String, PeerAddress> members = new ConcurrentHashMap<>();
  private volatile Set<String> admitted = Set.of();

  PeerAddressBook(String self, Map<String, PeerAddress> configured) {
    this.self = self;
    this.members.putAll(configured);
  }

  PeerAddress get(String id) {
    return members.get(id);
  }

  /** The socket address of member {@code id}; its address must be known. */
  SocketAddress socketAddress(String id) {
    PeerAddress a = members.get(id);
    return SocketAddress.inetSocketAddress(a.port(), a.host());
  }

  /** This node's own peer address, as configured, or null. */
  PeerAddress self() {
    return members.get(self);
  }

  /** The other members, in id order. */
  SortedMap<String, PeerAddress> others() {
    SortedMap<String, PeerAddress> others = new TreeMap<>(members);
    others.remove(self);
    return others;
  }

  Set<String> peers() {
    Set<String> peers = new TreeSet<>(members.keySet());
    peers.remove(self);
    return peers;
  }

  /** Records {@code id} at {@code address}; false when that changes nothing (or is this node). */
  boolean put(String id, PeerAddress address) {
    if (id == null || id.equals(self) || address.equals(members.get(id))) {
      return false;
    }
    members.put(id, address);
    return true;
  }

  /** Forgets member {@code id}; false when it was not one (or is this node). */
  boolean remove(String id) {
    return id != null && !id.equals(self) && members.remove(id) != null;
  }

  void admit(Set<String> ids) {
    admitted = Set.copyOf(ids);
  }

  boolean admitted(String id) {
    return admitted.contains(id);
  }

  /** Whether {@code id} may call this node: a member with a known address or an admitted one. */
  boolean mayCall(String id) {
    return members.containsKey(id) || admitted.contains(id);
  }

  boolean knows(String id) {
    return members.containsKey(id);
  }

  /** Whether the address {@code peer} advertised is to be learned (see the class comment). */
  boolean learns(String peer) {
    return !members.containsKey(peer) && admitted.contains(peer);
  }
}
