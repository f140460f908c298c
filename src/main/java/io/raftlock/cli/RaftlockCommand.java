package io.raftlock.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code raftlock}: the top of the command tree. Every command is one entry of {@link #COMMANDS};
 * a new command group is added by listing its classes there, and nothing else (help,
 * completion, {@link Cli#isCommand} and the order of the help's command list follow it).
 */
@Command(name = "raftlock",
    customSynopsis = "raftlock COMMAND [OPTIONS]",
    description = {
        "A client of a RaftLock cluster, and the server itself.",
        "Without a command, or with 'server', runs a node: server [--config FILE] [--join H:P] (a new node joins the "
            + "cluster through that member's client address as a learner; keep --join on its restarts); without "
            + "--config, a local 3-node cluster in this process, client API on 127.0.0.1:8001-8003, data under ./data.",
        "'raftlock COMMAND --help' (or 'raftlock help COMMAND') describes each command."})
final class RaftlockCommand implements Callable<Integer> {
  /** The commands, in the order of the help; picocli builds the ones a run needs ({@link Cli#commandLine}). */
  static final List<Class<?>> COMMANDS = List.of(
      LockCommands.Acquire.class,
      LockCommands.Release.class,
      LockCommands.Renew.class,
      InspectCommands.Info.class,
      InspectCommands.Locks.class,
      ClusterCommands.Status.class,
      ClusterCommands.Health.class,
      LockRunner.class,
      MembersCommand.class,
      MembersCommand.TransferLeader.class,
      DumpCommand.class,
      SnapshotCommand.class,
      AuthCommand.class,
      CompletionCommand.class,
      HelpCommand.class);

  @Spec CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
  boolean help;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing COMMAND");
  }
}
