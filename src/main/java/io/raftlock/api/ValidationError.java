package io.raftlock.api;

import io.raftlock.lock.ErrorCode;
import java.util.Objects;

/**
 * Why a client request was refused before anything was proposed.
 *
 * @param field the offending field, named as in the proto ({@code lock_id}, {@code ttl},
 *     {@code metadata[key]}, {@code filter.lock_id_pattern}, ...)
 * @param code {@link ErrorCode#INVALID_TTL} for a TTL out of range (the code the state machine
 *     itself would give), {@link ErrorCode#INVALID_ARGUMENT} for everything else
 * @param message human-readable, names the field and the limit
 */
public record ValidationError(String field, ErrorCode code, String message) {
  public ValidationError {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  static ValidationError invalid(String field, String message) {
    return new ValidationError(field, ErrorCode.INVALID_ARGUMENT, field + " " + message);
  }
}
