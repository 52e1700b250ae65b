package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.wal.FsyncPolicy;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets a 4xx problem+json with a specific code and changes nothing. The
 * server runs with a 1 KiB payload bound so that oversize cases stay small.
 */
class BadInputTest {
  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(
          o ->
              o.withFsync(new FsyncPolicy.Always())
                  .withLimits(Limits.DEFAULTS.withPayloadBytesMax(1024)));

  static final HttpTestClient http = server.http();
  static String runningJob;

  @BeforeAll
  static void start() throws Exception {
    http.post("/api/v1/jobs", "{\"job_id\":\"parent\",\"task\":\"t\"}");
    http.post("/api/v1/lease", "{\"worker_id\":\"w1\",\"max\":1}");
    runningJob = "parent";
  }

  static Stream<Arguments> badRequests() {
    String big = "x".repeat(2000);
    return Stream.of(
        Arguments.of("/api/v1/jobs", "{\"task\":", 400, "MALFORMED_JSON"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\"} trailing", 400, "MALFORMED_JSON"),
        Arguments.of("/api/v1/jobs", "[1,2]", 400, "INVALID_TYPE"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\",\"prio\":1}", 400, "UNKNOWN_FIELD"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\",\"priority\":\"high\"}", 400, "INVALID_TYPE"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\",\"priority\":1.5}", 400, "INVALID_TYPE"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\",\"task\":\"u\"}", 400, "MALFORMED_JSON"),
        Arguments.of("/api/v1/jobs", "{}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs", "{\"task\":\"t\",\"max_attempts\":0}", 400, "INVALID_ARGUMENT"),
        Arguments.of("/api/v1/jobs", "{\"task\":\"t\",\"delay_ms\":-5}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs",
            "{\"task\":\"t\",\"delay_ms\":5,\"run_at\":9}",
            400,
            "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs", "{\"task\":\"t\",\"run_at\":\"tomorrow\"}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs",
            "{\"task\":\"t\",\"payload\":\"" + big + "\"}",
            413,
            "PAYLOAD_TOO_LARGE"),
        Arguments.of(
            "/api/v1/jobs", "{\"task\":\"t\",\"cron\":\"61 * * * *\"}", 400, "INVALID_SCHEDULE"),
        Arguments.of(
            "/api/v1/jobs",
            "{\"task\":\"t\",\"cron\":\"* * * * *\",\"time_zone\":" + "\"Mars/Olympus\"}",
            400,
            "INVALID_SCHEDULE"),
        Arguments.of(
            "/api/v1/jobs", "{\"task\":\"t\",\"depends_on\":[\"nope\"]}", 422, "UNKNOWN_PARENT"),
        Arguments.of(
            "/api/v1/jobs", "{\"job_id\":\"parent\",\"task\":\"t\"}", 409, "DUPLICATE_JOB_ID"),
        Arguments.of(
            "/api/v1/jobs:batch",
            "{\"jobs\":[{\"job_id\":\"a\",\"task\":\"t\","
                + "\"depends_on\":[\"b\"]},{\"job_id\":\"b\",\"task\":\"t\",\"depends_on\":[\"a\"]}]}",
            422,
            "DEPENDENCY_CYCLE"),
        Arguments.of("/api/v1/jobs:batch", "{\"jobs\":[]}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs:batch",
            "{\"jobs\":[{\"task\":\"t\"},{\"task\":\"\"}]}",
            400,
            "INVALID_ARGUMENT"),
        Arguments.of("/api/v1/lease", "{\"max\":1}", 400, "INVALID_ARGUMENT"),
        Arguments.of("/api/v1/lease", "{\"worker_id\":\"w\",\"max\":0}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/lease", "{\"worker_id\":\"w\",\"wait_ms\":61000}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs/nope/complete",
            "{\"worker_id\":\"w1\",\"generation\":1}",
            404,
            "UNKNOWN_JOB"),
        Arguments.of(
            "/api/v1/jobs/parent/complete", "{\"worker_id\":\"w1\"}", 400, "INVALID_ARGUMENT"),
        Arguments.of(
            "/api/v1/jobs/parent/complete",
            "{\"worker_id\":\"w2\",\"generation\":1}",
            409,
            "NOT_LEASE_HOLDER"),
        Arguments.of("/api/v1/jobs/parent/redrive", "", 409, "ILLEGAL_TRANSITION"),
        Arguments.of("/api/v1/jobs/nope/cancel", "", 404, "UNKNOWN_JOB"),
        Arguments.of("/api/v1/schedules/nope/pause", "", 404, "UNKNOWN_SCHEDULE"),
        Arguments.of("/api/v1/workers/nope/heartbeat", "", 404, "UNKNOWN_WORKER"),
        Arguments.of("/api/v1/no/such/route", "{}", 404, "NOT_FOUND"));
  }

