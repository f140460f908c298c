package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** A reserved port stays out of others' hands and is still usable by the server it is for. */
class FreePortsTest {
  @Test
  void aReservedPortIsBelowTheEphemeralRangeRefusesConnectsAndLooksTakenToOthers() {
    int port = FreePorts.next();
    assertTrue(port < 32_768, "below the ephemeral range: " + port);
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "nothing listens yet");
    assertThrows(IOException.class, () -> bindWithoutReuse(port), "another allocator's probe sees it taken");
  }

  @Test
  void aNodeListensOnAReservedPortAndAgainAfterARestart() throws IOException {
    int port = FreePorts.next();
    for (int start = 0; start < 2; start++) {
      // As a member restarts in the tests: a fresh Vert.x instance each time.
      Vertx vertx = Vertx.vertx();
      try {
        NetServer server = vertx.createNetServer().connectHandler(s -> s.end()).listen(port, "127.0.0.1").await();
        assertEquals(port, server.actualPort());
        new Socket("127.0.0.1", port).close();
      } finally {
        vertx.close().await();
      }
    }
  }

  private static void bindWithoutReuse(int port) throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(false);
      probe.bind(new InetSocketAddress("127.0.0.1", port));
    }
  }
}
