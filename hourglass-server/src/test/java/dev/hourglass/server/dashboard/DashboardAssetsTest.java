package dev.hourglass.server.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.server.Auth;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's files over real HTTP: types, caching, no token, and nothing else reachable. */
class DashboardAssetsTest {
  @TempDir static Path dir;
  static HourglassServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    // Tokens on: the files must still be served without one.
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("data"))
                .withPort(0)
                .withAuth(Auth.parse("admin:admin-token-123")));
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  static HttpResponse<String> get(String path, String... headers) throws Exception {
    var b = HttpRequest.newBuilder(server.uri().resolve(path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rootServesTheIndexWithoutAToken() throws Exception {
    var r = get("/");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(r.headers().firstValue("Content-Security-Policy"))
        .get()
        .asString()
        .contains("default-src 'none'");
    assertThat(r.body()).contains("<script type=\"module\" src=\"/dashboard/app.js\">");
    assertThat(get("/dashboard/").body()).isEqualTo(r.body());
  }

  @Test
  void assetsHaveTheirContentTypesAndRevalidateWithAnEtag() throws Exception {
    var js = get("/dashboard/app.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(js.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(get("/dashboard/style.css").headers().firstValue("Content-Type"))
        .hasValue("text/css; charset=utf-8");
    String etag = js.headers().firstValue("ETag").orElseThrow();
    var again = get("/dashboard/app.js", "If-None-Match", etag);
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
  }

  @Test
  void theWholeDashboardStaysSmall() throws Exception {
    long total = 0;
    for (String f :
        new String[] {"index.html", "app.js", "api.js", "charts.js", "graph.js", "style.css"}) {
      var r = get("/dashboard/" + f);
      assertThat(r.statusCode()).as(f).isEqualTo(200);
      total += r.body().getBytes(StandardCharsets.UTF_8).length;
    }
    assertThat(total).as("bytes of all dashboard files").isLessThan(100_000);
  }

  @Test
  void unknownNamesAndTraversalAre404() throws Exception {
    for (String path :
        new String[] {
          "/dashboard/nope.js",
          "/dashboard/app.exe",
          "/dashboard/../dev/hourglass/server/dashboard/Dashboard.class",
          "/dashboard/%2e%2e/logback.xml",
          "/dashboard/..%2Flogback.xml",
          "/dashboard/sub/app.js",
          "/dashboard/.js",
          "/dashboard/Dashboard.class"
        }) {
      var r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.body()).as(path).doesNotContain("import ").doesNotContain("CAFEBABE");
    }
    assertThat(Dashboard.lookup("../api.js")).isEmpty();
    assertThat(Dashboard.lookup("..%2fapi.js")).isEmpty();
    assertThat(Dashboard.lookup("api.js")).isPresent();
  }

  @Test
  void probingManyMissingNamesCachesNothing() {
    for (int i = 0; i < 10_000; i++) {
      assertThat(Dashboard.lookup("probe" + i + ".js")).isEmpty();
    }
    assertThat(Dashboard.cachedCount()).as("cached files").isLessThanOrEqualTo(6);
  }

  @Test
  void aRawDotDotPathNeverReachesTheClasspath() throws Exception {
    // java.net.http normalises nothing, but to be sure the server sees "..", speak HTTP by hand.
    try (var socket = new Socket(server.uri().getHost(), server.port())) {
      socket.setSoTimeout(10_000); // the server may keep the connection open after answering
      socket
          .getOutputStream()
          .write(
              ("GET /dashboard/../../logback.xml HTTP/1.1\r\nHost: x\r\n"
                      + "Connection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      var in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      String status = in.readLine();
      assertThat(status).startsWith("HTTP/1.1 ").doesNotStartWith("HTTP/1.1 200");
    }
  }

  @Test
  void theApiStillNeedsItsToken() throws Exception {
    assertThat(get("/api/v1/stats").statusCode()).isEqualTo(401);
    assertThat(get("/api/v1/stats", "Authorization", "Bearer admin-token-123").statusCode())
        .isEqualTo(200);
  }

  @Test
  void jobDetailNamesItsDependentsForTheGraphEvenAfterTheyStopWaiting() throws Exception {
    String auth = "Bearer admin-token-123";
    var submit =
        HTTP.send(
            HttpRequest.newBuilder(server.uri().resolve("/api/v1/jobs:batch"))
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"jobs\":[{\"job_id\":\"g-a\",\"task\":\"t\","
                            + "\"queue\":\"graph\"},{\"job_id\":\"g-b\",\"task\":\"t\",\"depends_on\":[\"g-a\"]},"
                            + "{\"job_id\":\"g-c\",\"task\":\"t\",\"depends_on\":[\"g-a\",\"g-b\"]}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(submit.statusCode()).as(submit.body()).isEqualTo(201);
    var lease =
        HTTP.send(
            HttpRequest.newBuilder(server.uri().resolve("/api/v1/lease"))
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"worker_id\":\"gw\",\"queues\":[\"graph\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(lease.body()).contains("g-a");
    var done =
        HTTP.send(
            HttpRequest.newBuilder(server.uri().resolve("/api/v1/jobs/g-a/complete"))
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"worker_id\":\"gw\",\"generation\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(done.body()).contains("SUCCEEDED");
    String a = get("/api/v1/jobs/g-a", "Authorization", auth).body();
    assertThat(a).contains("\"dependents\":[\"g-b\",\"g-c\"]");
    String c = get("/api/v1/jobs/g-c", "Authorization", auth).body();
    assertThat(c).contains("\"depends_on\":[\"g-a\",\"g-b\"]").contains("\"dependents\":[]");
  }
}
