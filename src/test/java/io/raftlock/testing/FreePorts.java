package io.raftlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers that tests and benchmarks start, reserved until this JVM exits, for
 * members that must know each other's ports before any of them binds.
 *
 * <p>Race-free on a busy machine, where a port found free and bound later can be taken in between:
 * a port is picked below Linux's ephemeral range (32768+), so no outgoing connection and no bind
 * to port 0 (in any process) can be handed it; and it stays bound here by a socket that never
 * listens, so another JVM's {@code FreePorts}, which checks without {@code SO_REUSEADDR}, skips it.
 * A server binds it next to that socket with {@code SO_REUSEADDR}, as Vert.x and the JDK's {@link
 * ServerSocket} do by default on Linux (the kernel lets reusing sockets share a port while at most
 * one of them listens), also after a restart. Nothing listens on a reserved port until a server
 * does: a connect to it is refused, as a "dead" endpoint needs.
 */
public final class FreePorts {
  /** Below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range starts at 32768). */
  private static final int LOWEST = 15_000;
  private static final int BELOW = 32_768;
  private static final int ATTEMPTS = 1_000;

  /** The reserving sockets, open until the JVM exits: a reserved port is never handed out twice. */
  private static final List<Socket> RESERVED = new ArrayList<>();

  private FreePorts() {}

  /** A port reserved on 127.0.0.1. */
  public static int next() {
    return next("127.0.0.1");
  }

  /** A port reserved on {@code host} (a local address, e.g. 127.0.0.2). */
  public static synchronized int next(String host) {
    try {
      InetAddress address = InetAddress.getByName(host);
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        int port = ThreadLocalRandom.current().nextInt(LOWEST, BELOW);
        if (unused(address, port) && reserve(address, port)) {
          return port;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no free port on " + host + " in " + LOWEST + "-" + (BELOW - 1));
  }

  /** Nothing is bound to the port: a bind without SO_REUSEADDR conflicts with any socket on it. */
  private static boolean unused(InetAddress address, int port) throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(false);
      probe.bind(new InetSocketAddress(address, port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static boolean reserve(InetAddress address, int port) throws IOException {
    Socket holder = new Socket();
    try {
      holder.setReuseAddress(true);
      holder.bind(new InetSocketAddress(address, port));
      RESERVED.add(holder);
      return true;
    } catch (IOException taken) {
      holder.close();
      return false;
    }
  }
}
