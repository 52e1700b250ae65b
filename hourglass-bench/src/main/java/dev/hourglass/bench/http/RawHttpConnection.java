package dev.hourglass.bench.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 keep-alive connection over a plain blocking socket: writes a request, reads one
 * response (Content-Length or chunked body). Much cheaper per request than the JDK HttpClient, so
 * that the load generator spends its CPU on the server's behalf as little as possible.
 *
 * <p>Not thread-safe: one thread owns a connection. A response is valid until the next call.
 */
final class RawHttpConnection implements AutoCloseable {
  /** Why: a response header block longer than this is not one of ours; fail loudly. */
  private static final int HEADER_BYTES_MAX = 16 * 1024;

  private final URI base;
  private final byte[] hostHeader;
  private final byte[] authHeader;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private byte[] body = new byte[64 * 1024];
  private int bodyLength;
  private final byte[] line = new byte[HEADER_BYTES_MAX];

  RawHttpConnection(URI base, String token) {
    this.base = base;
    this.hostHeader =
        ("Host: " + base.getHost() + ":" + port(base) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    this.authHeader =
        token == null
            ? new byte[0]
            : ("Authorization: Bearer " + token + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static int port(URI u) {
    return u.getPort() > 0 ? u.getPort() : 80;
  }

  private void connect() throws IOException {
    // Kept only once connected: after a refused connection the next send connects again.
    var s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress(base.getHost(), port(base)), 5_000);
    in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
    out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    socket = s;
  }

  /**
   * Sends one request and reads its response.
   *
   * @return the status code; the body is in {@link #body()} up to {@link #bodyLength()}
   */
  int send(String method, String path, byte[] requestBody) throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (socket == null) {
        connect();
      }
      try {
        write(method, path, requestBody);
        return read();
      } catch (IOException e) {
        close(); // the server closed a kept-alive connection: one fresh try
        if (attempt > 0) {
          throw e;
        }
      }
    }
  }

  private void write(String method, String path, byte[] requestBody) throws IOException {
    out.write((method + " " + path + " HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(hostHeader);
    out.write(authHeader);
    if (requestBody != null) {
      out.write(
          ("Content-Type: application/json\r\nContent-Length: " + requestBody.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(requestBody);
    } else {
      out.write("Content-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.flush();
  }

  private int read() throws IOException {
    String status = readLine();
    if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
      throw new IOException("not an HTTP/1.1 status line: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long contentLength = -1;
    boolean chunked = false;
    boolean closeAfter = false;
    for (String h = readLine(); !h.isEmpty(); h = readLine()) {
      int colon = h.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = h.substring(0, colon).trim();
      String value = h.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = value.equalsIgnoreCase("chunked");
      } else if (name.equalsIgnoreCase("Connection")) {
        closeAfter = value.equalsIgnoreCase("close");
      }
    }
    bodyLength = 0;
    if (chunked) {
      for (int n = Integer.parseInt(readLine().split(";")[0].trim(), 16);
          n > 0;
          n = Integer.parseInt(readLine().split(";")[0].trim(), 16)) {
        readBody(n);
        readLine();
      }
      while (!readLine().isEmpty()) {
        // trailers
      }
    } else if (contentLength > 0) {
      readBody((int) contentLength);
    }
    if (closeAfter) {
      close();
    }
    return code;
  }

  private void readBody(int n) throws IOException {
    if (bodyLength + n > body.length) {
      body = java.util.Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + n));
    }
    int got = in.readNBytes(body, bodyLength, n);
    if (got < n) {
      throw new EOFException("the server closed the connection mid-body");
    }
    bodyLength += n;
  }

  private String readLine() throws IOException {
    int n = 0;
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the server closed the connection");
      }
      if (n == line.length) {
        throw new IOException("a header line is longer than " + HEADER_BYTES_MAX + " bytes");
      }
      line[n++] = (byte) c;
    }
    if (n > 0 && line[n - 1] == '\r') {
      n--;
    }
    return new String(line, 0, n, StandardCharsets.US_ASCII);
  }

  byte[] body() {
    return body;
  }

  int bodyLength() {
    return bodyLength;
  }

  String bodyText() {
    return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
    }
  }
}
