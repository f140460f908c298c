package io.raftlock.api;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bare RFC 6455 client over a blocking socket, for what a well-behaved client library will not
 * do: send invalid UTF-8, never answer pings, stop reading. Runs on the test thread only.
 */
final class WsRawClient implements AutoCloseable {
  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;

  record Frame(int opcode, boolean fin, byte[] payload) {
    int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
    }

    String text() {
      int from = opcode == CLOSE ? Math.min(2, payload.length) : 0;
      return new String(payload, from, payload.length - from, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private WsRawClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects and upgrades; {@code receiveBufferBytes > 0} shrinks the socket's receive buffer. */
  static WsRawClient connect(int port, String path, int receiveBufferBytes) throws IOException {
    Socket socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(new InetSocketAddress("localhost", port), 5000);
    socket.setSoTimeout(15_000);
    WsRawClient client = new WsRawClient(socket);
    client.out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    client.out.flush();
    String head = client.readHead();
    if (!head.startsWith("HTTP/1.1 101")) {
      throw new IOException("upgrade refused: " + head);
    }
    return client;
  }

  /** How long a read waits for the server before it fails. */
  void readTimeoutMs(int ms) throws IOException {
    socket.setSoTimeout(ms);
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the upgrade");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  void sendText(String text) throws IOException {
    sendFrame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** One client frame (masked, as RFC 6455 requires of clients). */
  void sendFrame(int opcode, boolean fin, byte[] payload) throws IOException {
    sendFrame(opcode, fin, payload.length, payload);
  }

  /** A frame whose header claims {@code length} bytes, followed by {@code payload} only. */
  void sendFrame(int opcode, boolean fin, long length, byte[] payload) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(14);
    header.put((byte) ((fin ? 0x80 : 0) | opcode));
    if (length < 126) {
      header.put((byte) (0x80 | length));
    } else if (length < 65536) {
      header.put((byte) (0x80 | 126)).putShort((short) length);
    } else {
      header.put((byte) (0x80 | 127)).putLong(length);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    header.put(mask);
    // Header and payload in one write: two small writes would wait on Nagle and delayed ACKs.
    byte[] frame = java.util.Arrays.copyOf(header.array(), header.position() + payload.length);
    for (int i = 0; i < payload.length; i++) {
      frame[header.position() + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    out.write(frame);
    out.flush();
  }

  /** The next server frame; null at end of stream or when the connection was reset. */
  Frame readFrame() throws IOException {
    int b0;
    try {
      b0 = in.read();
    } catch (java.net.SocketException reset) {
      return null;
    }
    if (b0 < 0) {
      return null;
    }
    try {
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
    } catch (EOFException | java.net.SocketException e) {
      return null;
    }
  }

  /** Reads frames until a close frame (returned) or the end of the stream (null). */
  Frame readUntilClose(java.util.function.Consumer<Frame> others) throws IOException {
    for (Frame f = readFrame(); f != null; f = readFrame()) {
      if (f.opcode() == CLOSE) {
        return f;
      }
      others.accept(f);
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
