package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One shared timer for equal request timeouts: expiries run once, in order, never for done requests. */
class RequestDeadlinesTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  /** The deadlines' clock, advanced by the test; the timer itself runs on real time. */
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final List<String> expired = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private RequestDeadlines create(long timeoutMs) {
    AtomicReference<RequestDeadlines> d = new AtomicReference<>();
    onContext(() -> d.set(new RequestDeadlines(vertx, timeoutMs, nanos::get)));
    return d.get();
  }

  /** Runs {@code r} on the context (the deadlines are confined to it) and rethrows its failure. */
  private void onContext(Runnable r) {
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Throwable ok = new Throwable("ok");
    context.runOnContext(v -> {
      try {
        r.run();
        outcome.set(ok);
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> outcome.get() != null);
    if (outcome.get() != ok) {
      throw new AssertionError(outcome.get());
    }
  }

  @Test
  void expiresOnlyRequestsNotDoneInStartOrder() {
    RequestDeadlines d = create(20);
    AtomicReference<RequestDeadlines.Pending> second = new AtomicReference<>();
    onContext(() -> {
      d.start(() -> expired.add("a"));
      second.set(d.start(() -> expired.add("b")));
      d.start(() -> expired.add("c"));
      second.get().done();
    });
    nanos.addAndGet(21_000_000L);
    await().atMost(Duration.ofSeconds(5)).until(() -> expired.size() == 2);
    assertEquals(List.of("a", "c"), expired);
    onContext(() -> assertEquals(0, d.size()));
  }

  @Test
  void aTimerThatFiresEarlyByTheRequestsClockWaitsAgain() {
    RequestDeadlines d = create(10);
    onContext(() -> d.start(() -> expired.add("a")));
    // The real timer fires after ~10 ms, but on the deadlines' clock no time has passed: re-armed.
    await().pollDelay(Duration.ofMillis(60)).atMost(Duration.ofSeconds(5)).until(() -> true);
    assertEquals(List.of(), expired);
    nanos.addAndGet(10_000_000L);
    await().atMost(Duration.ofSeconds(5)).until(() -> expired.size() == 1);
  }

  @Test
  void doneRequestsLeaveTheHeadAtOnce() {
    RequestDeadlines d = create(5_000);
    onContext(() -> {
      RequestDeadlines.Pending a = d.start(() -> expired.add("a"));
      RequestDeadlines.Pending b = d.start(() -> expired.add("b"));
      b.done();
      assertEquals(2, d.size()); // b waits behind a
      a.done();
      assertEquals(0, d.size());
      d.close();
    });
    assertEquals(List.of(), expired);
  }

  @Test
  void aRequestStartedByAnExpiryIsTimedFromItsOwnStart() {
    RequestDeadlines d = create(20);
    onContext(() -> d.start(() -> {
      expired.add("a");
      d.start(() -> expired.add("retry"));
    }));
    nanos.addAndGet(20_000_000L);
    await().atMost(Duration.ofSeconds(5)).until(() -> expired.size() == 1);
    nanos.addAndGet(20_000_000L);
    await().atMost(Duration.ofSeconds(5)).until(() -> expired.size() == 2);
    assertEquals(List.of("a", "retry"), expired);
  }

  @Test
  void refusesANonPositiveTimeout() {
    assertThrows(IllegalArgumentException.class, () -> new RequestDeadlines(vertx, 0, nanos::get));
  }
}
