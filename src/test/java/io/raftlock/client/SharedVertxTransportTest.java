package io.raftlock.client;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftlock.wire.NettyTransport;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

/**
 * On Linux x86-64 the clients' shared Vert.x runs on Netty's native epoll transport: the library
 * and its native file are on the classpath and of the same Netty version (a mismatch makes Vert.x
 * fall back to NIO silently, which only this test would notice).
 */
class SharedVertxTransportTest {

  @Test
  void theSharedInstanceRunsOnEpollOnLinux() {
    assumeTrue(NettyTransport.nativeShipped(), "epoll is shipped for Linux x86-64 only");
    Vertx vertx = SharedVertx.acquire();
    try {
      assertTrue(vertx.isNativeTransportEnabled(), () -> "native transport unavailable: "
          + vertx.unavailableNativeTransportCause());
    } finally {
      SharedVertx.release(vertx).await();
    }
  }
}
