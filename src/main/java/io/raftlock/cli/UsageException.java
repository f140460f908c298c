package io.raftlock.cli;

/** Bad command-line input: exit code 2 with the message and the command's usage. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
