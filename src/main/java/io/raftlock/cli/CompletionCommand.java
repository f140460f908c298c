package io.raftlock.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code completion bash|zsh}: the shell completion script for every command and option, generated
 * by picocli from the same command tree the parser uses, so it cannot drift from the commands.
 */
@Command(name = "completion",
    header = "shell completion script: completion bash|zsh",
    customSynopsis = "raftlock completion bash|zsh",
    description = {
        "Prints a completion script for commands, subcommands and options. Load it in the current shell with",
        "  source <(raftlock completion bash)     (bash)",
        "  source <(raftlock completion zsh)      (zsh; it runs bashcompinit itself)",
        "or save it as /etc/bash_completion.d/raftlock, or as a file your ~/.zshrc sources."})
final class CompletionCommand implements Callable<Integer> {
  enum Shell { bash, zsh }

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh")
  Shell shell;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
  boolean help;

  @Override
  public Integer call() {
    // One script serves both: picocli's script loads bash's completion functions into zsh.
    String script = AutoComplete.bash("raftlock", spec.root().commandLine());
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return Cli.OK;
  }
}
