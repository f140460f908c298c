package io.raftlock.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.wire.FlushCoalescing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's gRPC connections coalesce their socket flushes, as the nodes' do: checked on a real
 * HTTP/2 connection to a local server, next to a plain Vert.x gRPC client's, which does not.
 */
class ClientGrpcTest {
  private Vertx vertx;
  private SocketAddress server;

  @BeforeEach
  void startServer() {
    vertx = Vertx.vertx();
    HttpServer s = vertx.createHttpServer().requestHandler(r -> r.response().end())
        .listen(0, "127.0.0.1").await();
    server = SocketAddress.inetSocketAddress(s.actualPort(), "127.0.0.1");
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void theClientsConnectionsCoalesceTheirFlushes() {
    GrpcClient grpc = ClientGrpc.create(vertx, new HttpClientOptions().setHttp2ClearTextUpgrade(false));
    assertTrue(FlushCoalescing.installed(connectionOf(grpc)));
  }

  @Test
  void aPlainGrpcClientsConnectionsDoNot() {
    GrpcClient grpc = GrpcClient.client(vertx, new HttpClientOptions().setHttp2ClearTextUpgrade(false));
    assertFalse(FlushCoalescing.installed(connectionOf(grpc)));
  }

  private HttpConnection connectionOf(GrpcClient grpc) {
    return grpc.request(server).await().connection();
  }
}
