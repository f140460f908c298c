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

  /** {@code options}, asking for the native transport unless the property says {@code nio}. */
  public static VertxOptions preferNative(VertxOptions options) {
    return options.setPreferNativeTransport(!"nio".equals(System.getProperty(PROPERTY)));
  }
}
