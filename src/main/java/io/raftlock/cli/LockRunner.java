package io.raftlock.cli;

import io.raftlock.client.LockHandle;
import io.raftlock.client.LostReason;
import io.raftlock.client.RaftLockClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code raftlock lock NAME -- COMMAND ARGS...}: hold a lock while a command runs, like
 * {@code etcdctl lock}.
 *
 * <p>Invariant: COMMAND runs only while this process holds the lock. It is started after the
 * grant; if the lock is lost (the client's conservative local deadline passed without a renewal,
 * or the server expired it) COMMAND is killed at once, before the server can have granted the
 * lock to anybody else. On SIGTERM/SIGINT a shutdown hook stops COMMAND, then releases the lock,
 * so the next waiter gets it right away rather than after the TTL.
 */
final class LockRunner {
  /** How long COMMAND gets to exit after SIGTERM before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private LockRunner() {}

  static int run(Cli.Context c) {
    String name = c.args.positionals("NAME").get(0);
    if (!c.args.dashDash || c.args.afterDashDash.isEmpty()) {
      throw new UsageException("missing -- COMMAND [ARGS...]");
    }
    List<String> command = c.args.afterDashDash;
    Duration ttl = Cli.ttl(c);
    Duration waitTimeout = c.args.duration("wait-timeout", null);
    RaftLockClient client = c.client();
    AtomicReference<Process> child = new AtomicReference<>();
    AtomicReference<LockHandle> held = new AtomicReference<>();
    AtomicReference<LostReason> lost = new AtomicReference<>();
    AtomicBoolean stopping = new AtomicBoolean();
    Thread hook = new Thread(() -> {
      stopping.set(true);
      Process p = child.get();
      if (p != null) {
        stop(p);
      }
      LockHandle h = held.get();
      if (h != null) {
        try {
          client.unlock(h);
        } catch (RuntimeException e) {
          c.err.println("raftlock: could not release " + name + " on exit: " + Cli.message(e));
        }
      }
      client.close();
    }, "raftlock-lock-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      LockHandle h;
      if (waitTimeout == null) {
        h = client.lock(name, ttl);
      } else {
        Optional<LockHandle> o = client.tryLock(name, ttl, waitTimeout);
        if (o.isEmpty()) {
          c.err.println("raftlock: " + name + " was not granted within " + Cli.human(waitTimeout));
          return finish(client, hook, Cli.REFUSED);
        }
        h = o.get();
      }
      held.set(h);
      h.onLost(reason -> {
        lost.set(reason);
        Process p = child.get();
        if (p != null) {
          kill(p);
        }
      });
      if (stopping.get()) {
        return Cli.UNAVAILABLE; // the hook releases and exits
      }
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().put("RAFTLOCK_LOCK", name);
      pb.environment().put("RAFTLOCK_TOKEN", Long.toString(h.token()));
      pb.environment().put("RAFTLOCK_CLIENT_ID", c.clientId);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        c.err.println("raftlock: cannot run " + command.get(0) + ": " + e.getMessage());
        client.unlock(h);
        return finish(client, hook, Cli.CANNOT_RUN);
      }
      child.set(p);
      if (lost.get() != null || !h.isHeld()) {
        kill(p); // lost between the grant and the start
      }
      int status = waitFor(p);
      if (stopping.get()) {
        return status; // the shutdown hook releases the lock; the JVM exits with the signal's status
      }
      if (lost.get() != null) {
        c.err.println("raftlock: lock " + name + " lost (" + lost.get() + ") while the command ran; command killed");
        return finish(client, hook, Cli.LOST);
      }
      client.unlock(h);
      return finish(client, hook, status);
    } catch (RuntimeException e) {
      if (stopping.get()) {
        return Cli.UNAVAILABLE;
      }
      int code = Cli.failure("lock", e, c.json, c.err, c.err); // stdout belongs to COMMAND
      return finish(client, hook, code);
    }
  }

  private static int finish(RaftLockClient client, Thread hook, int code) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      return code; // shutting down already: the hook does the rest
    }
    client.close();
    return code;
  }

  private static int waitFor(Process p) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return p.waitFor();
        } catch (InterruptedException e) {
          interrupted = true;
          kill(p);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** SIGTERM to COMMAND and its descendants, SIGKILL after the grace period. */
  static void stop(Process p) {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill(p);
    }
  }

  /** SIGKILL at once: the lock is gone, so COMMAND must not run one more instant. */
  static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }
}
