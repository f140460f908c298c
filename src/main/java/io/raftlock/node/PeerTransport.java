package io.raftlock.node;

import io.raftlock.raft.Message;
import io.vertx.core.Future;

/**
 * Carries Raft messages between the nodes of a cluster.
 *
 * <p>Threading: created and used on the Raft verticle's event-loop context. Every method is
 * called on that context and every callback is delivered on it, so the Raft core is never touched
 * from another thread. No method blocks.
 *
 * <p>Delivery is best effort, like the network Raft assumes: messages may be lost; they are never
 * corrupted, never delivered to the wrong node, and messages from one sender to one receiver
 * arrive in the order sent.
 *
 * <p>Forward: a follower hands one client command to the leader ({@link #forward}); the leader's
 * node answers through {@link Listener#onForward}. Across the transport an {@link Applied}'s
 * {@code result} is the state machine's <em>encoded</em> result, a {@code byte[]}: the node
 * encodes it before answering and decodes it after forwarding; the transport only carries bytes.
 */
public interface PeerTransport {

  /** What the transport reports back to the node. All callbacks run on the node's context. */
  interface Listener {
    /** A message for this node from a member of the cluster. */
    void onMessage(Message message);

    /** Messages to {@code peer} are being dropped (connection down, queue full, deadline). */
    void onUnreachable(String peer);

    /** An InstallSnapshot to {@code peer} was fully delivered ({@code true}) or abandoned. */
    void onSnapshotStatus(String peer, boolean delivered);

    /**
     * A member forwards a client command to this node. Complete with an {@link Applied} whose
     * result is a {@code byte[]} (the encoded result), or fail with a {@link ProposalException}
     * (sent back as a rejection with its reason and leader hint; any other failure reaches the
     * sender as {@code FORWARD_FAILED}). Must never forward the command again.
     */
    Future<Applied> onForward(String from, byte[] command);

    /**
     * A peer told us its addresses ({@code host:port}, the client one may be null) when it
     * called: how members added at runtime become known to nodes that did not add them.
     */
    default void onPeerAddress(String peer, String peerAddress, String clientAddress) {}
  }

  /** Binds the server and prepares peer clients; completes when this node can receive. */
  Future<Void> start(Listener listener);

  /** Queues {@code message} for {@code message.to()}; drops it (and reports) when it cannot. */
  void send(Message message);

  /**
   * Hands {@code command} to {@code leaderId} and completes, on the caller's context, with the
   * leader's {@link Applied} (result: the encoded {@code byte[]}), or fails with a
   * {@link ProposalException}: the leader's rejection as it sent it, or {@code FORWARD_FAILED}
   * when the call failed or outlived the transport's forward deadline (then the command may or
   * may not have been applied). Never hangs past that deadline. Call on the node's context.
   */
  Future<Applied> forward(String leaderId, byte[] command);

  /**
   * Starts talking to a member added at runtime (or moves a peer to a new address), given as the
   * {@code host:port} the member announces. Call on the node's context.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not a valid host:port
   */
  default void addPeer(String id, String hostPort) {}

  /** Stops talking to a member that left; messages to it are dropped from now on. */
  default void removePeer(String id) {}

  /**
   * The members of the configurations in force (this node's latest and committed ones): they
   * may call this node even before it knows their addresses. Call on the node's context.
   */
  default void admit(java.util.Set<String> members) {}

  /** Members this transport currently talks to (peers, this node excluded). */
  default java.util.Set<String> peers() {
    return java.util.Set.of();
  }

  /** Stops accepting, closes connections; completes when everything is released. */
  Future<Void> close();

  /** The transport of a single-node cluster: there is nobody to talk to. */
  static PeerTransport none() {
    return new PeerTransport() {
      @Override
      public Future<Void> start(Listener listener) {
        return Future.succeededFuture();
      }

      @Override
      public void send(Message message) {
        throw new IllegalStateException("a single-node cluster sends no peer messages: " + message);
      }

      @Override
      public Future<Applied> forward(String leaderId, byte[] command) {
        // A single node is always its own leader: the node never forwards. Fail, do not throw.
        return Future.failedFuture(
            new ProposalException(ProposalException.Reason.FORWARD_FAILED, null));
      }

      @Override
      public Future<Void> close() {
        return Future.succeededFuture();
      }
    };
  }
}
