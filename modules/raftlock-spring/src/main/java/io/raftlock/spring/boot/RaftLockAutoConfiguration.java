package io.raftlock.spring.boot;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftlock.client.ClientTls;
import io.raftlock.client.RaftLockClient;
import io.raftlock.spring.LostLocks;
import io.raftlock.spring.RaftLockMetrics;
import io.raftlock.spring.RaftLockRegistry;
import java.nio.file.Path;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A {@link RaftLockClient} from {@code raftlock.*}, a {@link RaftLockRegistry} on it, and, with
 * Micrometer on the class path, {@link RaftLockMetrics} as a {@link MeterBinder} bean (Boot binds
 * those to its meter registry). Each bean backs off when the application defines its own.
 */
@AutoConfiguration
@ConditionalOnClass(RaftLockClient.class)
@EnableConfigurationProperties(RaftLockProperties.class)
public class RaftLockAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public LostLocks raftLockLostLocks() {
    return new LostLocks();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public RaftLockClient raftLockClient(RaftLockProperties p, LostLocks lostLocks) {
    RaftLockClient.Builder b = RaftLockClient.builder().endpoints(p.getEndpoints()).onLost(lostLocks);
    if (p.getClientId() != null) {
      b.clientId(p.getClientId());
    }
    if (p.getLease() != null) {
      b.sessionTtl(p.getLease()); // the registry's locks live on the client's session
    }
    if (p.getOperationTimeout() != null) {
      b.operationTimeout(p.getOperationTimeout());
    }
    if (p.getAttemptTimeout() != null) {
      b.attemptTimeout(p.getAttemptTimeout());
    }
    if (p.getConnectTimeout() != null) {
      b.connectTimeout(p.getConnectTimeout());
    }
    RaftLockProperties.Tls tls = p.getTls();
    if (tls.getCaFile() != null) {
      b.tls(new ClientTls(Path.of(tls.getCaFile()), path(tls.getCertFile()), path(tls.getKeyFile())));
    }
    return b.build();
  }

  private static Path path(String file) {
    return file == null ? null : Path.of(file);
  }

  @Bean
  @ConditionalOnMissingBean
  public RaftLockRegistry raftLockRegistry(RaftLockClient client, RaftLockProperties p) {
    return new RaftLockRegistry(client, p.getLease());
  }

  /** Only with Micrometer present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterBinder.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    RaftLockMetrics raftLockMetrics(RaftLockRegistry registry, LostLocks lostLocks) {
      return new RaftLockMetrics(registry, lostLocks);
    }
  }
}
