package io.raftlock.wire;

import io.vertx.core.VertxOptions;

/**
 * The Netty transport every Vert.x instance of RaftLock asks for, node and client alike: the native
 * one (epoll on Linux x86-64, whose library ships with both) unless {@code -Draftlock.transport=nio}
 * asks for Java NIO. Vert.x falls back to NIO by itself where no native transport loads.
 */
public final class NettyTransport {
  public static final String PROPERTY = "raftlock.transport";

  private NettyTransport() {}

  /**
   * True on the platform whose native transport ships with RaftLock (Linux x86-64: the
   * {@code netty-transport-native-epoll} file of the build), where a node and the clients' shared
   * Vert.x must run on it.
   */
  public static boolean nativeShipped() {
    return System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").matches("amd64|x86_64");
  }

  /** {@code options}, asking for the native transport unless the property says {@code nio}. */
  public static VertxOptions preferNative(VertxOptions options) {
    return options.setPreferNativeTransport(!"nio".equals(System.getProperty(PROPERTY)));
  }
}
