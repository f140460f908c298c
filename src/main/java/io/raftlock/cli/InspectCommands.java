package io.raftlock.cli;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.WaiterInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands that read locks: {@code info} (one lock) and {@code locks} (a filtered page). */
final class InspectCommands {
  private InspectCommands() {}

  @Command(name = "info",
      header = "show one lock: holder, token, expiry, waiters",
      customSynopsis = "raftlock info NAME [--waiters] [--stale]",
      description = "Shows the holder, fencing token, expiry and waiter count of lock NAME. A free lock is reported "
          + "with exit code 1.")
  static final class Info extends CliCommand.WithCommonOptions {
    @Parameters(index = "0", paramLabel = "NAME",
      description = "the lock")
    String name;

    @Option(names = "--waiters",
      description = "list the waiters in grant order")
    boolean waiters;

    @Option(names = "--stale",
      description = "answer from the contacted node's state without a leader round trip")
    boolean stale;

    @Override
    int run(CliContext c) {
      long startNanos = System.nanoTime();
      Integer lean = lean(c);
      if (lean == null) {
        // What the lean attempt left of --timeout (it spends at most a third of it).
        return full(c.withTimeout(c.timeout.minusNanos(System.nanoTime() - startNanos)));
      }
      if (c.training) {
        try {
          full(c.silent());
        } catch (RuntimeException e) {
          // only the classes it loaded matter
        }
      }
      return lean;
    }

    /** Over the client: gRPC, with its retries and failover. */
    private int full(CliContext c) {
      try (RaftLockClient client = c.client()) {
        GetLockInfoResponse r = RaftLockClient.await(client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(name)
            .setIncludeWaiters(waiters).setStaleRead(stale).build()));
        if (!r.hasLockInfo()) {
          if (r.getError().getCode() == ErrorCode.LOCK_NOT_FOUND || !r.hasError()) {
            c.print(() -> json(r), name + " is free");
            return Cli.REFUSED;
          }
          return Output.refused(c, () -> json(r), "info: " + Output.describe(r.getError()), r.getError());
        }
        c.print(() -> json(r), Output.describeLock(LockView.of(r.getLockInfo()), Instant.now()));
        return Cli.OK;
      }
    }

    /**
     * The answer over the lean path ({@link HttpRead}) when it gives one the full path would print
     * alike: a held lock, or a free one. Null otherwise (not tried, no node reached, a refusal, any
     * other in-band error or an answer it cannot read, which the full path retries or reports).
     */
    Integer lean(CliContext c) {
      String r = HttpRead.get(c, "/v1/lock-info", java.util.Map.of("lockId", name,
          "includeWaiters", Boolean.toString(waiters), "staleRead", Boolean.toString(stale))).orElse(null);
      if (r == null) {
        return null;
      }
      LeanAnswer a;
      try {
        a = LeanJson.read(r, LeanAnswer::of);
      } catch (RuntimeException e) {
        return null; // not what this client reads: the full path
      }
      if (a.lock != null) {
        c.printText(() -> LeanJson.withFields(r, g -> {
          g.writeStringField("lock", name);
          g.writeBooleanField("held", true);
        }), Output.describeLock(a.lock, Instant.now()));
        return Cli.OK;
      }
      // The name, not ErrorCode.LOCK_NOT_FOUND: the proto enum's first use checks the protobuf runtime's version.
      // No error at all (a free lock the node reports without one) reads as free, as on the full path.
      if (!a.hasError || a.errorCode.equals("LOCK_NOT_FOUND")) {
        c.printText(() -> LeanJson.withFields(r, g -> {
          g.writeStringField("lock", name);
          g.writeBooleanField("held", false);
        }), name + " is free");
        return Cli.REFUSED;
      }
      return null;
    }

    private ObjectNode json(GetLockInfoResponse r) {
      return Output.protoJson(r).put("lock", name).put("held", r.hasLockInfo());
    }

    /** A {@code GetLockInfoResponse} in the proto3 JSON mapping: the lock, or null; the in-band error's code, or "". */
    private static final class LeanAnswer {
      LockView lock;
      boolean hasError;
      String errorCode = "";

