package io.raftlock.transport;

import io.raftlock.tls.MemberNames;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.ServiceMethod;
import java.util.logging.Logger;

/**
 * Opens outbound peer calls. Over mutual TLS a call is handed out only once the server's
 * certificate (verified against the peer CA by the handshake) names the member the call is for:
 * an address that now belongs to another member, or a certificate of the right CA issued to
 * another name, fails the call as unreachable instead of delivering Raft messages to it.
 */
final class MemberCalls {
  private static final Logger LOG = Logger.getLogger(MemberCalls.class.getName());

  private MemberCalls() {}

  static <Req, Resp> Future<GrpcClientRequest<Req, Resp>> open(GrpcClient client,
      SocketAddress address, ServiceMethod<Resp, Req> method, String peer) {
    return client.request(address, method).compose(call -> {
      String refusal = MemberNames.refusal(call.connection(), peer);
      if (refusal == null) {
        return Future.succeededFuture(call);
      }
      LOG.warning(() -> "refused to call " + peer + " at " + address + ": " + refusal);
      call.cancel();
      return Future.failedFuture(new IllegalStateException("peer " + peer + " at " + address + ": " + refusal));
    });
  }
}
