package dev.hourglass.client.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * A server on 127.0.0.1 that answers each request with canned bytes from a script, and counts the
 * connections it accepted and the requests it read. For transport tests: it can answer anything,
 * including what a real server never would.
 */
public final class FakeHttpServer implements AutoCloseable {
  /** One request as the server read it; header names in lower case. */
  public record Request(String line, Map<String, String> headers, String body) {}

  /**
   * What to do with one request.
   *
   * @param bytes written as they are
   * @param closeAfter close the connection after writing
   * @param silent write nothing and keep the connection open until the server closes
   */
  public record Reply(byte[] bytes, boolean closeAfter, boolean silent) {
    public static Reply of(String raw) {
      return new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), false, false);
    }

    public static Reply thenClose(String raw) {
      return new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), true, false);
    }

    public static Reply hang() {
      return new Reply(new byte[0], false, true);
    }

    /** A 200 with a JSON body and Content-Length, kept alive. */
    public static Reply json(String json) {
      return of(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
              + json.getBytes(StandardCharsets.UTF_8).length
              + "\r\n\r\n"
              + json);
    }
  }

  private final ServerSocket server;
  private final Function<Request, Reply> script;
  private final AtomicInteger accepts = new AtomicInteger();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger closedByServer = new AtomicInteger();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread acceptor;

  private FakeHttpServer(ServerSocket server, Function<Request, Reply> script) {
    this.server = server;
    this.script = script;
    this.acceptor = new Thread(this::acceptLoop, "fake-http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A plain-HTTP server answering by {@code script}. */
  public static FakeHttpServer start(Function<Request, Reply> script) throws IOException {
    return new FakeHttpServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), script);
  }

  /** An https server with this context's certificate, answering by {@code script}. */
  public static FakeHttpServer startTls(SSLContext context, Function<Request, Reply> script)
      throws IOException {
    return new FakeHttpServer(
        context
            .getServerSocketFactory()
            .createServerSocket(0, 50, InetAddress.getLoopbackAddress()),
        script);
  }

  public URI uri(String scheme) {
    return URI.create(scheme + "://127.0.0.1:" + server.getLocalPort());
  }

  public URI uri() {
    return uri("http");
  }

  public int accepts() {
    return accepts.get();
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** How many connections the server closed after a reply with {@link Reply#closeAfter}. */
  public int closedByServer() {
    return closedByServer.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepts.incrementAndGet();
        sockets.add(s);
        var t = new Thread(() -> serve(s), "fake-http-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      for (; ; ) {
        Request r = readRequest(in);
        if (r == null) {
          return;
        }
        requests.add(r);
        Reply reply = script.apply(r);
        if (reply.silent()) {
          stopped.await(30, TimeUnit.SECONDS);
          return;
        }
        s.getOutputStream().write(reply.bytes());
        s.getOutputStream().flush();
        if (reply.closeAfter()) {
          s.close();
          closedByServer.incrementAndGet();
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or the test ended
    }
  }

  private static Request readRequest(InputStream in) throws IOException {
    String line = readLine(in);
    if (line == null) {
      return null;
    }
    Map<String, String> headers = new HashMap<>();
    for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
      int colon = h.indexOf(':');
      headers.put(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new Request(line, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String readLine(InputStream in) throws IOException {
    var b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return null;
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    stopped.countDown();
    server.close();
    List<Socket> all = new ArrayList<>(sockets);
    for (Socket s : all) {
      s.close();
    }
  }
}
