package dev.hourglass.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.internal.FakeHttpServer.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 transport against a server that answers canned bytes. */
class ConnectionPoolTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String OK_EMPTY = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

  private FakeHttpServer server;
  private final ConnectionPool pool = new ConnectionPool(Duration.ofSeconds(5), "t0k", null);

  @AfterEach
  void stop() throws IOException {
    pool.close();
    if (server != null) {
      server.close();
    }
  }

  private URI at(String path) {
    return server.uri().resolve(path);
  }

  private static String text(HttpAnswer a) {
    return new String(a.body(), StandardCharsets.UTF_8);
  }

  @Test
  void sendsTheRequestHeadersAndReadsAContentLengthBody() throws IOException {
    server =
        FakeHttpServer.start(
            r ->
                Reply.of(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 11\r\nLOCATION: /x\r\n"
                        + "Retry-After:  7 \r\n\r\n{\"a\":\"b\"}\r\n"));
    HttpAnswer get = pool.exchange("GET", at("/api/v1/jobs?limit=5&q=a%20b"), null, TIMEOUT);
    HttpAnswer post =
        pool.exchange(
            "POST", at("/api/v1/jobs"), "{\"x\":1}".getBytes(StandardCharsets.UTF_8), TIMEOUT);

    assertThat(get.status()).isEqualTo(503);
    assertThat(get.location()).isEqualTo("/x");
    assertThat(get.retryAfter()).isEqualTo("7");
    assertThat(text(get)).isEqualTo("{\"a\":\"b\"}\r\n");
    assertThat(text(post)).isEqualTo("{\"a\":\"b\"}\r\n");
    var first = server.requests().get(0);
    assertThat(first.line()).isEqualTo("GET /api/v1/jobs?limit=5&q=a%20b HTTP/1.1");
    assertThat(first.headers())
        .containsEntry("host", "127.0.0.1:" + server.uri().getPort())
        .containsEntry("accept", "application/json")
        .containsEntry("authorization", "Bearer t0k")
        .containsEntry("content-length", "0")
        .doesNotContainKey("content-type");
    var second = server.requests().get(1);
    assertThat(second.line()).isEqualTo("POST /api/v1/jobs HTTP/1.1");
    assertThat(second.headers())
        .containsEntry("content-type", "application/json")
        .containsEntry("content-length", "7");
    assertThat(second.body()).isEqualTo("{\"x\":1}");
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void readsAChunkedBodyWithAnExtensionAndATrailerAndKeepsTheConnection() throws IOException {
    server =
        FakeHttpServer.start(
            r ->
                Reply.of(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5;name=value\r\nhello\r\n"
                        + "7\r\n, world\r\n"
                        + "0\r\nX-Checksum: 42\r\n\r\n"));
    assertThat(text(pool.exchange("GET", at("/a"), null, TIMEOUT))).isEqualTo("hello, world");
    assertThat(text(pool.exchange("GET", at("/b"), null, TIMEOUT))).isEqualTo("hello, world");
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void readsLargeChunkedAndContentLengthBodiesAcrossBufferBoundaries() throws IOException {
    long seed = Long.getLong("transport.seed", System.nanoTime());
    System.out.println("transport.seed=" + seed + " (replay with -Dtransport.seed=" + seed + ")");
    var random = new Random(seed);
    var text = new StringBuilder();
    while (text.length() < 300_000) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    var chunked = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int at = 0; at < text.length(); ) {
      int n = Math.min(text.length() - at, 1 + random.nextInt(20_000));
      chunked.append(Integer.toHexString(n)).append(random.nextBoolean() ? ";x=y" : "");
      chunked.append("\r\n").append(text, at, at + n).append("\r\n");
      at += n;
    }
    chunked.append("0\r\n\r\n");
    String fixed = "HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n" + text;
    server =
        FakeHttpServer.start(
            r -> Reply.of(r.line().contains("/chunked") ? chunked.toString() : fixed));
    for (int i = 0; i < 2; i++) {
      assertThat(text(pool.exchange("GET", at("/chunked"), null, TIMEOUT)))
          .isEqualTo(text.toString());
      assertThat(text(pool.exchange("GET", at("/fixed"), null, TIMEOUT)))
          .isEqualTo(text.toString());
    }
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void keepAliveReusesOneConnectionForThreeCalls() throws IOException {
    server = FakeHttpServer.start(r -> Reply.of(OK_EMPTY));
    for (int i = 0; i < 3; i++) {
      assertThat(pool.exchange("POST", at("/p"), null, TIMEOUT).status()).isEqualTo(200);
    }
    assertThat(server.requests()).hasSize(3);
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void connectionCloseMakesTheNextCallOpenANewConnection() throws IOException {
    server =
        FakeHttpServer.start(
            r ->
                Reply.thenClose(
                    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    pool.exchange("GET", at("/a"), null, TIMEOUT);
    pool.exchange("GET", at("/b"), null, TIMEOUT);
    assertThat(server.accepts()).isEqualTo(2);
    assertThat(pool.openCount()).isZero();
  }

  @Test
  void bytesPastTheAnswerAreNeverTakenForTheNextCallsAnswer() throws IOException {
    // The server says 2 bytes and sends a whole second answer behind them: the next call must get
    // an answer of its own, on a fresh connection, not this leftover.
    server =
        FakeHttpServer.start(
            r ->
                Reply.of(
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"));
    assertThat(text(pool.exchange("POST", at("/a"), "{}".getBytes(), TIMEOUT))).isEqualTo("ok");
    assertThat(text(pool.exchange("POST", at("/a"), "{}".getBytes(), TIMEOUT))).isEqualTo("ok");
    assertThat(server.accepts()).isEqualTo(2);
  }

  @Test
  void anHttp10AnswerWithoutLengthIsReadToTheEndAndNotReused() throws IOException {
    server = FakeHttpServer.start(r -> Reply.thenClose("HTTP/1.0 200 OK\r\n\r\nuntil the end"));
    assertThat(text(pool.exchange("GET", at("/a"), null, TIMEOUT))).isEqualTo("until the end");
    assertThat(text(pool.exchange("GET", at("/a"), null, TIMEOUT))).isEqualTo("until the end");
    assertThat(server.accepts()).isEqualTo(2);
  }

  @Test
  void skipsInterimAnswersAndReadsNoBodyFor204() throws IOException {
    server =
        FakeHttpServer.start(
            r ->
                Reply.of(
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                        + "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"));
    assertThat(pool.exchange("DELETE", at("/a"), null, TIMEOUT).status()).isEqualTo(204);
    assertThat(pool.exchange("DELETE", at("/a"), null, TIMEOUT).body()).isEmpty();
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void aPostAfterTheServerClosedTheIdleConnectionGoesOnceOnAFreshConnection() throws IOException {
    // Goal: the server drops a kept-alive connection (it said nothing about closing); the next
    // POST must notice before sending, so it is neither lost nor sent twice.
    server =
        FakeHttpServer.start(
            r -> r.line().startsWith("GET") ? Reply.thenClose(OK_EMPTY) : Reply.of(OK_EMPTY));
    pool.exchange("GET", at("/a"), null, TIMEOUT);
    await().atMost(Duration.ofSeconds(10)).until(() -> !pool.idleLookOpen());

    assertThat(
            pool.exchange("POST", at("/jobs"), "{}".getBytes(StandardCharsets.UTF_8), TIMEOUT)
                .status())
        .isEqualTo(200);
    assertThat(server.requests())
        .extracting(FakeHttpServer.Request::line)
        .containsExactly("GET /a HTTP/1.1", "POST /jobs HTTP/1.1");
    assertThat(server.accepts()).isEqualTo(2);
  }

  /** A server that answers every request but the second, on which it closes the connection. */
  private static FakeHttpServer closingOnTheSecondRequest() throws IOException {
    var n = new AtomicInteger();
    return FakeHttpServer.start(
        r -> n.incrementAndGet() == 2 ? Reply.thenClose("") : Reply.of(OK_EMPTY));
  }

  @Test
  void aGetOnAReusedConnectionThatBreaksBeforeTheAnswerIsSentOnceMore() throws IOException {
    server = closingOnTheSecondRequest();
    pool.exchange("GET", at("/a"), null, TIMEOUT);
    assertThat(pool.exchange("GET", at("/b"), null, TIMEOUT).status()).isEqualTo(200);
    assertThat(server.requests())
        .extracting(FakeHttpServer.Request::line)
        .containsExactly("GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /b HTTP/1.1");
    assertThat(server.accepts()).isEqualTo(2);
  }

  @Test
  void aPostOnAReusedConnectionThatBreaksBeforeTheAnswerIsNotRepeated() throws IOException {
    server = closingOnTheSecondRequest();
    pool.exchange("GET", at("/a"), null, TIMEOUT);
    assertThatThrownBy(() -> pool.exchange("POST", at("/b"), null, TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("closed the connection before answering");
    assertThat(server.requests()).hasSize(2);
  }

  @Test
  void aServerThatNeverAnswersFailsTheCallWithinItsTimeout() throws IOException {
    server = FakeHttpServer.start(r -> Reply.hang());
    long start = System.nanoTime();
    assertThatThrownBy(() -> pool.exchange("POST", at("/lease"), null, Duration.ofMillis(300)))
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("timed out");
    // Generous: only a call that waits for ever (or for the default 30 s) fails this.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(pool.openCount()).isZero();
  }

  @Test
  void interruptingAThreadBlockedInACallEndsItAndDropsTheConnection() throws Exception {
    server = FakeHttpServer.start(r -> Reply.hang());
    var failure = new CompletableFuture<Throwable>();
    var interruptedAfter = new CompletableFuture<Boolean>();
    var t =
        new Thread(
            () -> {
              try {
                pool.exchange("POST", at("/lease"), null, Duration.ofSeconds(60));
                failure.complete(null);
              } catch (Throwable e) {
                interruptedAfter.complete(Thread.currentThread().isInterrupted());
                failure.complete(e);
              }
            });
    t.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() == 1);
    t.interrupt();

    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    assertThat(interruptedAfter.get(1, TimeUnit.SECONDS)).isTrue();
    t.join(10_000);
    assertThat(pool.openCount()).isZero();
  }

  @Test
  void anInterruptedThreadSendsNothingAndLeavesTheIdleConnectionsAlone() throws Exception {
    server = FakeHttpServer.start(r -> Reply.of(OK_EMPTY));
    pool.exchange("GET", at("/a"), null, TIMEOUT);
    var failure = new CompletableFuture<Throwable>();
    var t =
        new Thread(
            () -> {
              Thread.currentThread().interrupt();
              try {
                pool.exchange("GET", at("/b"), null, TIMEOUT);
                failure.complete(null);
              } catch (Throwable e) {
                failure.complete(e);
              }
            });
    t.start();

    assertThat(failure.get(10, TimeUnit.SECONDS)).hasMessageContaining("interrupted before");
    assertThat(server.requests()).hasSize(1);
    assertThat(pool.exchange("GET", at("/c"), null, TIMEOUT).status()).isEqualTo(200);
    assertThat(server.accepts()).isEqualTo(1);
  }

  @Test
  void aRequestTheServerNeverReadsFailsWithinItsTimeout() throws Exception {
    // Goal: the timeout covers the write too. The server accepts but never reads, so once the
    // kernel's buffers are full the write blocks; it must end at the deadline.
    try (var silent = new ServerSocket()) {
      silent.setReceiveBufferSize(4096);
      silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      var body = new byte[64 * 1024 * 1024];
      var uri = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/jobs");
      var failure =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  pool.exchange("POST", uri, body, Duration.ofMillis(500));
                  return null;
                } catch (IOException e) {
                  return e;
                }
              });
      // Generous: only a write that blocks until the test ends fails this.
      assertThat(failure.get(30, TimeUnit.SECONDS))
          .isInstanceOf(SocketTimeoutException.class)
          .hasMessageContaining("timed out");
      assertThat(pool.openCount()).isZero();
    }
  }

  @Test
  void closeEndsACallParkedOnAnotherThreadAndLaterCalls() throws Exception {
    server = FakeHttpServer.start(r -> Reply.hang());
    var failure =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                pool.exchange("POST", at("/lease"), null, Duration.ofSeconds(60));
                return null;
              } catch (IOException e) {
                return e;
              }
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() == 1);
    pool.close();

    assertThat(failure.get(10, TimeUnit.SECONDS)).hasMessageContaining("client was closed");
    assertThatThrownBy(() -> pool.exchange("GET", at("/a"), null, TIMEOUT))
        .hasMessageContaining("client is closed");
  }

  @Test
  void refusesMalformedAnswersWithAClearReason() throws IOException {
    var bad = new AtomicInteger();
    String longHeader = "X-Big: " + "a".repeat(HttpConnection.HEADER_LINE_BYTES_MAX) + "\r\n";
    String manyHeaders = "X-H: 1\r\n".repeat(HttpConnection.HEADERS_MAX + 1);
    String[] answers = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 20x OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\n" + longHeader + "\r\n",
      "HTTP/1.1 200 OK\r\n" + manyHeaders + "\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    };
    String[] reasons = {
      "malformed status line \"HTTP/2 200 OK\"",
      "malformed status line",
      "longer than 16384 bytes",
      "more than 100 headers",
      "malformed chunk size \"zz\"",
      "bad Content-Length",
    };
    server = FakeHttpServer.start(r -> Reply.thenClose(answers[bad.getAndIncrement()]));
    for (String reason : reasons) {
      assertThatThrownBy(() -> pool.exchange("GET", at("/a"), null, TIMEOUT))
          .isInstanceOf(IOException.class)
          .hasMessageContaining(reason);
    }
    assertThat(pool.openCount()).isZero();
  }

  @Test
  void hostHeaderBracketsIpv6AndLeavesOutTheDefaultPort() {
    assertThat(
            new String(
                HttpEndpoint.of(URI.create("http://[::1]:7070/a")).hostLine(),
                StandardCharsets.US_ASCII))
        .isEqualTo("Host: [::1]:7070\r\n");
    assertThat(
            new String(
                HttpEndpoint.of(URI.create("https://example.org/a")).hostLine(),
                StandardCharsets.US_ASCII))
        .isEqualTo("Host: example.org\r\n");
    assertThat(HttpEndpoint.of(URI.create("http://[::1]:7070/a")).host()).isEqualTo("::1");
  }
}
