package io.raftlock.cli;

/**
 * The client's own entry point ({@code java -cp raftlock.jar io.raftlock.cli.ClientMain COMMAND}),
 * used by the {@code raftlock} launcher: it loads the command line and the client only, none of
 * the server's classes or its logging set-up, so a one-shot command starts in a fraction of the
 * time {@code java -jar} takes. {@code java -jar raftlock.jar COMMAND} still works the same.
 */
public final class ClientMain {
  private ClientMain() {}

  public static void main(String[] args) {
    System.exit(Cli.main(args));
  }
}
