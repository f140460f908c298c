package io.raftlock.testing;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;

/** Lock commands read back from committed log entries (a dump, a follower's log). */
public final class LogCommands {
  private LogCommands() {}

  /**
   * The client's command in an entry's bytes, out of its wrappers: the API key it was sent with
   * ({@link LockCommand.Authenticated}) and its client's numbering ({@link LockCommand.Sequenced}).
   */
  public static LockCommand decode(byte[] entry) {
    LockCommand cmd = LockCommandCodec.decode(entry);
    if (cmd instanceof LockCommand.Authenticated a) {
      cmd = a.command();
    }
    return cmd instanceof LockCommand.Sequenced s ? s.command() : cmd;
  }
}
