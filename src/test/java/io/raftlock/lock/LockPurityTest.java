package io.raftlock.lock;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The lock package is pure: java.* (and the Raft core) only, no clock, no threads, no unseeded
 * randomness. All time comes from leader-stamped commands.
 */
@AnalyzeClasses(packages = "io.raftlock.lock", importOptions = ImportOption.DoNotIncludeTests.class)
class LockPurityTest {

  @ArchTest
  static final ArchRule onlyJavaAndRaft = classes()
      .that().resideInAPackage("io.raftlock.lock..")
      .should().onlyDependOnClassesThat()
      .resideInAnyPackage("java..", "io.raftlock.lock..", "io.raftlock.raft..");

  @ArchTest
  static final ArchRule noClockThreadsOrRandomness = noClasses()
      .that().resideInAPackage("io.raftlock.lock..")
      .should().callMethod(System.class, "currentTimeMillis")
      .orShould().callMethod(System.class, "nanoTime")
      .orShould().callMethod(java.time.Instant.class, "now")
      .orShould().callMethod(Math.class, "random")
      .orShould().callMethod(java.util.UUID.class, "randomUUID")
      .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
      .orShould().dependOnClassesThat().belongToAnyOf(java.time.Clock.class,
          java.util.Random.class, java.util.concurrent.ThreadLocalRandom.class);
}
