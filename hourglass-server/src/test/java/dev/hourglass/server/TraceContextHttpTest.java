package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The W3C trace context as a job field: stored as given, answered in the job view and in every
 * assignment of the job (retries included), per job in a batch, on schedules; a malformed value is
 * a 400 that names the field and changes nothing.
 */
class TraceContextHttpTest {
  static final String P1 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  static final String P2 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
  @TempDir static Path dir;
  static HourglassServer server;
  static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("data"))
                .withPort(0)
                .withFsync(new FsyncPolicy.NeverUnsafeForTests()));
    http = new HttpTestClient(server.uri());
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  @Test
  void theContextIsKeptWithTheJobAndAnsweredInEveryAssignment() {
    var r =
        http.post(
            "/api/v1/jobs",
            """
        {"job_id":"traced","task":"trace-t","queue":"trace-q","max_attempts":3,"backoff_ms":0,
         "traceparent":"%s","tracestate":"rojo=00f067aa0ba902b7"}"""
                .formatted(P1));
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    JsonNode job = http.get("/api/v1/jobs/traced").body();
    assertThat(job.path("traceparent").asText()).isEqualTo(P1);
    assertThat(job.path("tracestate").asText()).isEqualTo("rojo=00f067aa0ba902b7");

    JsonNode first = lease();
    assertThat(first.path("traceparent").asText()).isEqualTo(P1);
    assertThat(first.path("tracestate").asText()).isEqualTo("rojo=00f067aa0ba902b7");
    assertThat(first.path("attempt").asInt()).isEqualTo(1);
    assertThat(
            http.post(
                    "/api/v1/jobs/traced/fail",
                    """
        {"worker_id":"tw","generation":%d,"error":"flaky"}"""
                        .formatted(first.path("generation").asInt()))
                .status())
        .isEqualTo(200);
    JsonNode retry = lease();
    assertThat(retry.path("generation").asInt()).isEqualTo(2);
    assertThat(retry.path("attempt").asInt()).isEqualTo(2);
    assertThat(retry.path("traceparent").asText()).isEqualTo(P1);
  }

  @Test
  void eachJobOfABatchKeepsItsOwnContextAndAnUntracedJobHasNone() {
    var r =
        http.post(
            "/api/v1/jobs:batch",
            """
        {"jobs":[{"job_id":"b-parent","task":"t","traceparent":"%s"},
                 {"job_id":"b-child","task":"t","depends_on":["b-parent"],"traceparent":"%s"},
                 {"job_id":"b-plain","task":"t"}]}"""
                .formatted(P1, P2));
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    assertThat(http.get("/api/v1/jobs/b-parent").str("traceparent")).isEqualTo(P1);
    assertThat(http.get("/api/v1/jobs/b-child").str("traceparent")).isEqualTo(P2);
    JsonNode plain = http.get("/api/v1/jobs/b-plain").body();
    assertThat(plain.has("traceparent")).isFalse();
    assertThat(plain.has("tracestate")).isFalse();
  }

  @Test
  void aScheduleCarriesItsContext() {
    var r =
        http.post(
            "/api/v1/schedules",
            """
        {"schedule_id":"traced-s","task":"t","cron":"0 0 1 1 *","traceparent":"%s"}"""
                .formatted(P2));
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    assertThat(http.get("/api/v1/schedules/traced-s").str("traceparent")).isEqualTo(P2);
  }

  @Test
  void aMalformedContextIsRefusedNamingTheFieldAndNothingIsStored() {
    JsonNode before = http.get("/api/v1/jobs?limit=500").body();
    String[][] cases = {
      {
        "/api/v1/jobs",
        "{\"task\":\"t\",\"traceparent\":\"" + P1.toUpperCase() + "\"}",
        "traceparent="
      },
      {"/api/v1/jobs", "{\"task\":\"t\",\"traceparent\":\" " + P1 + "\"}", "traceparent="},
      {
        "/api/v1/jobs",
        "{\"task\":\"t\",\"traceparent\":\"" + P1 + "\",\"tracestate\":\"Bad Key=1\"}",
        "tracestate="
      },
      {"/api/v1/jobs", "{\"task\":\"t\",\"tracestate\":\"a=1\"}", "without a traceparent"},
      {
        "/api/v1/jobs:batch",
        "{\"jobs\":[{\"task\":\"t\"},{\"task\":\"t\"," + "\"traceparent\":\"00-1-2-3\"}]}",
        "jobs[1]: traceparent=\"00-1-2-3\""
      },
      {
        "/api/v1/schedules",
        "{\"task\":\"t\",\"cron\":\"* * * * *\",\"traceparent\":\"x\"}",
        "traceparent=\"x\""
      }
    };
    for (String[] c : cases) {
      var r = http.post(c[0], c[1]);
      assertThat(r.status()).as(c[1] + " -> " + r.text()).isEqualTo(400);
      assertThat(r.str("code")).isEqualTo("INVALID_ARGUMENT");
      assertThat(r.str("detail")).contains(c[2]).contains("nothing was applied");
    }
    assertThat(http.get("/api/v1/jobs?limit=500").body()).isEqualTo(before);
    assertThat(http.get("/api/v1/schedules").text()).doesNotContain("\"x\"");
  }

  private static JsonNode lease() {
    var r =
        http.post(
            "/api/v1/lease",
            """
        {"worker_id":"tw","max":1,"queues":["trace-q"],"wait_ms":5000}""");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().path("assignments")).as(r.text()).hasSize(1);
    return r.body().path("assignments").get(0);
  }
}
