package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tasks from other threads reach the context in order, batched, and before later runOnContext tasks. */
class ContextMailboxTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context target = vertx.getOrCreateContext();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void tasksFromManyThreadsRunOnTheContextInEachProducersOrder() throws Exception {
    ContextMailbox mailbox = new ContextMailbox(target);
    int producers = 4;
    int perProducer = 20_000;
    List<List<Integer>> seen = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      seen.add(new ArrayList<>()); // each list touched only on the target context
    }
    AtomicInteger offContext = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int producer = p;
      Thread t = new Thread(() -> {
        for (int i = 0; i < perProducer; i++) {
          int n = i;
          mailbox.execute(() -> {
            if (Vertx.currentContext() != target) {
              offContext.incrementAndGet();
            }
            seen.get(producer).add(n);
          });
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    AtomicInteger total = new AtomicInteger();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      target.runOnContext(v -> total.set(seen.stream().mapToInt(List::size).sum()));
      return total.get() == producers * perProducer;
    });
    assertEquals(0, offContext.get());
    for (List<Integer> s : seen) {
      for (int i = 0; i < s.size(); i++) {
        assertEquals(i, s.get(i));
      }
    }
  }

  @Test
  void anOfferedTaskRunsBeforeATaskPostedAfterIt() {
    ContextMailbox mailbox = new ContextMailbox(target);
    Context producer = vertx.getOrCreateContext(); // another event loop (or at least another task)
    List<String> order = new ArrayList<>();
    int rounds = 2_000;
    AtomicInteger done = new AtomicInteger();
    producer.runOnContext(v -> {
      for (int i = 0; i < rounds; i++) {
        String n = Integer.toString(i);
        mailbox.execute(() -> order.add("m" + n));
        target.runOnContext(x -> {
          order.add("r" + n);
          done.incrementAndGet();
        });
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == rounds);
    target.runOnContext(v -> {
      for (int i = 0; i < rounds; i++) {
        assertTrue(order.indexOf("m" + i) < order.indexOf("r" + i), "mailbox task " + i + " ran after the later post");
      }
      done.set(-1);
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == -1);
  }

  @Test
  void aThrowingTaskDoesNotStopTheOthers() {
    ContextMailbox mailbox = new ContextMailbox(target);
    AtomicInteger ran = new AtomicInteger();
    target.runOnContext(v -> {
      mailbox.execute(() -> {
        throw new IllegalStateException("expected by the test");
      });
      mailbox.execute(ran::incrementAndGet);
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 1);
  }
}
