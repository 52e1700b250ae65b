package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Task types over HTTP: a lease and a worker registration name the task types a worker can run; the
 * workers listing shows them; READY jobs no live worker can run show in the queues listing, the
 * stats and the {@code hourglass_jobs_unrunnable} gauge. Each test has its own server, since "no
 * live worker can run it" depends on every worker the server knows.
 */
class TaskFilterHttpTest {
  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withBind("127.0.0.1"));

  final HttpTestClient http = server.http();

  String submit(String queue, String task) {
    var r =
        http.post(
            "/api/v1/jobs",
            "{\"task\":\"" + task + "\",\"queue\":\"" + queue + "\",\"payload\":{}}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.str("job_id");
  }

  HttpTestClient.Reply register(String worker, String tasksJson) {
    return http.post(
        "/api/v1/workers",
        "{\"worker_id\":\""
            + worker
            + "\",\"capacity\":4"
            + (tasksJson == null ? "" : ",\"tasks\":" + tasksJson)
            + ",\"heartbeat_timeout_ms\":"
            + "600000}");
  }

  JsonNode queue(String name) {
    for (JsonNode q : http.get("/api/v1/queues").body().get("queues")) {
      if (q.get("queue").asText().equals(name)) {
        return q;
      }
    }
    throw new AssertionError("no queue " + name);
  }

  List<String> unrunnableMetricLines() {
    List<String> out = new ArrayList<>();
    for (String line : http.get("/metrics").text().split("\n")) {
      if (line.startsWith("hourglass_jobs_unrunnable{")) {
        out.add(line);
      }
    }
    return out;
  }

  @Test
  void aLeaseNamingTasksGetsOnlyThoseAndTheOtherJobStaysReady() {
    String email = submit("q", "send-email");
    String resize = submit("q", "resize-image");
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\"mailer\",\"max\":10,\"tasks\":" + "[\"send-email\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().get("assignments")).hasSize(1);
    assertThat(r.body().get("assignments").get(0).get("job_id").asText()).isEqualTo(email);
    assertThat(http.get("/api/v1/jobs/" + resize).str("state")).isEqualTo("READY");
  }

  @Test
  void registeredTasksAreListedWithTheWorkerAndUsedByItsLeases() {
    var reg = register("mailer", "[\"send-email\",\"send-sms\"]");
    assertThat(reg.status()).as(reg.text()).isEqualTo(201);
    assertThat(reg.body().get("tasks").toString()).isEqualTo("[\"send-email\",\"send-sms\"]");
    assertThat(register("any", null).status()).isEqualTo(201);

    JsonNode workers = http.get("/api/v1/workers").body().get("workers");
    assertThat(workers).hasSize(2); // listed by worker id
    assertThat(workers.get(0).get("worker_id").asText()).isEqualTo("any");
    assertThat(workers.get(0).get("tasks").toString()).isEqualTo("[]");
    assertThat(workers.get(1).get("worker_id").asText()).isEqualTo("mailer");
    assertThat(workers.get(1).get("tasks").toString()).isEqualTo("[\"send-email\",\"send-sms\"]");

    submit("q", "resize-image");
    var r = http.post("/api/v1/lease", "{\"worker_id\":\"mailer\",\"max\":4}");
    assertThat(r.body().get("assignments"))
        .as("registered tasks filter a lease without tasks")
        .isEmpty();
  }

  @Test
  void jobsNoLiveWorkerCanRunAreShownUntilAWorkerThatCanAppears() {
    assertThat(register("mailer", "[\"send-email\"]").status()).isEqualTo(201);
    submit("images", "resize-image");
    submit("images", "resize-image");
    submit("images", "send-email");

    assertThat(queue("images").get("unrunnable").toString()).isEqualTo("{\"resize-image\":2}");
    assertThat(http.get("/api/v1/stats").body().get("unrunnable").asLong()).isEqualTo(2);
    assertThat(unrunnableMetricLines())
        .containsExactly("hourglass_jobs_unrunnable{task=\"resize-image\"} 2.0");

    assertThat(register("resizer", "[\"resize-image\"]").status()).isEqualTo(201);
    assertThat(queue("images").get("unrunnable").toString()).isEqualTo("{}");
    assertThat(http.get("/api/v1/stats").body().get("unrunnable").asLong()).isZero();
    assertThat(unrunnableMetricLines()).isEmpty();
  }

  @Test
  void theUnrunnableGaugeKeepsItsSeriesBounded() {
    assertThat(register("mailer", "[\"send-email\"]").status()).isEqualTo(201);
    int tasks = ServerMetrics.UNRUNNABLE_TASK_SERIES_MAX + 5;
    for (int i = 0; i < tasks; i++) {
      submit("q", "task-" + i);
    }
    List<String> lines = unrunnableMetricLines();
    assertThat(lines).hasSize(ServerMetrics.UNRUNNABLE_TASK_SERIES_MAX + 1);
    assertThat(lines).contains("hourglass_jobs_unrunnable{task=\"other\"} 5.0");
  }

  @Test
  void badTaskListsAreRefusedWithACodeAndChangeNothing() {
    for (String tasks : List.of("[\"\"]", "[null]", "[\"" + "x".repeat(300) + "\"]")) {
      var lease = http.post("/api/v1/lease", "{\"worker_id\":\"w\",\"tasks\":" + tasks + "}");
      assertThat(lease.status()).as(lease.text()).isEqualTo(400);
      assertThat(lease.str("code")).isEqualTo("INVALID_ARGUMENT");
      var reg = register("w", tasks);
      assertThat(reg.status()).as(reg.text()).isEqualTo(400);
      assertThat(reg.str("code")).isEqualTo("INVALID_ARGUMENT");
    }
    assertThat(http.get("/api/v1/workers").body().get("workers")).isEmpty();
  }
}
