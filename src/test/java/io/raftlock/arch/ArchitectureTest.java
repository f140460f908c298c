package io.raftlock.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.raftlock.arch.cyclefixture.left.Left;
import io.raftlock.arch.cyclefixture.right.Right;
import io.raftlock.raft.archfixture.ImpureCore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Random;
import java.util.Timer;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Raft core and the lock state machine pure (ARCHITECTURE.md, "The one rule"): only
 * {@code java.*} and each other; no clocks, no threads, no unseeded randomness. Each rule is
 * also run against a deliberately impure fixture to prove it can fail.
 */
class ArchitectureTest {
  private static final String[] PURE = {"io.raftlock.raft..", "io.raftlock.lock.."};

  static final ArchRule ONLY_JAVA_AND_EACH_OTHER =
      classes().that().resideInAnyPackage(PURE)
          .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.raftlock.raft..", "io.raftlock.lock..")
          .because("the core runs unchanged inside the single-threaded simulator");

  static final ArchRule NO_CLOCKS_OR_RANDOMNESS =
      noClasses().that().resideInAnyPackage(PURE)
          .should().callMethod(System.class, "currentTimeMillis")
          .orShould().callMethod(System.class, "nanoTime")
          .orShould().callMethod(Instant.class, "now")
          .orShould().callMethod(LocalDateTime.class, "now")
          .orShould().callMethod(Math.class, "random")
          .orShould().callMethod(UUID.class, "randomUUID")
          .orShould().callMethod(ThreadLocalRandom.class, "current")
          .orShould().callConstructor(Random.class)
          .orShould().dependOnClassesThat().belongToAnyOf(Clock.class, SecureRandom.class, Timer.class)
          .because("time comes in as ticks or leader-stamped command time, randomness as a seeded generator");

  static final ArchRule NO_THREADS =
      noClasses().that().resideInAnyPackage(PURE)
          .should().dependOnClassesThat().belongToAnyOf(Thread.class, ThreadGroup.class)
          .orShould().dependOnClassesThat().resideInAPackage("java.util.concurrent..")
          .because("one thread owns the core; nothing in it may start or coordinate threads");

  /** Packages (one slice per top-level package under {@code root}) that depend on each other in a ring. */
  static ArchRule noPackageCycles(String root) {
    return slices().matching(root + ".(*)..").should().beFreeOfCycles()
        .because("a package cycle hides which layer owns a concept (node owns the ports it needs)");
  }

  private static final JavaClasses PRODUCTION =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.raftlock");

  private static final JavaClasses FIXTURE = new ClassFileImporter().importClasses(ImpureCore.class);

  @Test
  void coreDependsOnlyOnJavaAndItself() {
    ONLY_JAVA_AND_EACH_OTHER.check(PRODUCTION);
  }

  @Test
  void coreReadsNoClockAndNoUnseededRandomness() {
    NO_CLOCKS_OR_RANDOMNESS.check(PRODUCTION);
  }

  @Test
  void coreStartsNoThreads() {
    NO_THREADS.check(PRODUCTION);
  }

  @Test
  void packagesFormNoCycle() {
    noPackageCycles("io.raftlock").check(PRODUCTION);
  }

  @Test
  void cycleRuleCatchesARing() {
    JavaClasses ring = new ClassFileImporter().importClasses(Left.class, Right.class);
    assertTrue(noPackageCycles("io.raftlock.arch.cyclefixture").evaluate(ring).hasViolation());
  }

  @Test
  void rulesCatchAnImpureClass() {
    for (ArchRule rule : new ArchRule[] {ONLY_JAVA_AND_EACH_OTHER, NO_CLOCKS_OR_RANDOMNESS, NO_THREADS}) {
      EvaluationResult result = rule.evaluate(FIXTURE);
      assertTrue(result.hasViolation(), "rule should reject the impure fixture: " + rule.getDescription());
    }
    assertFalse(PRODUCTION.isEmpty(), "production classes were found");
  }
}
