package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.api.AdminCalls;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

/**
 * The Admin and Auth services for the commands that use them ({@code members},
 * {@code transfer-leader}, {@code dump}, {@code auth}): a Vert.x gRPC client for one command that
 * sends {@code --api-key}, calls that follow the leader and retry
 * while the cluster is unavailable (until {@code --timeout}), and the exit code and report of a
 * failed call.
 */
final class AdminClient {
  private AdminClient() {}

  @FunctionalInterface
  interface Call<R> {
    R run(AdminCalls admin);
  }

  @FunctionalInterface
  interface Render<R> {
    int print(R result);
  }

  /** Runs {@code call} with a client made for it, prints its result with {@code render}; the exit code. */
  static <R> int withAdmin(CliContext c, Call<R> call, Render<R> render) {
    HttpClientOptions http = c.http(); // reads TLS files: before Vert.x starts
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions(), http);
    try {
      R result = call.run(new AdminCalls(vertx, grpc, Math.min(c.timeout.toMillis(), 5_000)).withApiKey(c.apiKey));
      return render.print(result);
    } catch (AdminCalls.Failure f) {
      return failure(c, f);
    } finally {
      grpc.close().transform(x -> vertx.close()).await();
    }
  }

  /**
   * Tries the endpoints in turn, each for up to a second (following NOT_LEADER, retrying while
   * the cluster is busy), until one answers or {@code --timeout} passes; a refusal ends at once.
   */
  static <Q, R> R onLeader(CliContext c, AdminCalls admin, ServiceMethod<R, Q> method, Q request) {
    long deadline = System.nanoTime() + c.timeout.toNanos();
    AdminCalls.Failure last = null;
    do {
      for (String endpoint : c.endpoints) {
        long leftMs = Math.max(1, Math.min(1_000, (deadline - System.nanoTime()) / 1_000_000L));
        try {
          return admin.onLeader(endpoint, method, request, leftMs).await();
        } catch (AdminCalls.Failure f) {
          if (!f.retryable()) {
            throw f;
          }
          last = f; // unreachable or unavailable there: try the next endpoint
        }
      }
    } while (System.nanoTime() < deadline);
    throw last;
  }

  static int exitCodeOf(AdminCalls.Failure f) {
    if (f.status == GrpcStatus.INVALID_ARGUMENT) {
      return Cli.USAGE;
    }
    if (f.status == GrpcStatus.FAILED_PRECONDITION || f.status == GrpcStatus.PERMISSION_DENIED
        || f.status == GrpcStatus.UNAUTHENTICATED) {
      return Cli.REFUSED;
    }
    if (f.retryable()) {
      return Cli.UNAVAILABLE;
    }
    return Cli.INTERNAL;
  }

  static int failure(CliContext c, AdminCalls.Failure f) {
    int code = exitCodeOf(f);
    String what = f.refusal != null ? f.refusal : f.status.name();
    if (c.json) {
      ObjectNode j = Output.object();
      ObjectNode error = j.putObject("error");
      error.put("code", what);
      error.put("message", f.getMessage());
      if (f.field != null) {
        error.put("field", f.field);
      }
      error.put("exitCode", code);
      c.out.println(j);
    } else {
      c.err.println(c.command + ": " + (code == Cli.UNAVAILABLE ? "cluster unavailable: " : "")
          + what + (f.field != null ? " (" + f.field + ")" : "") + ": " + f.getMessage());
    }
    return code;
  }
}
