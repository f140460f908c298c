package io.raftlock.nemesis;

import java.io.IOException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The faults aimed at client processes, on their own schedule beside the node faults: every
 * 6–15 s a random client is paused ({@code SIGSTOP} for 0.5–3 × TTL, then {@code SIGCONT}) or,
 * one time in four, killed with {@code kill -9} and restarted 0.5–2 s later with the same id and
 * history. Either way a session client stops keeping its session alive, so a pause longer than
 * the TTL or a kill lets the session expire with its locks.
 */
final class ClientNemesis {
  /** Restarts client {@code id} (same command, history appended); the new process. */
  interface Restart {
    Process restart(String id) throws IOException;
  }

  private final NemesisLog log;
  private final StopSignal stop;
  private final Random random;
  private final int clients;
  private final long ttlMs;
  private final Function<String, Process> current;
  private final Restart restart;

  ClientNemesis(NemesisLog log, StopSignal stop, long seed, int clients, long ttlMs,
      Function<String, Process> current, Restart restart) {
    this.log = log;
    this.stop = stop;
    this.random = new Random(seed ^ 0x5DEECE66DL);
    this.clients = clients;
    this.ttlMs = ttlMs;
    this.current = current;
    this.restart = restart;
  }

  /** Starts the schedule on a daemon thread; interrupt it to stop after the fault under way. */
  Thread start() {
    Thread t = new Thread(this::run, "nemesis-client-faults");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void run() {
    while (!Thread.currentThread().isInterrupted()
        && stop.holdFor(Duration.ofMillis(6_000 + random.nextInt(9_000)))) {
      String id = "c" + (1 + random.nextInt(clients));
      Process p = current.apply(id);
      if (p == null || !p.isAlive() || Thread.currentThread().isInterrupted()) {
        continue;
      }
      if (random.nextInt(4) == 0) {
        kill(id, p, 500 + random.nextInt(1_500));
      } else {
        pause(id, p, (long) (ttlMs * (0.5 + 2.5 * random.nextDouble())));
      }
    }
  }

  private void pause(String id, Process p, long ms) {
    log.start("pause", id, "SIGSTOP of client " + id + " for " + ms + " ms");
    Shell.signal(p.pid(), "STOP");
    // Not interruptible on purpose: the SIGCONT and the end line must follow the start.
    new StopSignal().holdFor(Duration.ofMillis(ms));
    Shell.signal(p.pid(), "CONT");
    log.end("pause", id, "SIGCONT");
  }

  private void kill(String id, Process p, long downMs) {
    log.start("clientkill", id, "kill -9 of client " + id + ", restart after " + downMs + " ms");
    p.destroyForcibly();
    // Not interruptible on purpose: the restart and the end line must follow the start.
    new StopSignal().holdFor(Duration.ofMillis(downMs));
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // restart it all the same: the run goes on
    }
    try {
      restart.restart(id);
      log.end("clientkill", id, "restarted");
    } catch (IOException e) {
      log.end("clientkill", id, "restart failed: " + e);
    }
  }
}
