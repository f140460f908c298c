package io.raftlock.client;

import io.raftlock.wire.FlushCoalescing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.impl.GrpcClientImpl;

/**
 * Builds the gRPC client a {@link RaftLockClient} talks through: HTTP/2, deadlines enforced on the
 * client's side too, and the socket flushes of each connection coalesced ({@link FlushCoalescing}),
 * which {@code GrpcClient.builder} has no hook for.
 */
final class ClientGrpc {
  private ClientGrpc() {
  }

  static GrpcClient create(Vertx vertx, HttpClientOptions http) {
    HttpClient httpClient = vertx.httpClientBuilder()
        .with(new HttpClientOptions(http).setProtocolVersion(HttpVersion.HTTP_2))
        .withConnectHandler(FlushCoalescing::install)
        .build();
    // What GrpcClient.client(vertx, options, http) builds, given the HTTP client above; it closes
    // the HTTP client when closed (the last argument). Vert.x internal API.
    return new GrpcClientImpl(vertx, new GrpcClientOptions().setScheduleDeadlineAutomatically(true), httpClient, true) {
    };
  }
}
