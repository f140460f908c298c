package io.raftlock.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftlock.nemesis.NemesisRunner;
import io.raftlock.nemesis.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The short nemesis profile (about 3 minutes): three fat-jar nodes on 127.0.0.1-3 with auth on
 * (as a real deployment runs; {@code -Dnemesis.auth=false} runs without), ten client JVMs on
 * three locks with a 2 s TTL (seven on sessions, three on unary calls) sending the API key of a
 * principal that may lock and read them, and a seeded schedule of kill -9 (nodes and clients),
 * SIGSTOP (nodes and clients), nft partitions (between members, and clients cut off from nodes),
 * wall-clock steps of more than a TTL (libfaketime) and power losses that tear the unsynced log tail;
 * a client paused past its TTL or killed lets its session expire. Faults whose tool or privilege is missing are skipped with a
 * message (partitions without nft/root); the checker must then find no violation, the replicas
 * must converge after the final heal, and no node may exit on its own.
 *
 * <p>Artifacts stay in {@code target/nemesis/it-SEED}; {@code -Dnemesis.seed=N} replays a seed.
 */
class NemesisIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");

  @Test
  void shortProfileKeepsEveryLockSafeUnderKillPausePartitionAndClockSteps() throws Exception {
    assertTrue(Files.exists(JAR), "the fat jar is built before integration tests");
    installTools();
    long seed = Long.getLong("nemesis.seed", 1L);
    Path run = Path.of("target", "nemesis", "it-" + seed);
    boolean auth = Boolean.parseBoolean(System.getProperty("nemesis.auth", "true"));
    NemesisRunner.Result r = new NemesisRunner(new NemesisRunner.Options(seed, Profile.SHORT, run, JAR,
        System.getProperty("java.class.path"), 10, auth)).run();

    r.skipped().forEach((fault, why) -> System.out.println("NemesisIT skipped " + fault + " faults: " + why));
    assertTrue(r.faults().getOrDefault("kill", 0) > 0, "kill -9 faults ran: " + r.faults());
    assertTrue(r.faults().getOrDefault("pause", 0) > 0, "pause faults ran: " + r.faults());
    for (String kind : List.of("partition", "client-partition", "clock", "torn-power")) {
      if (!r.skipped().containsKey(kind)) {
        assertTrue(r.faults().getOrDefault(kind, 0) > 0, kind + " faults ran: " + r.faults());
      }
    }
    assertEquals(List.of(), r.unexpectedExits(), "no node exits unless killed");
    assertTrue(r.converged(), "replicas converge within 30 s of the final heal");
    assumeTrue(r.clientsRan(), "the nemesis client is not on the classpath: faults ran without a workload");
    assumeTrue(r.check().ran(), "the checker did not run: " + r.check().error());
    assertEquals(List.of(), r.check().violations(), "safety violations; see " + run.resolve("runner.log"));
    assertTrue(r.check().ok(), "checker verdict");
  }

  /**
   * Installs what the faults use (nft, libfaketime, ext4 tools) with the project's script, as
   * the README promises for anything a test needs. Whatever stays missing (not root, no apt) is
   * skipped by the run with a message; the script's output says why.
   */
  private static void installTools() throws Exception {
    Process p = new ProcessBuilder("bash", "scripts/install-nemesis-tools.sh").inheritIO().start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      System.out.println("NemesisIT: scripts/install-nemesis-tools.sh took over 5 minutes; going on without it");
    }
  }
}
