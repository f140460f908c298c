package io.raftlock.lock;

/**
 * Bytes that are not a valid encoding (command or snapshot): truncated, trailing garbage, unknown
 * version or tag, malformed UTF-8, non-canonical metadata, bad checksum. The decoders throw only
 * this, whatever the input.
 */
public final class LockCodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LockCodecException(String message) {
    super(message);
  }
}
