package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Which stacks caught on an event loop are blocking code, and which are a loop merely running. */
class BlockingFramesTest {
  /** Frames innermost first, each "class.method", above a Netty event loop's own frames. */
  private static StackTraceElement[] stack(String... frames) {
    String[] all = Arrays.copyOf(frames, frames.length + 2);
    all[frames.length] = "io.netty.util.concurrent.AbstractEventExecutor.runTask";
    all[frames.length + 1] = "io.netty.channel.SingleThreadIoEventLoop.run";
    return Arrays.stream(all).map(f -> {
      int dot = f.lastIndexOf('.');
      return new StackTraceElement(f.substring(0, dot), f.substring(dot + 1), null, -1);
    }).toArray(StackTraceElement[]::new);
  }

  @Test
  void sleepingParkedWaitingAndAwaitingAreBlocking() {
    assertTrue(BlockingFrames.blocking(stack("java.lang.Thread.sleep0", "java.lang.Thread.sleep", "io.raftlock.X.run")));
    assertTrue(BlockingFrames.blocking(stack("jdk.internal.misc.Unsafe.park",
        "java.util.concurrent.locks.LockSupport.park", "io.vertx.core.impl.future.FutureImpl.await", "io.raftlock.X.run")));
    assertTrue(BlockingFrames.blocking(stack("java.lang.Object.wait0", "java.lang.Object.wait", "io.raftlock.X.run")));
    assertTrue(BlockingFrames.blocking(stack("java.util.concurrent.CompletableFuture.join", "io.raftlock.X.run")));
  }

  @Test
  void fileAndBlockingSocketIoAreBlocking() {
    assertTrue(BlockingFrames.blocking(stack("sun.nio.ch.FileDispatcherImpl.force0",
        "sun.nio.ch.FileChannelImpl.force", "io.raftlock.storage.X.sync")));
    assertTrue(BlockingFrames.blocking(stack("sun.nio.ch.NioSocketImpl.read", "java.net.Socket$SocketInputStream.read",
        "io.raftlock.X.run")));
  }

  @Test
  void runningCodeNettysNonBlockingWritesClassLoadingAndConsoleOutputAreNot() {
    assertFalse(BlockingFrames.blocking(stack("java.util.HashMap.put", "io.raftlock.X.run")));
    assertFalse(BlockingFrames.blocking(stack("io.raftlock.raft.RaftNode.step")));
    assertFalse(BlockingFrames.blocking(stack("sun.nio.ch.SocketDispatcher.write0", "sun.nio.ch.IOUtil.write",
        "sun.nio.ch.SocketChannelImpl.write", "io.netty.channel.socket.nio.NioSocketChannel.doWrite")));
    assertFalse(BlockingFrames.blocking(stack("java.io.RandomAccessFile.readBytes", "java.util.zip.ZipFile$Source.read",
        "jdk.internal.loader.BuiltinClassLoader.loadClass", "java.lang.ClassLoader.loadClass", "io.raftlock.X.run")));
    assertFalse(BlockingFrames.blocking(stack("java.io.FileOutputStream.writeBytes", "java.io.PrintStream.write",
        "io.raftlock.X.run")));
  }
}
