package io.raftlock.node;

import io.raftlock.raft.Message;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test transport between verticles in one JVM: hops each message onto the receiver's context; a
 * forward hops to the target's listener and its answer hops back to the sender's context.
 */
final class LocalTransport implements PeerTransport {
  /** The shared "network": registered nodes and cut nodes. */
  static final class Network {
    private final Map<String, LocalTransport> nodes = new ConcurrentHashMap<>();
    final Set<String> down = ConcurrentHashMap.newKeySet();

    LocalTransport transport(String id) {
      return new LocalTransport(this, id);
    }
  }

  private final Network network;
  private final String id;
  private volatile Context context;
  private volatile Listener listener;

  private LocalTransport(Network network, String id) {
    this.network = network;
    this.id = id;
  }

  @Override
  public Future<Void> start(Listener listener) {
    this.context = Vertx.currentContext();
    this.listener = listener;
    network.nodes.put(id, this);
    return Future.succeededFuture();
  }

  @Override
  public void send(Message m) {
    LocalTransport target = network.nodes.get(m.to());
    if (target == null || network.down.contains(m.to()) || network.down.contains(id)) {
      listener.onUnreachable(m.to());
      return;
    }
    target.context.runOnContext(v -> target.listener.onMessage(m));
  }

  @Override
  public Future<Applied> forward(String leaderId, byte[] command) {
    LocalTransport target = network.nodes.get(leaderId);
    if (target == null || network.down.contains(leaderId) || network.down.contains(id)) {
      return Future.failedFuture(
          new ProposalException(ProposalException.Reason.FORWARD_FAILED, null));
    }
    Context here = context;
    Promise<Applied> promise = Promise.promise();
    target.context.runOnContext(v -> target.listener.onForward(id, command)
        .onComplete(ar -> here.runOnContext(x -> promise.handle(ar))));
    return promise.future();
  }

  @Override
  public Future<Void> close() {
    network.nodes.remove(id, this);
    return Future.succeededFuture();
  }
}
