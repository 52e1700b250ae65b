package dev.hourglass.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on 127.0.0.1 that counts HTTP/1.1 request lines by prefix (e.g. {@code "POST
 * /api/v1/jobs:complete "}) on their way to the server, so a test can tell how many calls a client
 * made without hooks in the client. The client speaks HTTP/1.1 in clear text, so request lines are
 * plain bytes at the start of a line.
 */
public final class RequestCountingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final URI target;
  private final List<String> prefixes;
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private RequestCountingProxy(URI target, List<String> prefixes) throws IOException {
    this.target = target;
    this.prefixes = List.copyOf(prefixes);
    prefixes.forEach(p -> counts.put(p, new AtomicInteger()));
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::acceptLoop);
  }

  public static RequestCountingProxy to(String targetUrl, String... prefixes) throws IOException {
    return new RequestCountingProxy(URI.create(targetUrl), List.of(prefixes));
  }

  public String url() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  public int count(String prefix) {
    return counts.get(prefix).get();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket in = listener.accept();
        Socket out = new Socket(target.getHost(), target.getPort());
        sockets.add(in);
        sockets.add(out);
        Thread.ofVirtual().start(() -> pipe(in, out, true));
        Thread.ofVirtual().start(() -> pipe(out, in, false));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pipe(Socket from, Socket to, boolean requests) {
    var parser = new RequestLines();
    byte[] buf = new byte[16 * 1024];
    try (InputStream i = from.getInputStream();
        OutputStream o = to.getOutputStream()) {
      int n;
      while ((n = i.read(buf)) > 0) {
        if (requests) {
          parser.feed(buf, n);
        }
        o.write(buf, 0, n);
        o.flush();
      }
    } catch (IOException e) {
      // one side closed; the other pipe ends too
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /**
   * Finds request lines in a keep-alive HTTP/1.1 stream: header lines up to the empty line, then
   * {@code Content-Length} bytes of body (bodies do not end in a newline, so lines alone would glue
   * the next request line to the last body), then the next request.
   */
  private final class RequestLines {
    private final StringBuilder line = new StringBuilder();
    private boolean firstLine = true;
    private long bodyLeft;
    private long contentLength;

    void feed(byte[] buf, int n) {
      for (int k = 0; k < n; k++) {
        if (bodyLeft > 0) {
          long skip = Math.min(bodyLeft, n - k);
          bodyLeft -= skip;
          k += (int) skip - 1;
          continue;
        }
        char c = (char) (buf[k] & 0xff);
        if (c == '\n') {
          endOfLine(line.toString().strip());
          line.setLength(0);
        } else if (line.length() < 256) {
          line.append(c);
        }
      }
    }

    private void endOfLine(String l) {
      if (firstLine) {
        prefixes.stream().filter(l::startsWith).forEach(p -> counts.get(p).incrementAndGet());
        firstLine = false;
        contentLength = 0;
      } else if (l.isEmpty()) {
        bodyLeft = contentLength;
        firstLine = true;
      } else if (l.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        contentLength = Long.parseLong(l.substring(15).strip());
      }
    }
  }

  private static void closeQuietly(java.io.Closeable s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closeQuietly(listener);
    sockets.forEach(RequestCountingProxy::closeQuietly);
  }

  @Override
  public String toString() {
    return "RequestCountingProxy" + counts + " -> " + target;
  }
}
