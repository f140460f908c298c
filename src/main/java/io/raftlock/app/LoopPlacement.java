package io.raftlock.app;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.vertx.core.Vertx;

/**
 * Keeps client I/O off the Raft event loop. Vert.x gives every new context the next loop of its
 * group, round robin; {@link #nextApartFrom} advances that turn so that the next context (the
 * client API's server) lands on another loop than the Raft verticle's. With Raft alone on its
 * thread, a flood of client frames is decoded, refused and answered on another thread, and the
 * operating system schedules the Raft loop's ticks, heartbeats and votes independently of it
 * (issue 18: one WebSocket refused 97 % of its frames on the shared loop and still cost the
 * cluster its leader).
 */
final class LoopPlacement {
  private LoopPlacement() {
  }

  /**
   * Advances the round robin until it has just handed out {@code taken}, so that the next
   * context gets the loop after it; nothing to do with a single loop. Call it right before the
   * deployment that must stay apart, on the deploying thread (nothing else creates contexts
   * while a node starts).
   */
  static void nextApartFrom(Vertx vertx, EventLoop taken, int loops) {
    if (loops < 2) {
      return;
    }
    EventLoopGroup group = ((io.vertx.core.internal.VertxInternal) vertx).nettyEventLoopGroup();
    for (int i = 0; i < loops && group.next() != taken; i++) {
      // turn the round robin until it hands out `taken`
    }
  }
}