      static LeanAnswer of(JsonParser p) throws IOException {
        LeanAnswer a = new LeanAnswer();
        LeanJson.eachField(p, (name, v) -> {
          switch (name) {
            case "lockInfo" -> a.lock = LockView.of(v);
            case "error" -> {
              a.hasError = true;
              LeanJson.eachField(v, (field, e) -> {
                if (field.equals("code")) {
                  a.errorCode = e.getText();
                } else {
                  e.skipChildren();
                }
              });
            }
            default -> v.skipChildren();
          }
        });
        return a;
      }
    }
  }

  @Command(name = "locks",
      header = "list held locks, with filters",
      customSynopsis = {
          "raftlock locks [--pattern GLOB] [--owner GLOB] [--held] [--contested]",
          "               [--expires-before TIME] [--expires-after TIME] [--meta K=V]...",
          "               [--limit N] [--offset N] [--waiters] [--stale]"},
      description = "Lists held locks sorted by name, one page at a time. TIME is an ISO-8601 instant "
          + "(2030-01-01T00:00:00Z) or a duration from now (5m).")
  static final class Locks extends CliCommand.WithCommonOptions {
    @Option(names = "--pattern", paramLabel = "GLOB",
      description = "lock names matching GLOB (* any run, ? one character)")
    String pattern = "";

    @Option(names = "--owner", paramLabel = "GLOB",
      description = "holders matching GLOB")
    String owner = "";

    @Option(names = "--held",
      description = "only held locks (every listed lock is held today)")
    boolean held;

    @Option(names = "--contested",
      description = "only locks with waiters")
    boolean contested;

    @Option(names = "--expires-before", paramLabel = "TIME", converter = Durations.TimeConverter.class,
        description = "leases ending before TIME")
    Instant expiresBefore;

    @Option(names = "--expires-after", paramLabel = "TIME", converter = Durations.TimeConverter.class,
        description = "leases ending after TIME")
    Instant expiresAfter;

    @Option(names = "--meta", paramLabel = "KEY=VALUE",
        description = "locks whose metadata has KEY=VALUE (repeatable: all must match)")
    Map<String, String> meta = new LinkedHashMap<>();

    @Option(names = "--limit", paramLabel = "N",
      description = "page size, 1..1000 (default 100)")
    int limit = 100;

    @Option(names = "--offset", paramLabel = "N",
      description = "locks to skip (default 0)")
    int offset;

    @Option(names = "--waiters",
      description = "include each lock's waiters")
    boolean waiters;

    @Option(names = "--stale",
      description = "answer from the contacted node's state without a leader round trip")
    boolean stale;

    @Override
    int run(CliContext c) {
      inRange("--limit", limit, 1, 1000);
      inRange("--offset", offset, 0, Integer.MAX_VALUE);
      LockFilter.Builder f = LockFilter.newBuilder().setLockIdPattern(pattern).setOwnerIdPattern(owner)
          .setOnlyHeld(held).setOnlyContested(contested).putAllMetadataFilter(meta);
      if (expiresBefore != null) {
        f.setExpiresBefore(Output.timestamp(expiresBefore));
      }
      if (expiresAfter != null) {
        f.setExpiresAfter(Output.timestamp(expiresAfter));
      }
      try (RaftLockClient client = c.client()) {
        GetLocksResponse r = RaftLockClient.await(client.getLocks(GetLocksRequest.newBuilder().setFilter(f)
            .setLimit(limit).setOffset(offset).setIncludeWaiters(waiters).setStaleRead(stale).build()));
        if (r.hasError()) {
          return Output.refused(c, () -> Output.protoJson(r), "locks: " + Output.describe(r.getError()), r.getError());
        }
        c.print(() -> Output.protoJson(r).put("count", r.getLocksCount()), table(r));
        return Cli.OK;
      }
    }

    private String table(GetLocksResponse r) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("%-30s %-24s %10s %-24s %s%n", "LOCK", "OWNER", "TOKEN", "EXPIRES", "WAITERS"));
      for (LockInfo l : r.getLocksList()) {
        sb.append(String.format("%-30s %-24s %10d %-24s %d%n", l.getLockId(), l.getOwnerId(), l.getVersion(),
            Output.instant(l.getExpiresAt()), l.getWaiterCount()));
        for (WaiterInfo w : l.getWaitersInfoList()) {
          sb.append("    waiter ").append(w.getPosition()).append(": ").append(w.getClientId()).append('\n');
        }
      }
      sb.append(r.getLocksCount()).append(" of ").append(r.getTotalMatchingFilter()).append(" matching locks");
      if (r.getHasMore()) {
        sb.append(" (more: --offset ").append(offset + r.getLocksCount()).append(')');
      }
      return sb.toString();
    }
  }
}
