package io.raftlock.node;

import io.raftlock.raft.Message;
import io.raftlock.raft.RaftNode;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the peer transport hands one node, routed to the part that handles it: messages and
 * delivery reports into the core, forwarded client commands to {@link ClientCommands}, addresses
 * a peer announced to {@link PeerAlignment}. The transport calls it on the Raft context.
 *
 * <p>Invariants: nothing reaches the core once the node stopped; the storage reserve is synced
 * before each message is stepped, so an append the core takes is one it may persist in the drain
 * that follows; every input that can give the core something to say is followed by a drain.
 */
final class PeerInbox implements PeerTransport.Listener {
  /** The core; set before the transport starts, so never null here. */
  private final Supplier<RaftNode> raft;
  private final BooleanSupplier stopped;
  private final StorageReserve reserve;
  private final ClientCommands commands;
  private final PeerAlignment peers;
  private final Runnable drain;

  PeerInbox(Supplier<RaftNode> raft, BooleanSupplier stopped, StorageReserve reserve,
      ClientCommands commands, PeerAlignment peers, Runnable drain) {
    this.raft = raft;
    this.stopped = stopped;
    this.reserve = reserve;
    this.commands = commands;
    this.peers = peers;
    this.drain = drain;
  }

  @Override
  public void onMessage(Message message) {
    if (!stopped.getAsBoolean()) {
      reserve.sync(raft.get()); // before the step: an append it takes is persisted in this drain
      raft.get().step(message);
      drain.run();
    }
  }

  @Override
  public void onUnreachable(String peer) {
    if (!stopped.getAsBoolean()) {
      raft.get().reportUnreachable(peer);
    }
  }

  @Override
  public void onSnapshotStatus(String peer, boolean delivered) {
    if (!stopped.getAsBoolean()) {
      raft.get().reportSnapshot(peer, delivered);
      drain.run();
    }
  }

  @Override
  public Future<Applied> onForward(String from, byte[] command) {
    return commands.acceptForwarded(command);
  }

  @Override
  public void onPeerAddress(String peer, String peerAddress, String clientAddress) {
    if (!stopped.getAsBoolean() && peers.learned(peer, peerAddress, clientAddress)) {
      drain.run(); // connect it now that its address is known
    }
  }
}
