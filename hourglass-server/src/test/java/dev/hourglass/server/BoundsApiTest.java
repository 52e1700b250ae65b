package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Retry jitter, worker paging and retention, and idle queues, over HTTP on 127.0.0.1. */
class BoundsApiTest {
  @TempDir static Path dir;

  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(
          o ->
              o.withFsync(new FsyncPolicy.NeverUnsafeForTests())
                  .withEngine(EngineConfig.DEFAULTS.withWorkerRetentionMillis(0)));

  static final HttpTestClient http = server.http();

  /** Submits jobs, fails each once, and answers each retry's delay (due time - failure time). */
  static List<Long> firstRetryDelays(String queue, String extra, int jobs) {
    for (int i = 0; i < jobs; i++) {
      var r =
          http.post(
              "/api/v1/jobs",
              "{\"task\":\"t\",\"queue\":\"" + queue + "\"," + "\"backoff_ms\":1000" + extra + "}");
      assertThat(r.status()).as(r.text()).isEqualTo(201);
    }
    var leased =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\"w-"
                + queue
                + "\",\"max\":"
                + jobs
                + ",\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(leased.status()).as(leased.text()).isEqualTo(200);
    JsonNode assignments = leased.body().get("assignments");
    assertThat(assignments).hasSize(jobs);
    List<Long> delays = new ArrayList<>();
    for (JsonNode a : assignments) {
      String id = a.get("job_id").asText();
      var failed =
          http.post(
              "/api/v1/jobs/" + id + "/fail",
              "{\"worker_id\":\"w-" + queue + "\",\"generation\":1,\"error\":\"down\"}");
      assertThat(failed.status()).as(failed.text()).isEqualTo(200);
      assertThat(failed.str("state")).as("scheduled for a retry").isEqualTo("FAILED");
      JsonNode job = http.get("/api/v1/jobs/" + id).body();
      // A jittered delay is drawn from 0 up, so it can be shorter than the time to this read: the
      // retry may already be due and READY again. Its due time is what is measured either way.
      assertThat(job.get("state").asText()).isIn("FAILED", "READY");
      long endedAt = job.get("attempts").get(0).get("ended_at").asLong();
      delays.add(job.get("due_at").asLong() - endedAt);
    }
    return delays;
  }

  @Test
  void retryJitterIsOnByDefaultAndDrawsFromZeroToTheExponentialDelay() {
    List<Long> jittered = firstRetryDelays("jitter-default", "", 20);
    assertThat(jittered).allSatisfy(d -> assertThat(d).isBetween(0L, 2_000L));
    assertThat(new HashSet<>(jittered)).hasSizeGreaterThan(10);
    assertThat(firstRetryDelays("jitter-on", ",\"backoff_jitter\":true", 5))
        .allSatisfy(d -> assertThat(d).isBetween(0L, 2_000L));
    assertThat(firstRetryDelays("jitter-off", ",\"backoff_jitter\":false", 5)).containsOnly(2_000L);
  }

  @Test
  void aBackoffJitterThatIsNotABooleanIsRefused() {
    var r = http.post("/api/v1/jobs", "{\"task\":\"t\",\"backoff_jitter\":\"often\"}");
    assertThat(r.status()).as(r.text()).isEqualTo(400);
    assertThat(r.str("code")).isEqualTo("INVALID_TYPE");
  }

  @Test
  void workersAreListedInPagesByIdAndTheLimitIsChecked() {
    for (int i = 24; i >= 0; i--) {
      var r =
          http.post(
              "/api/v1/workers",
              "{\"worker_id\":\"page-"
                  + String.format("%02d", i)
                  + "\",\"heartbeat_timeout_ms\":600000}");
      assertThat(r.status()).as(r.text()).isEqualTo(201);
    }
    List<String> seen = new ArrayList<>();
    String cursor = "page-"; // every id here starts with it, and sorts after it
    for (int pages = 0; cursor != null; pages++) {
      assertThat(pages).isLessThan(3);
      var r = http.get("/api/v1/workers?limit=10&cursor=" + cursor);
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      r.body().get("workers").forEach(w -> seen.add(w.get("worker_id").asText()));
      JsonNode next = r.body().get("next_cursor");
      cursor = next == null || next.isNull() ? null : next.asText();
    }
    assertThat(seen.stream().filter(id -> id.startsWith("page-")).toList()).hasSize(25).isSorted();
    for (String bad : List.of("0", "1001", "ten")) {
      var r = http.get("/api/v1/workers?limit=" + bad);
      assertThat(r.status()).as(r.text()).isEqualTo(400);
      assertThat(r.str("code")).isEqualTo("INVALID_ARGUMENT");
    }
  }

  @Test
  void aDeadWorkerIsForgottenAfterTheRetention() {
    var r =
        http.post(
            "/api/v1/workers", "{\"worker_id\":\"short-lived\"," + "\"heartbeat_timeout_ms\":1}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    // Retention 0 on this server: the worker goes when it dies, a millisecond later.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> workerIds().stream().noneMatch("short-lived"::equals));
    assertThat(http.post("/api/v1/workers/short-lived/heartbeat", "").status()).isEqualTo(404);
  }

  static Set<String> workerIds() {
    return new HashSet<>(
        http.get("/api/v1/workers?limit=1000").body().get("workers").findValuesAsText("worker_id"));
  }

  @Test
  void settingsOfAnIdleQueueAnswerWithItsDefaultsOnceItIsDropped() {
    var paused = http.post("/api/v1/queues/idle-q/pause", "");
    assertThat(paused.status()).as(paused.text()).isEqualTo(200);
    assertThat(http.get("/api/v1/queues").body().get("queues").findValuesAsText("queue"))
        .contains("idle-q");
    var resumed = http.post("/api/v1/queues/idle-q/resume", "");
    assertThat(resumed.status()).as(resumed.text()).isEqualTo(200);
    assertThat(resumed.body().get("paused").asBoolean()).isFalse();
    assertThat(http.get("/api/v1/queues").body().get("queues").findValuesAsText("queue"))
        .doesNotContain("idle-q");
    var unlimited = http.put("/api/v1/queues/other-idle-q/limits", "{\"max_running\":0}");
    assertThat(unlimited.status()).as(unlimited.text()).isEqualTo(200);
    assertThat(unlimited.body().get("max_running").asInt()).isZero();
  }

  @Test
  void theServerTakesWorkerRetentionAndMisfireThresholdAsDurations() throws Exception {
    var options =
        ServerMain.parse(
                new String[] {
                  "--data-dir", "d", "--worker-retention", "90s", "--misfire-threshold", "0"
                },
                null)
            .options();
    assertThat(options.engine().workerRetentionMillis()).isEqualTo(90_000);
    assertThat(options.engine().misfireThresholdMillis()).isZero();
    assertThat(ServerMain.parse(new String[] {"--data-dir", "d"}, null).options().engine())
        .isEqualTo(EngineConfig.DEFAULTS);
    assertThat(ServerMain.millis("--x", "2h")).isEqualTo(7_200_000);
    assertThatThrownBy(
            () ->
                ServerMain.parse(
                    new String[] {"--data-dir", "d", "--worker-retention", "-1s"}, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--worker-retention");
  }
}
