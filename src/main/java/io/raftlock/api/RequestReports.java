package io.raftlock.api;

import io.raftlock.api.ApiObserver.Method;
import io.raftlock.lock.ErrorCode;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.api.ErrorDetail;
import io.vertx.core.Future;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Reports each request's start and end to the {@link ApiObserver} (metrics). With no observer
 * set nothing is timed and no callback is attached: the unobserved path costs one volatile read.
 */
final class RequestReports {
  /** Marks a request nobody observed at its start: its end is not reported either. */
  static final long UNOBSERVED = Long.MIN_VALUE;

  private final LongSupplier nanoTime;
  private volatile ApiObserver observer = ApiObserver.NONE;

  RequestReports(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  void observeWith(ApiObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  ApiObserver observer() {
    return observer;
  }

  /** Reports the start of a request; returns its start time ({@link #UNOBSERVED} when nobody observes). */
  long started(Method method) {
    ApiObserver o = observer;
    if (o == ApiObserver.NONE) {
      return UNOBSERVED;
    }
    o.started(method);
    return nanoTime.getAsLong();
  }

  /**
   * Reports how {@code f} ends: the refusal's code, or the lock-level error in the response
   * ({@code hasError}/{@code error} null for responses without an error field). Returns {@code f}.
   */
  <R> Future<R> finished(Method method, long startedAt, Predicate<R> hasError,
      Function<R, ErrorDetail> error, Future<R> f) {
    ApiObserver o = observer;
    if (o == ApiObserver.NONE || startedAt == UNOBSERVED) {
      return f;
    }
    return f.onComplete(ar -> {
      ErrorCode code = null;
      if (ar.failed()) {
        if (ar.cause() instanceof ApiException e) {
          code = codeOf(e.detail());
          String field = e.detail().getDetailsMap().get("field");
          if (field != null && (code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.INVALID_TTL)) {
            int key = field.indexOf('[');
            o.invalid(method, key < 0 ? field : field.substring(0, key)); // metadata[key] → metadata
          }
        } else {
          code = ErrorCode.INTERNAL_ERROR;
        }
      } else if (hasError != null && ar.result() != null && hasError.test(ar.result())) {
        code = codeOf(error.apply(ar.result()));
      }
      o.finished(method, code, nanoTime.getAsLong() - startedAt);
    });
  }

  /** A proposal's outcome as the metrics label it: "ok", a lower-case reason, or "other". */
  static String proposalOutcome(Throwable cause) {
    if (cause == null) {
      return "ok";
    }
    return cause instanceof ProposalException p ? p.reason().name().toLowerCase(Locale.ROOT) : "other";
  }

  private static ErrorCode codeOf(ErrorDetail d) {
    ErrorCode c = ErrorCode.ofCode(d.getCode().getNumber());
    return c == null ? ErrorCode.INTERNAL_ERROR : c;
  }
}