  @ParameterizedTest(name = "{0} {1} -> {2} {3}")
  @MethodSource("badRequests")
  void badRequestIsRefusedWithAProblemAndChangesNothing(
      String path, String body, int status, String code) {
    JsonNode before = state();
    var r = http.post(path, body);
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.raw().headers().firstValue("Content-Type")).hasValue(Http.PROBLEM_JSON);
    assertThat(r.str("code")).isEqualTo(code);
    assertThat(r.body().get("status").asInt()).isEqualTo(status);
    assertThat(r.str("type")).startsWith("urn:hourglass:problem:");
    assertThat(r.str("detail")).isNotBlank();
    assertThat(state()).isEqualTo(before);
  }

  @Test
  void oversizeBodyIsRefusedFromContentLengthBeforeParsing() {
    JsonNode before = state();
    String huge = "{\"task\":\"t\",\"payload\":\"" + "y".repeat(200_000) + "\"}";
    var r = http.post("/api/v1/jobs", huge);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.str("code")).isEqualTo("BODY_TOO_LARGE");
    assertThat(r.str("detail")).contains("limit=" + server.options().limits().bodyBytesMax());
    assertThat(state()).isEqualTo(before);
  }

  /**
   * A client writes its whole body before it reads the answer. The server reads and discards an
   * oversize body before it answers, so the 413 arrives instead of a reset, and the connection
   * stays usable for the next request.
   */
  @Test
  void oversizeBodyIsReadAndDiscardedSoTheAnswerArrivesAndTheConnectionStaysOpen()
      throws Exception {
    byte[] body =
        ("{\"task\":\"t\",\"payload\":\"" + "w".repeat(300_000) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    try (var socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      for (int round = 0; round < 3; round++) {
        out.write(
            ("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    + "\r\nContent-Length: "
                    + body.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.write(body);
        out.flush();
        RawResponse refused = RawResponse.read(in);
        assertThat(refused.status()).as(refused.body()).isEqualTo(413);
        assertThat(refused.body()).contains("BODY_TOO_LARGE");
        assertThat(refused.headers().get("connection")).isNotEqualToIgnoringCase("close");
      }
      out.write(
          "GET /api/v1/jobs/parent HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      RawResponse next = RawResponse.read(in);
      assertThat(next.status()).as(next.body()).isEqualTo(200);
      assertThat(next.body()).contains("\"parent\"");
    }
  }

  /** One HTTP/1.1 answer with a Content-Length body, read from a raw connection. */
  record RawResponse(int status, Map<String, String> headers, String body) {
    static RawResponse read(InputStream in) throws IOException {
      String statusLine = line(in);
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new HashMap<>();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
      return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
      var sb = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new EOFException("the connection closed inside an answer: " + sb);
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }
  }

  @Test
  void oversizeChunkedBodyIsRefusedWhileReading() {
    byte[] huge = ("{\"task\":\"t\",\"payload\":\"" + "z".repeat(200_000) + "\"}").getBytes();
    var r =
        http.send(
            http.builder("/api/v1/jobs")
                .header("Content-Type", Http.JSON)
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(huge))));
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.str("code")).isEqualTo("BODY_TOO_LARGE");
  }

  @Test
  void badQueryParametersAreRefused() {
    assertThat(http.get("/api/v1/jobs?state=SLEEPING").status()).isEqualTo(400);
    assertThat(http.get("/api/v1/jobs?limit=0").status()).isEqualTo(400);
    assertThat(http.get("/api/v1/jobs?cursor=abc").str("code")).isEqualTo("INVALID_ARGUMENT");
    assertThat(http.get("/api/v1/jobs/nope").str("code")).isEqualTo("UNKNOWN_JOB");
  }

  /** Everything a bad request could have changed: counts by state and the parent's attempts. */
  private static JsonNode state() {
    var s = http.get("/api/v1/stats").body();
    ((com.fasterxml.jackson.databind.node.ObjectNode) s).remove("next_wakeup_at");
    ((com.fasterxml.jackson.databind.node.ObjectNode) s)
        .set("parent", http.get("/api/v1/jobs/" + runningJob).body());
    return s;
  }
}
