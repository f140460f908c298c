package io.raftlock.it;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The client process that {@link KilledClientProcessIT} kills: a {@link RaftLockClient} on one
 * session takes {@code COUNT} locks {@code PREFIX0 .. PREFIX<COUNT-1>}, prints
 * {@code held NAME TOKEN} for each and then {@code holding COUNT}, and keeps them (one keep-alive
 * per TTL/3) until it is killed. A lock it loses meanwhile is printed as {@code lost NAME REASON}.
 *
 * <p>Arguments: {@code ENDPOINTS CLIENT_ID SESSION_TTL_MS PREFIX COUNT}.
 */
public final class SessionHolderProcess {
  private SessionHolderProcess() {}

  public static void main(String[] args) throws InterruptedException {
    Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
    String prefix = args[3];
    int count = Integer.parseInt(args[4]);
    RaftLockClient client = RaftLockClient.builder().endpoints(args[0]).clientId(args[1]).sessionTtl(ttl)
        .operationTimeout(Duration.ofSeconds(120))
        .onLost((h, reason) -> System.out.println("lost " + h.name() + " " + reason))
        .build();
    List<CompletableFuture<LockHandle>> pending = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pending.add(client.lockAsync(prefix + i, ttl).toCompletableFuture());
    }
    StringBuilder report = new StringBuilder();
    for (CompletableFuture<LockHandle> f : pending) {
      LockHandle h = f.join();
      report.append("held ").append(h.name()).append(' ').append(h.token()).append('\n');
    }
    System.out.print(report.append("holding ").append(count).append('\n'));
    System.out.flush();
    new CountDownLatch(1).await(); // until SIGKILL: the session is never closed
  }
}
