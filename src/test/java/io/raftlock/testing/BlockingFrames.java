package io.raftlock.testing;

import java.util.List;

/**
 * Tells, from a stack caught on an event loop, whether the loop is inside blocking code (waiting
 * for time, a lock, another thread or I/O) or merely running: a runnable loop past its budget on
 * a starved machine has done nothing wrong, one caught sleeping or parked has.
 */
final class BlockingFrames {
  /** JDK methods that wait: the thread gives up its core until something else happens. */
  private static final List<String> WAITING = List.of(
      "java.lang.Thread.sleep", "java.lang.Object.wait", "java.lang.Thread.join",
      "jdk.internal.misc.Unsafe.park", "java.util.concurrent.locks.LockSupport.park",
      "java.util.concurrent.CompletableFuture.get", "java.util.concurrent.CompletableFuture.join",
      "java.util.concurrent.FutureTask.get");

  /** JDK classes whose calls are file or socket I/O that can wait on the device or the peer. */
  private static final List<String> IO = List.of(
      "sun.nio.ch.", "java.io.FileInputStream", "java.io.FileOutputStream",
      "java.io.RandomAccessFile", "java.net.", "sun.net.");

  /**
   * Code that may wait without it being the event loop's fault: the JVM loading a class (a first
   * use, slow while starved) and console output, whose pipe drains only as fast as its reader
   * (surefire) gets a core.
   */
  private static final List<String> EXEMPT = List.of(
      "java.lang.ClassLoader.loadClass", "jdk.internal.loader.", "java.io.PrintStream",
      "ch.qos.logback.", "org.slf4j.", "java.util.logging.");

  private BlockingFrames() {}

  /**
   * True if the innermost frames, down to the first one outside the JDK, wait or do I/O (not
   * Netty's non-blocking socket calls), and no frame of the stack is {@linkplain #EXEMPT exempt}.
   */
  static boolean blocking(StackTraceElement[] stack) {
    boolean waits = false;
    boolean io = false;
    int i = 0;
    for (; i < stack.length && jdk(stack[i].getClassName()); i++) {
      String className = stack[i].getClassName();
      String method = className + "." + stack[i].getMethodName();
      waits |= WAITING.stream().anyMatch(method::startsWith);
      io |= IO.stream().anyMatch(className::startsWith);
    }
    boolean nettyIo = i < stack.length && stack[i].getClassName().startsWith("io.netty.");
    if (!waits && !(io && !nettyIo)) {
      return false;
    }
    for (StackTraceElement frame : stack) {
      String method = frame.getClassName() + "." + frame.getMethodName();
      if (EXEMPT.stream().anyMatch(method::startsWith)) {
        return false;
      }
    }
    return true;
  }

  private static boolean jdk(String className) {
    return className.startsWith("java.") || className.startsWith("jdk.") || className.startsWith("sun.");
  }
}
