package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands that change one lock and exit: {@code acquire}, {@code release}, {@code renew}. */
final class LockCommands {
  private LockCommands() {}

  @Command(name = "acquire",
      header = "take a lock and exit (it stays held until its TTL runs out or it is released)",
      customSynopsis = "raftlock acquire NAME [--ttl 30s] [--wait [--wait-timeout 30s]] [--priority N] [--meta K=V]...",
      description = {
          "Takes lock NAME for --client-id and exits; the lock stays held until its TTL runs out or it is released "
              + "(raftlock release NAME --client-id ID --token TOKEN). Prints the fencing token and the client id.",
          "Without --wait a held lock is refused at once (exit 1); with --wait the command joins the lock's wait "
              + "queue, says at which position (on stderr) and waits up to --wait-timeout for the grant, pushed by "
              + "the server."})
  static final class Acquire extends CliCommand.WithCommonOptions {
    @Parameters(index = "0", paramLabel = "NAME",
      description = "the lock")
    String name;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "lease length, 1s..24h (default 30s)")
    Duration ttl;

    @Option(names = "--wait",
      description = "wait in the lock's queue when another client holds it")
    boolean wait;

    @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "longest wait with --wait (default 30s)")
    Duration waitTimeout;

    @Option(names = "--priority", paramLabel = "N",
      description = "wait-queue priority, -1000..1000, higher first (default 0)")
    int priority;

    @Option(names = "--meta", paramLabel = "KEY=VALUE",
      description = "metadata stored with the lock (repeatable)")
    Map<String, String> meta = new LinkedHashMap<>();

    @Override
    int run(CliContext c) {
      Duration lease = ttl(ttl);
      if (!wait && waitTimeout != null) {
        throw new UsageException("--wait-timeout needs --wait");
      }
      inRange("--priority", priority, -1000, 1000);
      try (RaftLockClient client = c.client()) {
        return wait ? waitFor(c, client, lease) : once(c, client, lease);
      }
    }

    private int waitFor(CliContext c, RaftLockClient client, Duration lease) {
      Duration timeout = waitTimeout == null ? Duration.ofSeconds(30) : waitTimeout;
      // Owned by the client id, not by the client's session: the lock outlives this process with
      // its own lease, and `release --client-id` can give it back.
      OptionalLong granted = new QueueReporter(client, name, c.clientId, c.err, "acquire").await(
          CompletableFuture.supplyAsync(() -> ClientOwnedWait.acquire(client, c.clientId, name, lease, timeout,
              priority, meta)));
      if (granted.isEmpty()) {
        if (c.json) {
          ObjectNode j = Output.object().put("acquired", false).put("lock", name).put("clientId", c.clientId);
          j.putObject("error").put("code", "LOCK_HELD").put("message", "not granted within " + Durations.human(timeout));
          c.out.println(j);
        } else {
          c.err.println("acquire: " + name + " was not granted within " + Durations.human(timeout));
        }
        return Cli.REFUSED;
      }
      return acquired(c, lease, granted.getAsLong(), null);
    }

    private int once(CliContext c, RaftLockClient client, Duration lease) {
      AcquireResponse r = RaftLockClient.await(client.acquire(AcquireRequest.newBuilder().setLockId(name)
          .setClientId(c.clientId).setTtl(Output.proto(lease)).setPriority(priority).putAllMetadata(meta).build()));
      if (!r.getAcquired()) {
        String why = r.getError().getCode() == ErrorCode.LOCK_HELD
            ? name + " is held by another client" + (r.hasBackoffAdvice()
                && r.getBackoffAdvice().getEstimatedAvailabilityIn().getSeconds() > 0
                ? " (free in about " + r.getBackoffAdvice().getEstimatedAvailabilityIn().getSeconds() + "s)" : "")
            : Output.describe(r.getError());
        return Output.refused(c, () -> Output.protoJson(r).put("lock", name).put("clientId", c.clientId),
            "acquire: " + why, r.getError());
      }
      return acquired(c, lease, r.getLock().getVersion(), Output.instant(r.getLock().getExpiresAt()));
    }

    private int acquired(CliContext c, Duration lease, long token, Instant expires) {
      c.print(() -> {
        ObjectNode j = Output.object().put("acquired", true).put("lock", name).put("token", token)
            .put("clientId", c.clientId).put("ttlMs", lease.toMillis());
        return expires == null ? j : j.put("expiresAt", expires.toString());
      }, "acquired " + name + " token=" + token + " client-id=" + c.clientId + " ttl=" + Durations.human(lease)
          + (expires != null ? " expires=" + expires : ""));
      if (!c.json) {
        c.err.println("release with: raftlock release " + name + " --client-id " + c.clientId + " --token " + token);
      }
      return Cli.OK;
    }
  }

  @Command(name = "release",
      header = "release a lock (needs the holder's --client-id and --token)",
      customSynopsis = "raftlock release NAME --client-id ID --token TOKEN",
      description = "Releases lock NAME held by client ID with fencing token TOKEN. Refused (exit 1) when ID does not "
          + "hold it or TOKEN is not the current token.")
  static final class Release extends CliCommand.WithCommonOptions {
    @Parameters(index = "0", paramLabel = "NAME",
      description = "the lock")
    String name;

    @Option(names = "--token", paramLabel = "TOKEN",
      description = "the fencing token printed by acquire")
    Long token;

    @Override
    int run(CliContext c) {
      String id = c.requireClientId();
      long t = token(token);
      try (RaftLockClient client = c.client()) {
        ReleaseResponse r = RaftLockClient.await(client.release(ReleaseRequest.newBuilder().setLockId(name)
            .setClientId(id).setVersion(t).build()));
        if (!r.getReleased()) {
          return Output.refused(c, () -> json(r), "release: " + name + ": " + Output.describe(r.getError()), r.getError());
        }
        c.print(() -> json(r), "released " + name + (r.getWaiterPromoted() ? " (handed to the next waiter)" : ""));
        return Cli.OK;
      }
    }

    private ObjectNode json(ReleaseResponse r) {
      return Output.protoJson(r).put("lock", name).put("released", r.getReleased());
    }
  }

  @Command(name = "renew",
      header = "extend a lock's lease (needs the holder's --client-id and --token)",
      customSynopsis = "raftlock renew NAME --client-id ID --token TOKEN [--ttl 30s]",
      description = "Extends the lease of lock NAME (held by ID with TOKEN) to now + --ttl. The token never changes.")
  static final class Renew extends CliCommand.WithCommonOptions {
    @Parameters(index = "0", paramLabel = "NAME",
      description = "the lock")
    String name;

    @Option(names = "--token", paramLabel = "TOKEN",
      description = "the fencing token printed by acquire")
    Long token;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "new lease length from now, 1s..24h (default 30s)")
    Duration ttl;

    @Override
    int run(CliContext c) {
      String id = c.requireClientId();
      long t = token(token);
      Duration lease = ttl(ttl);
      try (RaftLockClient client = c.client()) {
        RenewResponse r = RaftLockClient.await(client.renew(RenewRequest.newBuilder().setLockId(name).setClientId(id)
            .setVersion(t).setNewTtl(Output.proto(lease)).build()));
        if (!r.getRenewed()) {
          return Output.refused(c, () -> json(r), "renew: " + name + ": " + Output.describe(r.getError()), r.getError());
        }
        c.print(() -> json(r), "renewed " + name + " token=" + t + " expires=" + Output.instant(r.getLock().getExpiresAt()));
        return Cli.OK;
      }
    }

    private ObjectNode json(RenewResponse r) {
      return Output.protoJson(r).put("lock", name).put("renewed", r.getRenewed());
    }
  }

  static long token(Long given) {
    if (given == null) {
      throw new UsageException("--token is required (the fencing token printed by acquire)");
    }
    return CliCommand.inRange("--token", given, 1, Long.MAX_VALUE);
  }
}
