package io.raftlock.app;

import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client API's verticle never lands on the Raft verticle's loop, whatever the round robin did. */
class LoopPlacementTest {
  private Vertx vertx;

  /** A verticle that only remembers its loop. */
  static final class Probe extends VerticleBase {
    EventLoop loop() {
      return ((ContextInternal) context).nettyEventLoop();
    }

    @Override
    public Future<?> start() {
      return Future.succeededFuture();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * {@code contextsBetween}: contexts other parts create between the two deployments (a peer
   * transport's client, a timer): with 2 loops an odd number of them would put the second
   * verticle on the first one's loop without the placement.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void theSecondVerticleRunsOnAnotherLoop(int contextsBetween) throws Exception {
    Probe raft = new Probe();
    deploy(raft);
    for (int i = 0; i < contextsBetween; i++) {
      ((VertxInternal) vertx).createEventLoopContext();
    }
    LoopPlacement.nextApartFrom(vertx, raft.loop(), 2);
    Probe api = new Probe();
    deploy(api);
    assertNotSame(raft.loop(), api.loop());
  }

  private void deploy(Probe p) throws Exception {
    vertx.deployVerticle(p).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
