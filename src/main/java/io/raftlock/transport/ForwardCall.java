package io.raftlock.transport;

import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.proto.peer.ForwardRequest;
import io.raftlock.proto.peer.RaftPeerGrpcClient;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * One unary Forward call: a client command from this follower to the leader, and the leader's
 * answer back. Shares the HTTP/2 connection of the peer's other calls.
 *
 * <p>Invariant: the future completes exactly once, and no later than {@code forwardDeadlineMs}
 * after {@link #start}: a timer on the context fails it with {@code FORWARD_FAILED} and cancels
 * the call, whatever stage it is in (still connecting to a black hole, or waiting for a commit).
 * The same deadline travels as the gRPC timeout, so the leader drops an answer nobody awaits. A
 * late reply after that is ignored; {@code done} runs once, when the outcome is known (before
 * the future completes).
 *
 * <p>Threading: confined to the transport's context, like the call it drives.
 */
final class ForwardCall {
  private static final Logger LOG = Logger.getLogger(ForwardCall.class.getName());

  private final String from;
  private final String to;
  private final byte[] command;
  private final PeerTransportConfig config;
  private final Vertx vertx;
  private final PromiseInternal<Applied> promise;
  /** Told once, when the outcome is known: this call, and whether it failed here (no answer). */
  private final BiConsumer<ForwardCall, Boolean> done;

  // --- confined to the transport's context ---
  private GrpcClientRequest<ForwardRequest, ForwardReply> call;
  private long timer = -1;
  private boolean finished;

  ForwardCall(String to, byte[] command, PeerTransportConfig config, Vertx vertx,
      ContextInternal context, BiConsumer<ForwardCall, Boolean> done) {
    this.from = config.nodeId();
    this.to = to;
    this.command = command;
    this.config = config;
    this.vertx = vertx;
    this.promise = context.promise();
    this.done = done;
  }

  Future<Applied> start(GrpcClient client, SocketAddress address) {
    timer = vertx.setTimer(config.forwardDeadlineMs(),
        id -> fail(ProposalException.Reason.FORWARD_FAILED, "deadline passed"));
    MemberCalls.open(client, address, RaftPeerGrpcClient.Forward, to).onComplete(this::onCall);
    return promise.future();
  }

  /** Fails the forward (unless already finished) and cancels the call. */
  void fail(ProposalException.Reason reason, String why) {
    if (finished) {
      return;
    }
    LOG.fine(() -> "forward to " + to + " failed: " + why);
    finish(true);
    promise.tryFail(new ProposalException(reason, null));
    cancelCall();
  }

  private void onCall(AsyncResult<GrpcClientRequest<ForwardRequest, ForwardReply>> ar) {
    if (finished) {
      if (ar.succeeded()) {
        ar.result().cancel(); // the deadline passed while connecting
      }
      return;
    }
    if (ar.failed()) {
      fail(ProposalException.Reason.FORWARD_FAILED, ar.cause().toString());
      return;
    }
    call = ar.result();
    PeerIdentity.stamp(call.headers(), from, to);
    call.timeout(config.forwardDeadlineMs(), TimeUnit.MILLISECONDS);
    call.response().compose(response -> response.last()).onComplete(this::onReply);
    call.end(ForwardMapper.request(from, command));
  }

  private void onReply(AsyncResult<ForwardReply> reply) {
    if (finished) {
      return;
    }
    if (reply.failed()) { // refused (unknown sender), reset, deadline, error status
      fail(ProposalException.Reason.FORWARD_FAILED, reply.cause().toString());
      return;
    }
    finish(false);
    try {
      promise.tryComplete(ForwardMapper.outcome(reply.result()));
    } catch (ProposalException rejected) {
      promise.tryFail(rejected);
    }
  }

  private void finish(boolean failedHere) {
    finished = true;
    vertx.cancelTimer(timer);
    done.accept(this, failedHere);
  }

  private void cancelCall() {
    if (call != null) {
      try {
        call.cancel();
      } catch (RuntimeException e) {
        LOG.fine(() -> "cancelling forward call: " + e);
      }
    }
  }
}
