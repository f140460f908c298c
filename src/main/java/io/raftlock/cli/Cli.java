package io.raftlock.cli;

import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command-line client: {@code raftlock <command> [options]} (or {@code java -jar raftlock.jar
 * <command>}), parsed by picocli from the command classes listed in {@link RaftlockCommand}.
 * Every command returns an exit code (see {@link CliHelp#EXIT_CODES}); {@link #run} never calls
 * {@code System.exit}, so it can be tested in-process.
 */
public final class Cli {
  public static final int OK = 0;
  public static final int REFUSED = 1;
  public static final int USAGE = 2;
  public static final int UNAVAILABLE = 3;
  public static final int LOST = 4;
  public static final int INTERNAL = 5;
  public static final int CANNOT_RUN = 127;

  /** Whether this process runs the command line ({@link #main}), not a host that calls {@link #run}. */
  private static volatile boolean standalone;

  /** The streams and environment of one run; {@code json} when --json was given before any {@code --}. */
  record Io(PrintStream out, PrintStream err, Map<String, String> env, boolean json) {}

  private Cli() {}

  /** Whether {@code s} names a client command (read from the annotations; builds no parser). */
  public static boolean isCommand(String s) {
    return RaftlockCommand.COMMANDS.stream().anyMatch(c -> named(c, s));
  }

  private static boolean named(Class<?> command, String s) {
    Command cmd = command.getAnnotation(Command.class);
    return cmd.name().equals(s) || Arrays.asList(cmd.aliases()).contains(s);
  }

  /** The top-level usage (commands, the server's options, exit codes). */
  public static String usageText() {
    return commandLine(new Io(System.out, System.err, Map.of(), false)).getUsageMessage();
  }

  /** Entry point from {@code Main} and {@link ClientMain}; returns the exit code. */
  public static int main(String[] args) {
    // Netty probes SLF4J; without a provider on the class path SLF4J would warn on stderr.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    standalone = true;
    return run(Arrays.asList(args), System.out, System.err, System.getenv());
  }

  /**
   * Vert.x, Netty and Chronicle log to java.util.logging; a CLI process shows only its own messages.
   * Called by {@link CliContext} before any of them is loaded, not at start: setting up
   * java.util.logging is a real share of a command that never loads them (the lean path,
   * {@link HttpRead}). Only in a process of its own ({@link #main}): a run in-process (the tests,
   * beside nodes whose logs they read) leaves the process's logging as it is.
   */
  static void quietLogging() {
    if (!standalone) {
      return;
    }
    Logger root = Logger.getLogger("");
    root.setLevel(Level.SEVERE);
    for (var h : root.getHandlers()) {
      h.setLevel(Level.SEVERE);
    }
  }

  /**
   * Runs one command. Everything human-readable is printed through {@link TerminalSafe}: the
   * error stream always, the output stream unless {@code --json} asked for JSON.
   */
  static int run(List<String> argv, PrintStream rawOut, PrintStream rawErr, Map<String, String> env) {
    int dashDash = argv.indexOf("--"); // what follows is lock's command, with options of its own
    boolean json = (dashDash < 0 ? argv : argv.subList(0, dashDash)).contains("--json");
    PrintStream out = json ? rawOut : TerminalSafe.wrap(rawOut);
    PrintStream err = TerminalSafe.wrap(rawErr);
    CommandLine cl = commandLine(new Io(out, err, env, json), argv.isEmpty() ? null : argv.get(0));
    try {
      return cl.execute(argv.toArray(String[]::new));
    } finally {
      cl.getOut().flush();
      cl.getErr().flush();
      out.flush();
      err.flush();
    }
  }

  /** The whole command tree. */
  static CommandLine commandLine(Io io) {
    return commandLine(io, null);
  }

  /**
   * The command tree for a run whose first argument is {@code first}: only that command when it
   * names one (picocli reads every listed class's annotations by reflection, a real share of a
   * short command's start), all of them for help, completion, and a missing or mistyped command
   * (whose suggestions need every name).
   */
  static CommandLine commandLine(Io io, String first) {
    CommandLine cl = new CommandLine(RaftlockCommand.class, new Factory(io));
    boolean all = first == null || !isCommand(first) || first.equals("help") || first.equals("completion");
    for (Class<?> c : RaftlockCommand.COMMANDS) {
      if (all) {
        cl.addSubcommand(c);
      } else if (named(c, first)) {
        cl.addSubcommand(c);
        break; // names are unique: the annotations of the classes after it need not be read
      }
    }
    cl.setExpandAtFiles(false); // "@name" is a lock name or an argument of lock's COMMAND, never a file to read
    cl.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    cl.setOut(TerminalSafe.writer(io.out()));
    cl.setErr(TerminalSafe.writer(io.err()));
    cl.setParameterExceptionHandler((ex, args) -> usageError(ex, io));
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> ex instanceof UsageException
        ? usageError(new ParameterException(cmd, ex.getMessage()), io)
        : Output.failure(commandName(cmd.getCommandSpec()), ex, io.json(), io.out(), io.err()));
    CliHelp.apply(cl);
    return cl;
  }

  /** The command as typed without the program name: {@code acquire}, {@code members list}. */
  static String commandName(CommandSpec spec) {
    String q = spec.qualifiedName(" ");
    int space = q.indexOf(' ');
    return space < 0 ? q : q.substring(space + 1);
  }

  /** Exit 2: what is wrong, picocli's suggestions for a typo, the synopsis and where the help is. */
  private static int usageError(ParameterException ex, Io io) {
    CommandLine cmd = ex.getCommandLine();
    CommandSpec spec = cmd.getCommandSpec();
    String message = ex.getMessage();
    if (ex instanceof UnmatchedArgumentException u && spec.parent() == null && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      message = "unknown command '" + u.getUnmatched().get(0) + "'";
    }
    if (io.json()) {
      Output.usageErrorJson(io.out(), message);
    }
    String name = commandName(spec);
    io.err().println(spec.parent() == null ? message : name + ": " + message);
    if (ex instanceof UnmatchedArgumentException u) {
      UnmatchedArgumentException.printSuggestions(u, cmd.getErr());
      cmd.getErr().flush();
    }
    io.err().print("\n" + cmd.getHelp().synopsisHeading() + cmd.getHelp().synopsis(0));
    io.err().println("'raftlock " + (spec.parent() == null ? "" : name + " ") + "--help' for more.");
    return USAGE;
  }

  /**
   * The codes by exit status, made on the first error: the proto enum's first use checks the
   * protobuf runtime's version (a logger, String.format), which a command that succeeds over the
   * lean path ({@link HttpRead}) never needs.
   */
  private static final class Codes {
    static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.LOCK_HELD, ErrorCode.LOCK_NOT_HELD,
        ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH, ErrorCode.LOCK_NOT_FOUND, ErrorCode.WAIT_QUEUE_FULL,
        ErrorCode.NOT_WAITING, ErrorCode.PERMISSION_DENIED); // no or unknown key, or no permission: exit 1 (docs/cli.md)
    static final Set<ErrorCode> UNAVAILABLE = EnumSet.of(ErrorCode.ERROR_CODE_UNSPECIFIED,
        ErrorCode.NOT_LEADER, ErrorCode.NO_LEADER, ErrorCode.REPLICATION_FAILURE, ErrorCode.TIMEOUT,
        ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE);
  }

  static int exitCodeOf(ErrorCode code) {
    if (Codes.REFUSALS.contains(code)) {
      return REFUSED;
    }
    if (code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.INVALID_TTL) {
      return USAGE;
    }
    if (Codes.UNAVAILABLE.contains(code)) {
      return UNAVAILABLE;
    }
    return INTERNAL;
  }

  static int exitCodeOf(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof UsageException || e instanceof IllegalArgumentException) {
      return USAGE;
    }
    if (e instanceof RaftLockException r) {
      return r.retryable() ? UNAVAILABLE : exitCodeOf(r.code());
    }
    return INTERNAL;
  }

  /** Creates the commands and hands each client command this run's streams and environment. */
  private static final class Factory implements CommandLine.IFactory {
    private final CommandLine.IFactory standard = CommandLine.defaultFactory();
    private final Io io;

    Factory(Io io) {
      this.io = io;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
      K k = standard.create(cls);
      if (k instanceof CliCommand c) {
        c.io = io;
      }
      return k;
    }
  }
}
