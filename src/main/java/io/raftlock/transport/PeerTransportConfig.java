package io.raftlock.transport;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Settings of the peer transport. Immutable and validated on construction; an invalid value fails
 * with a message naming the field.
 *
 * @param nodeId this node's id
 * @param listenHost interface the peer server binds (may differ from the advertised address)
 * @param listenPort port the peer server binds; 0 picks a free one (tests)
 * @param members every member's peer address by node id, this node included
 * @param callDeadlineMs bound on opening a Messages call, on a write held back by flow control,
 *     and on an unanswered HTTP/2 ping; past it the connection is reset and the peer reported
 * @param maxQueuedMessages per peer: messages held while connecting or while flow control holds
 *     writes; beyond it new messages are dropped and the peer reported unreachable
 * @param reconnectBaseMs first reconnect delay after a failed attempt (doubled per failure)
 * @param reconnectMaxMs cap of the reconnect delay; also how long a call must stay up before the
 *     backoff resets
 * @param pingIntervalMs how often an open connection is pinged to find a silent dead peer; 0 off
 * @param snapshotChunkBytes data bytes per InstallSnapshot chunk
 * @param snapshotDeadlineMs deadline of one whole InstallSnapshot call
 * @param maxSnapshotBytes largest snapshot the receiver accepts
 * @param maxMessageBytes largest gRPC message accepted or sent (AppendEntries batches, chunks)
 * @param forwardDeadlineMs bound on one Forward call, from the follower's {@code forward()} to
 *     the leader's answer (connecting, proposing, committing, applying); past it the forward
 *     fails with a retryable error and the leader drops its late answer
 */
public record PeerTransportConfig(
    String nodeId,
    String listenHost,
    int listenPort,
    Map<String, PeerAddress> members,
    int callDeadlineMs,
    int maxQueuedMessages,
    int reconnectBaseMs,
    int reconnectMaxMs,
    int pingIntervalMs,
    int snapshotChunkBytes,
    int snapshotDeadlineMs,
    int maxSnapshotBytes,
    int maxMessageBytes,
    int forwardDeadlineMs) {

  /** Room for the framing around a chunk's data inside one gRPC message. */
  static final int CHUNK_OVERHEAD_BYTES = 4096;

  public PeerTransportConfig {
    requireId("nodeId", nodeId);
    if (listenHost == null || listenHost.isBlank()) {
      throw new IllegalArgumentException("listenHost is required");
    }
    if (listenPort < 0 || listenPort > 65535) {
      throw new IllegalArgumentException("listenPort out of range 0..65535: " + listenPort);
    }
    if (members == null || !members.containsKey(nodeId)) {
      throw new IllegalArgumentException("members must include this node (" + nodeId + ")");
    }
    TreeMap<String, PeerAddress> copy = new TreeMap<>();
    members.forEach(
        (id, address) -> {
          requireId("members key", id);
          if (address == null) {
            throw new IllegalArgumentException("members[" + id + "] has no address");
          }
          copy.put(id, address);
        });
    members = Collections.unmodifiableSortedMap(copy);
    positive("callDeadlineMs", callDeadlineMs);
    positive("maxQueuedMessages", maxQueuedMessages);
    positive("reconnectBaseMs", reconnectBaseMs);
    if (reconnectMaxMs < reconnectBaseMs) {
      throw new IllegalArgumentException(
          "reconnectMaxMs (" + reconnectMaxMs + ") < reconnectBaseMs (" + reconnectBaseMs + ")");
    }
    if (pingIntervalMs < 0) {
      throw new IllegalArgumentException("pingIntervalMs must be >= 0: " + pingIntervalMs);
    }
    positive("snapshotChunkBytes", snapshotChunkBytes);
    positive("snapshotDeadlineMs", snapshotDeadlineMs);
    positive("maxSnapshotBytes", maxSnapshotBytes);
    positive("maxMessageBytes", maxMessageBytes);
    positive("forwardDeadlineMs", forwardDeadlineMs);
    if ((long) snapshotChunkBytes + CHUNK_OVERHEAD_BYTES > maxMessageBytes) {
      throw new IllegalArgumentException(
          "snapshotChunkBytes + " + CHUNK_OVERHEAD_BYTES + " must fit in maxMessageBytes");
    }
  }

  /** Defaults suited to a LAN cluster with ~100 ms election timeouts. */
  public static PeerTransportConfig of(
      String nodeId, String listenHost, int listenPort, Map<String, PeerAddress> members) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members,
        1_000, 4_096, 50, 2_000, 1_000, 1 << 20, 60_000, 1 << 30, 16 << 20, 2_000);
  }

  public PeerTransportConfig withReconnect(int baseMs, int maxMs) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members, callDeadlineMs, maxQueuedMessages, baseMs,
        maxMs, pingIntervalMs, snapshotChunkBytes, snapshotDeadlineMs, maxSnapshotBytes,
        maxMessageBytes, forwardDeadlineMs);
  }

  public PeerTransportConfig withCallDeadlineMs(int deadlineMs) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members, deadlineMs, maxQueuedMessages, reconnectBaseMs,
        reconnectMaxMs, pingIntervalMs, snapshotChunkBytes, snapshotDeadlineMs, maxSnapshotBytes,
        maxMessageBytes, forwardDeadlineMs);
  }

  public PeerTransportConfig withForwardDeadlineMs(int deadlineMs) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members, callDeadlineMs, maxQueuedMessages,
        reconnectBaseMs, reconnectMaxMs, pingIntervalMs, snapshotChunkBytes, snapshotDeadlineMs,
        maxSnapshotBytes, maxMessageBytes, deadlineMs);
  }

  public PeerTransportConfig withQueue(int maxQueued) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members, callDeadlineMs, maxQueued, reconnectBaseMs,
        reconnectMaxMs, pingIntervalMs, snapshotChunkBytes, snapshotDeadlineMs, maxSnapshotBytes,
        maxMessageBytes, forwardDeadlineMs);
  }

  public PeerTransportConfig withSnapshotChunkBytes(int chunkBytes) {
    return new PeerTransportConfig(
        nodeId, listenHost, listenPort, members, callDeadlineMs, maxQueuedMessages,
        reconnectBaseMs, reconnectMaxMs, pingIntervalMs, chunkBytes, snapshotDeadlineMs,
        maxSnapshotBytes, maxMessageBytes, forwardDeadlineMs);
  }

  /** Members other than this node. */
  public Map<String, PeerAddress> peers() {
    TreeMap<String, PeerAddress> peers = new TreeMap<>(members);
    peers.remove(nodeId);
    return Collections.unmodifiableSortedMap(peers);
  }

  public boolean isPeer(String id) {
    return id != null && !id.equals(nodeId) && members.containsKey(id);
  }

  private static void requireId(String field, String id) {
    if (id == null || id.isBlank() || id.length() > 128) {
      throw new IllegalArgumentException(field + " must be a non-blank id of at most 128 chars");
    }
  }

  private static void positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be > 0: " + value);
    }
  }

  /** A host and port, written {@code host:port}. */
  public record PeerAddress(String host, int port) {
    public PeerAddress {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("peer host is required");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("peer port out of range 1..65535: " + port);
      }
    }

    public static PeerAddress parse(String hostPort) {
      int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("expected host:port, got " + hostPort);
      }
      try {
        return new PeerAddress(
            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected host:port, got " + hostPort, e);
      }
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }
}
