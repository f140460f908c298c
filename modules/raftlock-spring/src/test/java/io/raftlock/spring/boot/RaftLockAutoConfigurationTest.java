package io.raftlock.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftlock.client.RaftLockClient;
import io.raftlock.spring.RaftLockRegistry;
import io.raftlock.spring.RaftLockRegistryLock;
import io.raftlock.testing.JarCluster;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The auto-configuration in an application context, against a 3-node cluster of server processes. */
class RaftLockAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RaftLockAutoConfiguration.class));

  @Test
  void raftlockPropertiesMakeAClientARegistryAndMeters() {
    String clientId = "boot-app-" + UUID.randomUUID();
    runner.withPropertyValues("raftlock.endpoints=" + JarCluster.shared().endpoints(),
            "raftlock.client-id=" + clientId, "raftlock.lease=5s", "raftlock.operation-timeout=20s")
        .run(context -> {
          assertEquals(clientId, context.getBean(RaftLockClient.class).clientId());
          SimpleMeterRegistry meters = new SimpleMeterRegistry();
          context.getBean(MeterBinder.class).bindTo(meters);

          RaftLockRegistryLock lock = context.getBean(RaftLockRegistry.class).obtain("reports/" + UUID.randomUUID());
          lock.lock();
          assertTrue(lock.token() > 0);
          assertEquals(1.0, meters.get("raftlock.locks.held").gauge().value());
          lock.unlock();

          assertEquals(0.0, meters.get("raftlock.locks.held").gauge().value());
          assertEquals(1.0, meters.get("raftlock.lock.acquire").functionTimer().count());
          assertTrue(meters.get("raftlock.lock.acquire").functionTimer().totalTime(TimeUnit.NANOSECONDS) > 0);
          assertEquals(0.0, meters.get("raftlock.locks.lost").tag("reason", "EXPIRED").functionCounter().count());
        });
  }

  @Test
  void aMissingTlsFileStopsTheContextNamingTheFile() {
    runner.withPropertyValues("raftlock.endpoints=127.0.0.1:1", "raftlock.tls.ca-file=/nonexistent/raftlock-ca.pem")
        .run(context -> {
          assertNotNull(context.getStartupFailure());
          Throwable t = context.getStartupFailure();
          StringBuilder messages = new StringBuilder();
          for (; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
          }
          assertTrue(messages.toString().contains("/nonexistent/raftlock-ca.pem"), messages.toString());
        });
  }

  @Test
  void theApplicationsOwnClientIsUsed() {
    try (RaftLockClient own = RaftLockClient.builder().endpoints(JarCluster.shared().endpoints()).build()) {
      runner.withBean(RaftLockClient.class, () -> own, d -> d.setDestroyMethodName(""))
          .run(context -> {
            assertSame(own, context.getBean(RaftLockClient.class));
            assertNotNull(context.getBean(RaftLockRegistry.class));
          });
    }
  }
}
