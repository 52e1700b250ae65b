package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.wal.FsyncPolicy;
import io.helidon.webserver.http.HttpRouting;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The API's JSON is strict on every route: a body that is JSON null, a value of the wrong type, a
 * body that is not declared JSON, or a known path with the wrong method is a specific 4xx that
 * changes nothing, never a 500 and never a silent coercion.
 */
class StrictInputTest {
  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.NeverUnsafeForTests()));

  static final HttpTestClient http = server.http();

  @BeforeAll
  static void start() throws Exception {
    // READY, not leased: nothing here may change by itself while the tests run.
    assertThat(http.post("/api/v1/jobs", "{\"job_id\":\"parent\",\"task\":\"t\"}").status())
        .isEqualTo(201);
  }

  /** Every POST and PUT route the API registers, with its parameters filled in. */
  static List<String[]> writeRoutes() {
    var api = new Api(null, null, Limits.DEFAULTS, Auth.none(), null, null, () -> 0);
    api.routes(HttpRouting.builder());
    List<String[]> out = new ArrayList<>();
    for (String route : api.routeTable()) {
      String[] parts = route.split(" ", 2);
      if (parts[0].equals("POST") || parts[0].equals("PUT")) {
        out.add(new String[] {parts[0], parts[1].replaceAll("\\{[a-z]+}", "parent")});
      }
    }
    assertThat(out).as("the route table").hasSizeGreaterThan(15);
    return out;
  }

  private static HttpTestClient.Reply send(
      String method, String path, String contentType, byte[] body) {
    var b = http.builder(path).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b);
  }

  @Test
  void aNullBodyIsRefusedWith400OnEveryPostAndPutRoute() {
    JsonNode before = state();
    for (String[] route : writeRoutes()) {
      var r = send(route[0], route[1], "application/json", "null".getBytes());
      assertThat(r.status()).as("%s %s: %s", route[0], route[1], r.text()).isEqualTo(400);
      assertThat(r.str("code")).as("%s %s", route[0], route[1]).isEqualTo("INVALID_TYPE");
      assertThat(r.str("detail")).contains("JSON null");
    }
    assertThat(state()).isEqualTo(before);
  }

  @Test
  void aBodyThatIsNotDeclaredJsonIsRefusedWith415OnEveryPostAndPutRoute() {
    JsonNode before = state();
    for (String contentType :
        new String[] {
          "text/plain",
          "application/x-www-form-urlencoded",
          null,
          "application/json; charset=ISO-8859-1",
          "application/jsonp"
        }) {
      for (String[] route : writeRoutes()) {
        var r = send(route[0], route[1], contentType, "{}".getBytes());
        String what = route[0] + " " + route[1] + " as " + contentType + ": " + r.text();
        assertThat(r.status()).as(what).isEqualTo(415);
        assertThat(r.str("code")).as(what).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
        assertThat(r.str("detail")).as(what).contains("Content-Type: application/json");
      }
    }
    assertThat(state()).isEqualTo(before);
  }

  @Test
  void jsonWithACharsetParameterAndEmptyBodiesOfAnyTypeAreAccepted() {
    var r =
        send(
            "POST",
            "/api/v1/jobs",
            "Application/JSON; charset=\"UTF-8\"",
            "{\"task\":\"t\",\"queue\":\"ct\"}".getBytes());
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    // An empty body needs no type where every field is optional (curl -XPOST without -d).
    assertThat(send("POST", "/api/v1/queues/ct/pause", null, new byte[0]).status()).isEqualTo(200);
    assertThat(send("POST", "/api/v1/queues/ct/resume", "text/plain", new byte[0]).status())
        .isEqualTo(200);
    assertThat(
            send("POST", "/api/v1/queues/ct/pause", "application/json", "{}".getBytes()).status())
        .isEqualTo(200);
  }

  @Test
  void aCallThatTakesNoFieldsRefusesFieldsInsteadOfIgnoringThem() {
    var r = http.post("/api/v1/queues/q/pause", "{\"paused\":false}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.str("code")).isEqualTo("UNKNOWN_FIELD");
    assertThat(r.str("detail")).contains("takes no fields");
    assertThat(http.post("/api/v1/workers/w1/heartbeat", "[]").str("code"))
        .isEqualTo("INVALID_TYPE");
  }

  static Stream<Arguments> wrongTypes() {
    return Stream.of(
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":42}", "task"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":true}", "task"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":1.5}", "task"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":[\"x\"]}", "task"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":{\"x\":1}}", "task"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"queue\":5}", "queue"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"job_id\":7}", "job_id"),
        Arguments.of(
            "POST", "/api/v1/jobs", "{\"task\":\"x\",\"idempotency_key\":7}", "idempotency_key"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"priority\":true}", "priority"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"priority\":\"\"}", "priority"),
        Arguments.of(
            "POST", "/api/v1/jobs", "{\"task\":\"x\",\"priority\":3000000000}", "priority"),
        Arguments.of(
            "POST", "/api/v1/jobs", "{\"task\":\"x\",\"max_attempts\":\"3\"}", "max_attempts"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"delay_ms\":1e3}", "delay_ms"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"depends_on\":\"a\"}", "depends_on"),
        Arguments.of(
            "POST", "/api/v1/jobs", "{\"task\":\"x\",\"depends_on\":[1]}", "depends_on[0]"),
        Arguments.of("POST", "/api/v1/jobs", "{\"task\":\"x\",\"cron\":5}", "cron"),
        Arguments.of(
            "POST",
            "/api/v1/jobs",
            "{\"task\":\"x\",\"cron\":\"* * * * *\"," + "\"overlap\":true}",
            "overlap"),
        Arguments.of(
            "POST",
            "/api/v1/schedules",
            "{\"task\":\"x\",\"cron\":\"* * * * *\"," + "\"time_zone\":0}",
            "time_zone"),
        Arguments.of("POST", "/api/v1/jobs:batch", "{\"jobs\":{}}", "jobs"),
        Arguments.of("POST", "/api/v1/jobs:batch", "{\"jobs\":[5]}", "jobs[0]"),
        Arguments.of("POST", "/api/v1/jobs:batch", "{\"jobs\":[{\"task\":false}]}", "jobs[0].task"),
        Arguments.of("POST", "/api/v1/lease", "{\"worker_id\":5}", "worker_id"),
        Arguments.of("POST", "/api/v1/lease", "{\"worker_id\":\"w\",\"queues\":\"q\"}", "queues"),
        Arguments.of("POST", "/api/v1/lease", "{\"worker_id\":\"w\",\"queues\":[5]}", "queues[0]"),
        Arguments.of("POST", "/api/v1/lease", "{\"worker_id\":\"w\",\"max\":\"2\"}", "max"),
        Arguments.of(
            "POST",
            "/api/v1/jobs/parent/fail",
            "{\"worker_id\":\"w1\"," + "\"generation\":1,\"retryable\":1}",
            "retryable"),
        Arguments.of(
            "POST",
            "/api/v1/jobs/parent/fail",
            "{\"worker_id\":\"w1\"," + "\"generation\":1,\"retryable\":\"false\"}",
            "retryable"),
        Arguments.of(
            "POST",
            "/api/v1/jobs/parent/fail",
            "{\"worker_id\":\"w1\"," + "\"generation\":1,\"error\":404}",
            "error"),
        Arguments.of(
            "POST",
            "/api/v1/jobs/parent/complete",
            "{\"worker_id\":true," + "\"generation\":1}",
            "worker_id"),
        Arguments.of(
            "POST",
            "/api/v1/jobs/parent/complete",
            "{\"worker_id\":\"w1\"," + "\"generation\":\"1\"}",
            "generation"),
        Arguments.of(
            "POST",
            "/api/v1/jobs:complete",
            "{\"worker_id\":\"w1\",\"completions\":" + "[{\"job_id\":7,\"generation\":1}]}",
            "completions[0].job_id"),
        Arguments.of("POST", "/api/v1/jobs/parent/cancel", "{\"reason\":5}", "reason"),
        Arguments.of(
            "POST", "/api/v1/workers", "{\"worker_id\":\"w\",\"capacity\":\"2\"}", "capacity"),
        Arguments.of(
            "POST", "/api/v1/workers", "{\"worker_id\":\"w\",\"queues\":[true]}", "queues[0]"),
        Arguments.of("PUT", "/api/v1/queues/q/limits", "{\"max_running\":\"4\"}", "max_running"),
        Arguments.of("PUT", "/api/v1/tasks/t/limits", "{\"max_running\":4.0}", "max_running"));
  }

  @ParameterizedTest(name = "{0} {1} {2} -> INVALID_TYPE {3}")
  @MethodSource("wrongTypes")
  void aValueOfTheWrongTypeIsRefusedNamingTheFieldNeverCoerced(
      String method, String path, String body, String field) {
    JsonNode before = state();
    var r = send(method, path, "application/json", body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(r.text()).isEqualTo(400);
    assertThat(r.str("code")).as(r.text()).isEqualTo("INVALID_TYPE");
    assertThat(r.str("detail")).contains("\"" + field + "\"");
    assertThat(state()).isEqualTo(before);
  }

  @Test
  void invalidUtf8NestingBeyondTheLimitAndNestedDuplicateKeysAreMalformedJson() {
    // Nesting within the limit is any payload's right.
    String ok = "[".repeat(Http.JSON_DEPTH_MAX - 1) + "]".repeat(Http.JSON_DEPTH_MAX - 1);
    assertThat(
            http.post("/api/v1/jobs", "{\"task\":\"t\",\"queue\":\"deep\",\"payload\":" + ok + "}")
                .status())
        .isEqualTo(201);
    JsonNode before = state();
    byte[] badUtf8 = "{\"task\":\"t\",\"payload\":\"a\u00ff\"}".getBytes(StandardCharsets.UTF_8);
    badUtf8[badUtf8.length - 4] = (byte) 0xff; // a byte that starts no UTF-8 sequence
    String deep = "[".repeat(Http.JSON_DEPTH_MAX + 1) + "]".repeat(Http.JSON_DEPTH_MAX + 1);
    List<byte[]> bodies =
        List.of(
            badUtf8,
            new byte[] {'{', '"', 't', 'a', 's', 'k', '"', ':', '"', (byte) 0xc3, '"', '}'},
            ("{\"task\":\"t\",\"payload\":" + deep + "}").getBytes(StandardCharsets.UTF_8),
            "{\"jobs\":[{\"task\":\"t\",\"task\":\"u\"}]}".getBytes(StandardCharsets.UTF_8));
    for (byte[] body : bodies) {
      String path =
          new String(body, StandardCharsets.UTF_8).startsWith("{\"jobs\"")
              ? "/api/v1/jobs:batch"
              : "/api/v1/jobs";
      var r = send("POST", path, "application/json", body);
      assertThat(r.status()).as(r.text()).isEqualTo(400);
      assertThat(r.str("code")).as(r.text()).isEqualTo("MALFORMED_JSON");
    }
    String depth =
        send(
                "POST",
                "/api/v1/jobs",
                "application/json",
                ("{\"task\":\"t\",\"payload\":" + deep + "}").getBytes())
            .str("detail");
    assertThat(depth).contains(Integer.toString(Http.JSON_DEPTH_MAX));
    assertThat(state()).isEqualTo(before);
  }

  @Test
  void aKnownPathWithAnotherMethodAnswers405WithAllow() {
    record Case(String method, String path, String allow) {}
    for (var c :
        List.of(
            new Case("GET", "/api/v1/lease", "POST"),
            new Case("DELETE", "/api/v1/jobs", "POST, GET"),
            new Case("PUT", "/api/v1/jobs/parent", "GET"),
            new Case("GET", "/api/v1/jobs/parent/cancel", "POST"),
            new Case("PATCH", "/api/v1/schedules/s1", "GET, DELETE"),
            new Case("POST", "/api/v1/queues/q/limits", "PUT"),
            new Case("POST", "/healthz", "GET"))) {
      var r = send(c.method(), c.path(), "application/json", "{}".getBytes());
      assertThat(r.status()).as("%s %s: %s", c.method(), c.path(), r.text()).isEqualTo(405);
      assertThat(r.str("code")).isEqualTo("METHOD_NOT_ALLOWED");
      assertThat(r.raw().headers().firstValue("Allow")).as(c.path()).hasValue(c.allow());
      assertThat(r.str("detail")).contains(c.allow());
    }
    assertThat(http.get("/api/v1/no/such/route").str("code")).isEqualTo("NOT_FOUND");
    assertThat(http.get("/api/v1/jobs/a/b").status()).isEqualTo(404);
  }

  @Test
  void idsFromTheAlphabetCanBeAddressedAgainAndOthersAreRefusedNamingTheRule() {
    for (String id :
        List.of("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "a:b@c~d_e.f", "x".repeat(200))) {
      var r =
          http.post(
              "/api/v1/jobs", "{\"job_id\":\"" + id + "\",\"task\":\"t\"," + "\"queue\":\"ids\"}");
      assertThat(r.status()).as(r.text()).isEqualTo(201);
      assertThat(http.get("/api/v1/jobs/" + id).str("job_id")).isEqualTo(id);
      assertThat(http.post("/api/v1/jobs/" + id + "/cancel", "").str("state"))
          .isEqualTo("CANCELLED");
    }
    JsonNode before = state();
    List<String[]> bad =
        List.of(
            new String[] {"/api/v1/jobs", "{\"job_id\":\"a/b\",\"task\":\"t\"}", "job_id"},
            new String[] {"/api/v1/jobs", "{\"job_id\":\"a\\u0007\",\"task\":\"t\"}", "job_id"},
            new String[] {
              "/api/v1/jobs", "{\"job_id\":\"" + "x".repeat(201) + "\",\"task\":\"t\"}", "job_id"
            },
            new String[] {"/api/v1/jobs", "{\"job_id\":\"..\",\"task\":\"t\"}", "job_id"},
            new String[] {"/api/v1/jobs", "{\"task\":\"send email\"}", "task"},
            new String[] {"/api/v1/jobs", "{\"task\":\"t\",\"queue\":\"a?b\"}", "queue"},
            new String[] {
              "/api/v1/jobs", "{\"task\":\"t\",\"idempotency_key\":\"k\\n\"}", "idempotency_key"
            },
            new String[] {
              "/api/v1/jobs",
              "{\"task\":\"t\",\"cron\":\"* * * * *\"," + "\"schedule_id\":\"s#1\"}",
              "schedule_id"
            },
            new String[] {
              "/api/v1/jobs:batch",
              "{\"jobs\":[{\"task\":\"t\"},{\"job_id\":\"q%2F\"," + "\"task\":\"t\"}]}",
              "job_id"
            },
            new String[] {"/api/v1/workers", "{\"worker_id\":\"w/1\"}", "worker_id"},
            new String[] {
              "/api/v1/lease", "{\"worker_id\":\"w\",\"queues\":[\"a b\"]}", "queues[0]"
            });
    for (String[] c : bad) {
      var r = http.post(c[0], c[1]);
      assertThat(r.status()).as("%s %s: %s", c[0], c[1], r.text()).isEqualTo(400);
      assertThat(r.str("code")).isEqualTo("INVALID_ARGUMENT");
      assertThat(r.str("detail"))
          .as(c[1])
          .contains(c[2])
          .contains(
              c[2].equals("idempotency_key")
                  ? "without control characters"
                  : "A-Z a-z 0-9 - _ . : @ ~");
    }
    var task = http.put("/api/v1/tasks/caf%C3%A9/limits", "{\"max_running\":1}");
    assertThat(task.status()).as(task.text()).isEqualTo(400);
    assertThat(task.str("detail")).contains("task").contains("U+00E9");
    assertThat(state()).isEqualTo(before);
  }

  /** Everything a refused request could have changed: counts by state and the parent job. */
  private static JsonNode state() {
    var s = (ObjectNode) http.get("/api/v1/stats").body();
    s.remove("next_wakeup_at");
    s.set("parent", http.get("/api/v1/jobs/parent").body());
    s.set("queues", http.get("/api/v1/queues").body());
    s.set("workers", http.get("/api/v1/workers").body());
    return s;
  }
}
