package io.raftlock.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code raftlock}: the top of the command tree. Every client command is one entry of
 * {@code subcommands} below; a new command group is added by listing its classes there (and
 * nothing else: help, completion and {@link Cli#isCommand} follow the list).
 */
@Command(name = "raftlock",
    customSynopsis = "raftlock COMMAND [OPTIONS]",
    description = {
        "A client of a RaftLock cluster, and the server itself.",
        "Without a command, or with 'server', runs a node: server [--config FILE] [--join H:P] (a new node joins the "
            + "cluster through that member's client address as a learner; keep --join on its restarts); without "
            + "--config, a local 3-node cluster in this process, client API on 127.0.0.1:8001-8003, data under ./data.",
        "'raftlock COMMAND --help' (or 'raftlock help COMMAND') describes each command."},
    subcommands = {
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
        CompletionCommand.class,
        HelpCommand.class,
    })
final class RaftlockCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
  boolean help;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing COMMAND");
  }
}
