package dev.hourglass.client.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * The client's HTTP/1.1 connections: one per call in flight, kept alive between calls.
 *
 * <p>Idle connections wait per endpoint, newest first (LIFO), so a steady load keeps reusing the
 * same few warm connections and the rest age out. A call takes the newest idle connection that is
 * still open (checked without blocking) and younger than {@link #IDLE_NANOS_MAX}, or opens a new
 * one; there is no limit on calls in flight. When a reused connection fails before any byte of the
 * answer arrived (the server closed it just as the request went out), a GET, PUT or DELETE is sent
 * once more on a fresh connection, as the JDK's client does; a POST is not, because it may have
 * been applied.
 *
 * <p>Thread-safety: safe for any number of threads; the pool's lists are guarded by {@code this},
 * and an exchange runs outside the lock. {@link #close()} closes idle connections and those in use,
 * so calls blocked on other threads end at once.
 */
public final class ConnectionPool implements AutoCloseable {
  /** Why: a few warm connections per thread that calls at once; beyond that they only cost fds. */
  static final int IDLE_PER_ENDPOINT_MAX = 32;

  /**
   * Why: servers, proxies and NAT tables drop connections idle for about a minute or more, and a
   * connection dropped silently would cost the next call its timeout.
   */
  static final long IDLE_NANOS_MAX = Duration.ofSeconds(60).toNanos();

  private final Duration connectTimeout;
  private final byte[] fixedHeaders;
  private final SSLContext sslContext;
  private SSLSocketFactory tls;

  private final Map<HttpEndpoint, ArrayDeque<HttpConnection>> idle = new HashMap<>();

  /** Every open connection, idle or in use: what {@link #close()} closes. */
  private final Set<HttpConnection> open = new HashSet<>();

  private boolean closed;

  /**
   * A pool with no connection yet.
   *
   * @param connectTimeout the longest wait for a TCP connection
   * @param bearerToken sent as {@code Authorization: Bearer} with every request, or null
   * @param sslContext the TLS context for https, or null for the JVM's default
   */
  public ConnectionPool(Duration connectTimeout, String bearerToken, SSLContext sslContext) {
    this.connectTimeout = connectTimeout;
    this.sslContext = sslContext;
    String auth = bearerToken == null ? "" : "Authorization: Bearer " + bearerToken + "\r\n";
    this.fixedHeaders = ("Accept: application/json\r\n" + auth).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Sends one request and reads its answer; the whole exchange ends within {@code timeout}.
   *
   * @param method e.g. {@code POST}
   * @param uri the absolute URL
   * @param body the JSON body, or null for none
   * @param timeout for writing the request and reading the whole answer
   * @return the answer, whatever its status
   * @throws IOException if no answer came: {@link java.net.ConnectException} when refused, {@link
   *     SocketTimeoutException} with "timed out" when late, and a closed-channel exception when the
   *     thread was interrupted (its interrupt flag stays set)
   */
  public HttpAnswer exchange(String method, URI uri, byte[] body, Duration timeout)
      throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      // Checked first: every channel operation would fail, and the idle check would close every
      // idle connection it looked at on the way.
      throw new InterruptedIOException("the thread was interrupted before the call; nothing sent");
    }
    long deadlineNanos = System.nanoTime() + timeout.toNanos();
    HttpEndpoint endpoint = HttpEndpoint.of(uri);
    String path = uri.getRawPath();
    String query = uri.getRawQuery();
    String target =
        (path == null || path.isEmpty() ? "/" : path) + (query == null ? "" : "?" + query);
    HttpConnection c = takeIdle(endpoint);
    for (boolean retried = false; ; retried = true) {
      if (c == null) {
        c = connect(endpoint, deadlineNanos);
      }
      try {
        HttpAnswer answer = c.exchange(method, target, body, deadlineNanos, timeout);
        giveBack(c);
        return answer;
      } catch (IOException e) {
        discard(c);
        if (isClosed()) {
          throw new IOException("the client was closed during the call", e);
        }
        if (retried || !c.reused() || c.answerStarted() || !idempotent(method)) {
          throw e;
        }
        if (e instanceof SocketTimeoutException || Thread.currentThread().isInterrupted()) {
          throw e;
        }
        c = null; // the server closed a kept-alive connection as the request went out
      }
    }
  }

  /** Closes every connection, idle or in use; later calls fail. Idempotent. */
  @Override
  public void close() {
    List<HttpConnection> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(open);
      open.clear();
      idle.clear();
    }
    for (HttpConnection c : all) {
      c.close();
    }
  }

  /** How many connections are open, idle or in use; for tests. */
  synchronized int openCount() {
    return open.size();
  }

  /** Whether every idle connection passes the check a call makes before reusing it; for tests. */
  synchronized boolean idleLookOpen() {
    for (ArrayDeque<HttpConnection> q : idle.values()) {
      for (HttpConnection c : q) {
        if (!c.stillOpen()) {
          return false;
        }
      }
    }
    return true;
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private static boolean idempotent(String method) {
    return method.equals("GET") || method.equals("PUT") || method.equals("DELETE");
  }

  private HttpConnection takeIdle(HttpEndpoint endpoint) {
    for (; ; ) {
      HttpConnection c;
      synchronized (this) {
        ArrayDeque<HttpConnection> q = idle.get(endpoint);
        c = q == null ? null : q.pollFirst();
        if (c == null) {
          return null;
        }
        if (System.nanoTime() - c.idleSinceNanos > IDLE_NANOS_MAX) {
          // The rest of the deque is older still: close them all.
          List<HttpConnection> stale = new ArrayList<>(q);
          stale.add(c);
          q.clear();
          open.removeAll(stale);
          stale.forEach(HttpConnection::close);
          return null;
        }
      }
      if (c.stillOpen()) {
        return c;
      }
      discard(c);
    }
  }

  private HttpConnection connect(HttpEndpoint endpoint, long deadlineNanos) throws IOException {
    SSLSocketFactory factory = endpoint.tls() ? tlsFactory() : null;
    if (isClosed()) {
      throw new IOException("the client is closed; build a new one");
    }
    HttpConnection c =
        HttpConnection.open(endpoint, fixedHeaders, connectTimeout, deadlineNanos, factory);
    synchronized (this) {
      if (!closed) {
        open.add(c);
        return c;
      }
    }
    c.close();
    throw new IOException("the client was closed during the call");
  }

  private synchronized SSLSocketFactory tlsFactory() throws IOException {
    if (tls == null) {
      try {
        tls = (sslContext != null ? sslContext : SSLContext.getDefault()).getSocketFactory();
      } catch (NoSuchAlgorithmException e) {
        throw new IOException("no default TLS context in this JVM", e);
      }
    }
    return tls;
  }

  private void giveBack(HttpConnection c) {
    HttpConnection evicted = null;
    synchronized (this) {
      if (closed || !c.reusable()) {
        open.remove(c);
        evicted = c;
      } else {
        c.idleSinceNanos = System.nanoTime();
        ArrayDeque<HttpConnection> q = idle.computeIfAbsent(c.endpoint, e -> new ArrayDeque<>());
        q.addFirst(c);
        if (q.size() > IDLE_PER_ENDPOINT_MAX) {
          evicted = q.pollLast();
          open.remove(evicted);
        }
      }
    }
    if (evicted != null) {
      evicted.close();
    }
  }

  private void discard(HttpConnection c) {
    synchronized (this) {
      open.remove(c);
    }
    c.close();
  }
}
