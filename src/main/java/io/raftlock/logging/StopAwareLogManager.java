package io.raftlock.logging;

import java.util.logging.LogManager;

/**
 * A {@link LogManager} that keeps its handlers until the node's own stop has been logged.
 *
 * <p>The JDK resets the log manager (closing every handler) from a shutdown hook of its own, which
 * runs at the same time as the node's graceful-stop hook: the lines saying that a SIGTERM stop
 * began and how it ended were lost. Here the JDK's hook ({@code LogManager$Cleaner}) leaves the
 * handlers alone, and the node's hook calls {@link #resetAfterStop()} once it has logged its end.
 * Installed by {@code Main} through the {@code java.util.logging.manager} property, unless the
 * user chose a manager of their own.
 */
public final class StopAwareLogManager extends LogManager {
  private static final String JDK_SHUTDOWN_HOOK = LogManager.class.getName() + "$Cleaner";

  @Override
  public void reset() {
    if (Thread.currentThread().getClass().getName().equals(JDK_SHUTDOWN_HOOK)) {
      return; // resetAfterStop() does it, after the stop was logged
    }
    super.reset();
  }

  /** Flushes and closes the handlers, when this manager is the one in use; else nothing. */
  public static void resetAfterStop() {
    if (LogManager.getLogManager() instanceof StopAwareLogManager m) {
      m.resetNow();
    }
  }

  private void resetNow() {
    super.reset();
  }
}
