package io.raftlock.cli;

import io.raftlock.client.LockHandle;
import io.raftlock.client.LostReason;
import io.raftlock.client.RaftLockClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
@Command(name = "lock",
    header = "hold a lock while running a command: lock NAME [--ttl 30s] -- COMMAND ARGS...",
    customSynopsis = "raftlock lock NAME [--ttl 30s] [--wait-timeout DURATION] -- COMMAND [ARGS...]",
    description = {
        "Waits for lock NAME (the grant is pushed by the server; while queued it says at which position), runs "
            + "COMMAND while holding it and renewing it, releases it when COMMAND exits and exits with COMMAND's "
            + "status. On SIGTERM or SIGINT, COMMAND is stopped (SIGTERM, then SIGKILL after 5 s), the lock is "
            + "released and raftlock exits. If the lock is lost while COMMAND runs (renewals failed past the lease, "
            + "or the server expired it), COMMAND is killed and raftlock exits with 4.",
        "COMMAND gets RAFTLOCK_LOCK, RAFTLOCK_TOKEN (the fencing token) and RAFTLOCK_CLIENT_ID in its environment; "
            + "it inherits stdin, stdout and stderr. raftlock's own messages go to stderr."})
final class LockRunner extends CliCommand.WithCommonOptions {
  /** How long COMMAND gets to exit after SIGTERM before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  @Parameters(index = "0", paramLabel = "NAME", description = "the lock")
  String name;

  @Parameters(index = "1..*", paramLabel = "COMMAND", description = "the command to run and its arguments, after --")
  List<String> command = new ArrayList<>();

  static final Duration MAX_SESSION_TTL = Duration.ofMinutes(10);

  @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "how long the lock outlives this process if it dies or is cut off, 1s..10m (default 30s): "
          + "the TTL of its session, kept alive every third of it")
  Duration ttl;

  @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = Durations.Converter.class,
      description = "give up (exit 1) if not granted in time (default: wait forever)")
  Duration waitTimeout;

  /** COMMAND is exactly what follows the first {@code --}, verbatim (options of its own included). */
  private List<String> commandAfterDashDash() {
    List<String> argv = spec.commandLine().getParseResult().originalArgs();
    int dashDash = argv.indexOf("--");
    if (dashDash < 0 || dashDash == argv.size() - 1) {
      throw new UsageException("missing -- COMMAND [ARGS...]");
    }
    List<String> after = argv.subList(dashDash + 1, argv.size());
    if (!command.equals(after)) {
      throw new UsageException("unexpected argument " + command.get(0) + " (COMMAND goes after --)");
    }
    return List.copyOf(after);
  }

  @Override
  int run(CliContext c) {
    List<String> cmd = commandAfterDashDash();
    Duration lease = ttl(ttl);
    if (lease.compareTo(MAX_SESSION_TTL) > 0) {
      throw new UsageException("--ttl must be at most 10m for lock (the longest session TTL)");
    }
    RaftLockClient client = c.client(lease);
    Holding holding = new Holding();
    Thread hook = new Thread(() -> holding.stop(c, client, name), "raftlock-lock-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      QueueReporter queue = new QueueReporter(client, name, c.clientId, c.err, "raftlock");
      LockHandle h;
      if (waitTimeout == null) {
        h = queue.await(client.lockAsync(name, lease));
      } else {
        Optional<LockHandle> o = queue.await(client.tryLockAsync(name, lease, waitTimeout));
        if (o.isEmpty()) {
          c.err.println("raftlock: " + name + " was not granted within " + Durations.human(waitTimeout));
          return finish(client, hook, Cli.REFUSED);
        }
        h = o.get();
      }
      return runHolding(c, client, hook, holding, h, cmd);
    } catch (RuntimeException e) {
      if (holding.stopping.get()) {
        return Cli.UNAVAILABLE;
      }
      int code = Output.failure("lock", e, c.json, c.err, c.err); // stdout belongs to COMMAND
      return finish(client, hook, code);
    }
  }

  private int runHolding(CliContext c, RaftLockClient client, Thread hook, Holding holding, LockHandle h,
      List<String> cmd) {
    holding.held.set(h);
    h.onLost(reason -> {
      holding.lost.set(reason);
      Process p = holding.child.get();
      if (p != null) {
        kill(p);
      }
    });
    if (holding.stopping.get()) {
      return Cli.UNAVAILABLE; // the hook releases and exits
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    pb.environment().put("RAFTLOCK_LOCK", name);
    pb.environment().put("RAFTLOCK_TOKEN", Long.toString(h.token()));
    pb.environment().put("RAFTLOCK_CLIENT_ID", c.clientId);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      c.err.println("raftlock: cannot run " + cmd.get(0) + ": " + e.getMessage());
      client.unlock(h);
      return finish(client, hook, Cli.CANNOT_RUN);
    }
    holding.child.set(p);
    if (holding.lost.get() != null || !h.isHeld()) {
      kill(p); // lost between the grant and the start
    }
    int status = waitFor(p);
    if (holding.stopping.get()) {
      return status; // the shutdown hook releases the lock; the JVM exits with the signal's status
    }
    if (holding.lost.get() != null) {
      c.err.println("raftlock: lock " + name + " lost (" + holding.lost.get() + ") while the command ran; command killed");
      return finish(client, hook, Cli.LOST);
    }
    client.unlock(h);
    return finish(client, hook, status);
  }

  /** What the shutdown hook and the lost-lock listener share with the main thread. */
  private static final class Holding {
    final AtomicReference<Process> child = new AtomicReference<>();
    final AtomicReference<LockHandle> held = new AtomicReference<>();
    final AtomicReference<LostReason> lost = new AtomicReference<>();
    final AtomicBoolean stopping = new AtomicBoolean();

    /** SIGTERM/SIGINT: stop COMMAND, then release, so the next waiter gets the lock at once. */
    void stop(CliContext c, RaftLockClient client, String name) {
      stopping.set(true);
      Process p = child.get();
      if (p != null) {
        LockRunner.stop(p);
      }
      LockHandle h = held.get();
      if (h != null) {
        try {
          client.unlock(h);
        } catch (RuntimeException e) {
          c.err.println("raftlock: could not release " + name + " on exit: " + Output.message(e));
        }
      }
      client.close();
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
