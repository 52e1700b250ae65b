package dev.hourglass.bench.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The load generator's own parts: its HTTP connection, lease parsing and options. */
class LoadGeneratorTest {
  @Test
  void leaseRepliesAreParsedPastNestedPayloadsAndTurnedIntoOneCompletionBody() throws Exception {
    byte[] reply =
        ("{\"assignments\":[{\"job_id\":\"a\",\"generation\":2,\"task\":\"t\","
                + "\"queue\":\"q\",\"payload\":{\"job_id\":\"not-me\",\"x\":[1,{\"generation\":9}]},"
                + "\"lease_expires_at\":5,\"redelivered\":false},{\"job_id\":\"b\",\"generation\":1,"
                + "\"task\":\"t\",\"queue\":\"q\",\"payload\":[1,2],\"lease_expires_at\":5,"
                + "\"redelivered\":true}]}")
            .getBytes(StandardCharsets.UTF_8);
    var got = new LoadGenerator.Leased(10);
    got.parse(reply, reply.length);
    assertThat(got.n).isEqualTo(2);
    assertThat(got.ids).startsWith("a", "b");
    assertThat(got.generations).startsWith(2, 1);
    assertThat(new String(got.completions("w1"), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"worker_id\":\"w1\",\"completions\":[{\"job_id\":\"a\",\"generation\":2},"
                + "{\"job_id\":\"b\",\"generation\":1}]}");

    byte[] empty = "{\"assignments\":[]}".getBytes(StandardCharsets.UTF_8);
    got.parse(empty, empty.length);
    assertThat(got.n).isZero();
  }

  @Test
  void oneConnectionCarriesManyRequestsWithFixedAndChunkedBodies() throws Exception {
    var connections = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          byte[] in = ex.getRequestBody().readAllBytes();
          byte[] out =
              ("{\"echo\":" + new String(in, StandardCharsets.UTF_8) + "}")
                  .getBytes(StandardCharsets.UTF_8);
          boolean chunked = ex.getRequestURI().getPath().endsWith("chunked");
          ex.sendResponseHeaders(chunked ? 201 : 200, chunked ? 0 : out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    server.start();
    try (var c =
        new RawHttpConnection(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "secret-token")) {
      for (int i = 0; i < 3; i++) {
        assertThat(c.send("POST", "/fixed", ("[" + i + "]").getBytes(StandardCharsets.UTF_8)))
            .isEqualTo(200);
        assertThat(c.bodyText()).isEqualTo("{\"echo\":[" + i + "]}");
        assertThat(c.send("POST", "/chunked", "\"x\"".getBytes(StandardCharsets.UTF_8)))
            .isEqualTo(201);
        assertThat(c.bodyText()).isEqualTo("{\"echo\":\"x\"}");
      }
      assertThat(c.send("GET", "/fixed", null)).isEqualTo(200);
      assertThat(c.bodyText()).isEqualTo("{\"echo\":}");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void optionsHaveDefaultsAndMistakesAreNamed() {
    var o =
        LoadGenerator.parse(
            new String[] {
              "http://127.0.0.1:7070",
              "--phases",
              "latency,submit-batch",
              "--batch",
              "500",
              "--connections",
              "4"
            });
    assertThat(o.phases()).containsExactly("latency", "submit-batch");
    assertThat(o.batch()).isEqualTo(500);
    assertThat(o.batchConnections()).isEqualTo(4);
    assertThat(o.singleConnections()).isEqualTo(4);
    assertThat(o.e2eWorkers()).isEqualTo(16);
    assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"http://h:1", "--bogus", "1"}))
        .hasMessageContaining("unknown options [bogus]");
    assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"http://h:1", "--phases", "x"}))
        .hasMessageContaining("unknown phase x");
    assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"--phases", "latency"}))
        .hasMessageContaining("URL first");
    assertThat(LoadGenerator.pct(new long[] {1, 2, 3, 4}, 50)).isEqualTo(2);
    assertThat(LoadGenerator.pct(new long[] {1, 2, 3, 4}, 99)).isEqualTo(4);
  }
}
