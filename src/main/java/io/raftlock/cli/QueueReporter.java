package io.raftlock.cli;

import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.WaiterInfo;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Tells the user of a waiting command where it stands: {@code queued for NAME at position 2 of 3
 * (1 ahead; held by X)} on stderr, when it first shows up in the lock's wait queue and whenever
 * its place changes. The client API hands out the grant but not the queue position of its
 * acquire reply, so the position is read from the lock's waiter list (the server's own
 * {@code position}, 0 = next), about once a second, as a stale read served by the contacted
 * node. A read that fails or is slow is skipped: it never delays noticing the grant.
 */
final class QueueReporter {
  private static final long TICK_MS = 200;
  private static final long POLL_EVERY_MS = 1_000;

  private final RaftLockClient client;
  private final String lock;
  private final String clientId;
  private final PrintStream err;
  private final String prefix;
  private int lastPosition = -1;

  QueueReporter(RaftLockClient client, String lock, String clientId, PrintStream err, String prefix) {
    this.client = client;
    this.lock = lock;
    this.clientId = clientId;
    this.err = err;
    this.prefix = prefix;
  }

  /** Waits for {@code grant} like {@link RaftLockClient#await}, reporting the queue position meanwhile. */
  <T> T await(CompletionStage<T> grant) {
    CompletableFuture<T> f = grant.toCompletableFuture();
    CompletableFuture<GetLockInfoResponse> read = null;
    long nextReadNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TICK_MS);
    while (true) {
      try {
        return f.get(TICK_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (read != null && read.isDone() && !read.isCompletedExceptionally()) {
          report(read.join());
          read = null;
        }
        if ((read == null || read.isDone()) && System.nanoTime() - nextReadNanos >= 0) {
          read = readWaiters();
          nextReadNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_EVERY_MS);
        }
      } catch (ExecutionException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        return RaftLockClient.await(f); // rethrows as the client does
      }
    }
  }

  private CompletableFuture<GetLockInfoResponse> readWaiters() {
    return client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).setIncludeWaiters(true)
        .setStaleRead(true).build()).toCompletableFuture();
  }

  private void report(GetLockInfoResponse r) {
    if (!r.hasLockInfo()) {
      return;
    }
    LockInfo l = r.getLockInfo();
    for (WaiterInfo w : l.getWaitersInfoList()) {
      if (w.getClientId().equals(clientId) && w.getPosition() != lastPosition) {
        lastPosition = w.getPosition();
        err.println(prefix + ": " + describe(lock, w.getPosition(), l.getWaiterCount(), l.getOwnerId()));
      }
    }
  }

  /** {@code position} as the server counts it: waiters ahead, 0 = next. */
  static String describe(String lock, int position, int waiters, String holder) {
    return "queued for " + lock + " at position " + (position + 1) + " of " + Math.max(waiters, position + 1) + " ("
        + (position == 0 ? "next" : position + " ahead") + "; held by " + holder + ")";
  }
}
