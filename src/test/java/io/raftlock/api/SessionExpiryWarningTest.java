package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.SessionInfo;
import io.raftlock.proto.api.LockEventMessage;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The expiry warning's decisions on a manual clock: when it is due, that a keep-alive committed
 * elsewhere moves it, that it comes once per deadline, and that an ended session gets none.
 */
class SessionExpiryWarningTest {
  static final long TTL_MS = 9_000;
  static final long SESSION = 42;

  /** Timers and the monotonic clock, advanced by hand. */
  final class ManualTime implements SessionExpiryWarning.Timers {
    record Timer(long id, long dueMs, Runnable task) {}

    long nowMs = 1_000_000;
    long nextId;
    final List<Timer> timers = new ArrayList<>();

    @Override
    public long schedule(long delayMs, Runnable task) {
      timers.add(new Timer(++nextId, nowMs + delayMs, task));
      return nextId;
    }

    @Override
    public void cancel(long timerId) {
      timers.removeIf(t -> t.id() == timerId);
    }

    /** Moves the clock on by {@code ms}, running every timer that comes due, in order. */
    void advance(long ms) {
      long until = nowMs + ms;
      while (true) {
        Timer next = timers.stream().filter(t -> t.dueMs() <= until)
            .min(Comparator.comparingLong(Timer::dueMs)).orElse(null);
        if (next == null) {
          break;
        }
        timers.remove(next);
        nowMs = next.dueMs();
        next.task().run();
      }
      nowMs = until;
    }
  }

  final ManualTime time = new ManualTime();
  final List<LockEventMessage> pushed = new ArrayList<>();
  /** The committed deadline as this node has applied it; null: the session ended. */
  Long committedDeadlineMs;
  int reads;

  final SessionExpiryWarning warning = new SessionExpiryWarning(time, () -> time.nowMs * 1_000_000,
      id -> {
        reads++;
        return Future.succeededFuture(committedDeadlineMs == null ? Optional.empty()
            : Optional.of(new SessionInfo(id, "worker", TTL_MS, committedDeadlineMs, 0, 0, 0, new TreeMap<>())));
      }, pushed::add);

  /** Lease time equals this node's clock plus {@code skewMs}: only differences matter. */
  long openedWithSkew(long skewMs) {
    long deadline = time.nowMs + skewMs + TTL_MS;
    committedDeadlineMs = deadline;
    warning.anchor(SESSION, deadline, TTL_MS);
    return deadline;
  }

  @Test
  void warnsOnceWhenNoKeepAliveCommittedForTwoThirdsOfTheTtl() {
    long deadline = openedWithSkew(123_456);

    time.advance(2 * TTL_MS / 3 - 1);
    assertTrue(pushed.isEmpty(), "not before two thirds of the TTL");
    time.advance(1);
    assertEquals(1, pushed.size());
    LockEventMessage w = pushed.get(0);
    assertEquals(LockEventMessage.Kind.SESSION_EXPIRING, w.getKind());
    assertEquals(SESSION, w.getSessionId());
    assertEquals("worker", w.getClientId());
    assertEquals(deadline, w.getExpiresAt().getSeconds() * 1000 + w.getExpiresAt().getNanos() / 1_000_000);

    time.advance(5 * TTL_MS); // the Expire is late (an election): still one warning for the deadline
    assertEquals(1, pushed.size());
  }

  @Test
  void aKeepAliveCommittedElsewhereMovesTheWarning() {
    long deadline = openedWithSkew(-50_000);
    time.advance(TTL_MS / 2);
    committedDeadlineMs = deadline + TTL_MS / 2; // kept alive through a renew or another stream

    time.advance(2 * TTL_MS / 3 - TTL_MS / 2);
    assertTrue(pushed.isEmpty(), "the committed deadline moved: not due yet");
    time.advance(TTL_MS / 2 - 1);
    assertTrue(pushed.isEmpty());
    time.advance(1);
    assertEquals(1, pushed.size(), "due two thirds of the TTL after the keep-alive");
  }

  @Test
  void aKeepAliveAfterTheWarningArmsTheNextOne() {
    openedWithSkew(0);
    time.advance(2 * TTL_MS / 3);
    assertEquals(1, pushed.size());

    long kept = time.nowMs + TTL_MS;
    committedDeadlineMs = kept;
    warning.anchor(SESSION, kept, 0); // this stream's keep-alive answered
    time.advance(2 * TTL_MS / 3 - 1);
    assertEquals(1, pushed.size());
    time.advance(1);
    assertEquals(2, pushed.size(), "a new deadline, a new warning");
  }

  @Test
  void anEndedOrStoppedSessionIsNotWarned() {
    openedWithSkew(0);
    committedDeadlineMs = null; // closed meanwhile
    time.advance(TTL_MS);
    assertTrue(pushed.isEmpty());
    assertTrue(time.timers.isEmpty(), "nothing left armed");

    openedWithSkew(0);
    warning.stop();
    time.advance(TTL_MS);
    assertTrue(pushed.isEmpty());
    assertTrue(time.timers.isEmpty());
  }

  @Test
  void aResumeLearnsTheTtlFromTheCommittedSession() {
    long deadline = time.nowMs + TTL_MS;
    committedDeadlineMs = deadline;
    warning.anchor(SESSION, deadline, 0); // a resume's answer has no TTL
    assertEquals(1, reads);
    time.advance(2 * TTL_MS / 3);
    assertEquals(1, pushed.size());
  }
}
