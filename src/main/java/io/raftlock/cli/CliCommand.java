package io.raftlock.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A client command: picocli fills in its options, {@link Cli} gives it the run's streams and
 * environment, and {@link #run} returns the exit code. Bad input is reported by throwing
 * {@link UsageException} (exit 2, with the command's usage), before anything is sent.
 */
abstract class CliCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  /** Set by {@link Cli}'s factory when picocli creates the command. */
  Cli.Io io;

  /** The common options: this command's own, or (in a command group) its parent's. */
  abstract CommonOptions common();

  abstract int run(CliContext c);

  @Override
  public final Integer call() {
    return run(context());
  }

  /** The run's context; an offline command, which takes no common options, makes its own. */
  CliContext context() {
    return new CliContext(Cli.commandName(spec), common(), io);
  }

  /** {@code value}, or a usage error naming {@code option} when it is outside {@code min..max}. */
  static long inRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new UsageException(option + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** A lease length: 30 s when not given, else 1 s..24 h. */
  static java.time.Duration ttl(java.time.Duration given) {
    java.time.Duration ttl = given == null ? java.time.Duration.ofSeconds(30) : given;
    if (ttl.toMillis() < 1_000 || ttl.toMillis() > 86_400_000) {
      throw new UsageException("--ttl must be between 1s and 24h, got " + Durations.human(ttl));
    }
    return ttl;
  }

  /** A command with the common options of its own. */
  abstract static class WithCommonOptions extends CliCommand {
    @Mixin CommonOptions common;

    @Override
    final CommonOptions common() {
      return common;
    }
  }
}
