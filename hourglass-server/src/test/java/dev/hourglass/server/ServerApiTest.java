package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.wal.FsyncPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The API over real HTTP on 127.0.0.1 against one server with the durable log (fsync always). */
class ServerApiTest {
  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.Always()));

  static final HttpTestClient http = server.http();
  static final AtomicInteger QUEUES = new AtomicInteger();

  /** Each test uses its own queue so that leases never pick another test's jobs. */
  static String freshQueue() {
    return "q" + QUEUES.incrementAndGet();
  }

  static String submit(String queue, String extra) {
    var r =
        http.post(
            "/api/v1/jobs",
            "{\"task\":\"echo\",\"queue\":\""
                + queue
                + "\","
                + "\"payload\":{\"n\":1}"
                + extra
                + "}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.str("job_id");
  }

  static JsonNode lease(String worker, String queue, int max, long waitMs) {
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + ",\"wait_ms\":"
                + waitMs
                + ",\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return r.body().get("assignments");
  }

  @Test
  void jobRunsThroughItsWholeLifecycleOverHttp() {
    String q = freshQueue();
    String id = submit(q, ",\"priority\":5,\"max_attempts\":2,\"backoff_ms\":0");
    assertThat(http.get("/api/v1/jobs/" + id).str("state")).isEqualTo("READY");

    JsonNode a = lease("w-life", q, 10, 0);
    assertThat(a).hasSize(1);
    assertThat(a.get(0).get("payload").get("n").asInt()).isEqualTo(1);
    assertThat(a.get(0).get("generation").asInt()).isEqualTo(1);
    var hb =
        http.post(
            "/api/v1/jobs/" + id + "/heartbeat", "{\"worker_id\":\"w-life\",\"generation\":1}");
    assertThat(hb.status()).as(hb.text()).isEqualTo(200);
    var failed =
        http.post(
            "/api/v1/jobs/" + id + "/fail",
            "{\"worker_id\":\"w-life\",\"generation\":1,\"error\":\"boom\"}");
    assertThat(failed.status()).as(failed.text()).isEqualTo(200);

    JsonNode again = lease("w-life", q, 1, 2_000);
    assertThat(again.get(0).get("generation").asInt()).isEqualTo(2);
    var done =
        http.post(
            "/api/v1/jobs/" + id + "/complete",
            "{\"worker_id\":\"w-life\",\"generation\":2,\"result\":{\"ok\":true}}");
    assertThat(done.str("state")).isEqualTo("SUCCEEDED");

    JsonNode job = http.get("/api/v1/jobs/" + id).body();
    assertThat(job.get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(job.get("result").get("ok").asBoolean()).isTrue();
    assertThat(job.get("attempts")).hasSize(2);
    assertThat(job.get("attempts").get(0).get("error").asText()).isEqualTo("boom");
    assertThat(job.get("attempts").get(1).get("worker_id").asText()).isEqualTo("w-life");
    var listed = http.get("/api/v1/jobs?queue=" + q + "&state=SUCCEEDED").body();
    assertThat(listed.get("jobs")).hasSize(1);
  }

  @Test
  void parkedLongPollWakesWithinMillisecondsOfASubmit() throws Exception {
    String q = freshQueue();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int round = 0; round < 5; round++) {
        int parkedBefore = http.get("/api/v1/stats").body().get("parked_long_polls").asInt();
        var poll =
            CompletableFuture.supplyAsync(
                () -> {
                  JsonNode a = lease("w-poll", q, 1, 10_000);
                  return new Object[] {a, System.nanoTime()};
                },
                pool);
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () ->
                    http.get("/api/v1/stats").body().get("parked_long_polls").asInt()
                        > parkedBefore);
        long sent = System.nanoTime();
        String id = submit(q, "");
        Object[] got = poll.get();
        double millis = ((long) got[1] - sent) / 1e6;
        System.out.printf(
            "long poll woke %.2f ms after the submit was sent (round %d)%n", millis, round);
        assertThat(((JsonNode) got[0]).get(0).get("job_id").asText()).isEqualTo(id);
        assertThat(millis).isLessThan(500);
        http.post(
            "/api/v1/jobs/" + id + "/complete", "{\"worker_id\":\"w-poll\",\"generation\":1}");
      }
    }
  }

  @Test
  void delayedJobBecomesLeasableOnTimeWithoutClientCalls() {
    String q = freshQueue();
    long runAt = System.currentTimeMillis() + 400;
    String id = submit(q, ",\"run_at\":" + runAt);
    assertThat(http.get("/api/v1/jobs/" + id).str("state")).isEqualTo("SCHEDULED");
    JsonNode a = lease("w-delay", q, 1, 5_000);
    long late = System.currentTimeMillis() - runAt;
    System.out.printf("delayed job delivered %d ms after its run_at%n", late);
    assertThat(a).hasSize(1);
    assertThat(late).isBetween(0L, 500L);
  }

  @Test
  void expiredLeaseIsReclaimedAndTheZombieIsRefused() {
    String q = freshQueue();
    String id = submit(q, ",\"backoff_ms\":0");
    assertThat(
            http.post(
                    "/api/v1/lease",
                    "{\"worker_id\":\"zombie\",\"max\":1,\"lease_ms\":200,"
                        + "\"queues\":[\""
                        + q
                        + "\"]}")
                .body()
                .get("assignments"))
        .hasSize(1);
    JsonNode second = lease("heir", q, 1, 5_000); // parked until the tick expires the lease
    assertThat(second.get(0).get("generation").asInt()).isEqualTo(2);

    var stale =
        http.post(
            "/api/v1/jobs/" + id + "/complete", "{\"worker_id\":\"zombie\",\"generation\":1}");
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.raw().headers().firstValue("Content-Type")).hasValue(Http.PROBLEM_JSON);
    assertThat(stale.str("code")).isEqualTo("STALE_GENERATION");
    assertThat(stale.str("detail")).contains("generation 1").contains("generation 2");
    var notHolder =
        http.post(
            "/api/v1/jobs/" + id + "/heartbeat", "{\"worker_id\":\"zombie\",\"generation\":2}");
    assertThat(notHolder.status()).isEqualTo(409);
    assertThat(notHolder.str("code")).isEqualTo("NOT_LEASE_HOLDER");
    assertThat(
            http.post(
                    "/api/v1/jobs/" + id + "/complete", "{\"worker_id\":\"heir\",\"generation\":2}")
                .str("state"))
        .isEqualTo("SUCCEEDED");
  }

  @Test
  void batchCompletionAnswersEachJobOnItsOwn() {
    String q = freshQueue();
    String a = submit(q, "");
    String b = submit(q, "");
    assertThat(lease("w-batch", q, 2, 0)).hasSize(2);
    var r =
        http.post(
            "/api/v1/jobs:complete",
            "{\"worker_id\":\"w-batch\",\"completions\":["
                + "{\"job_id\":\""
                + a
                + "\",\"generation\":1,\"result\":7},"
                + "{\"job_id\":\""
                + b
                + "\",\"generation\":9}]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().get("results").get(0).get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(r.body().get("results").get(1).get("code").asText()).isEqualTo("NOT_LEASE_HOLDER");
    assertThat(http.get("/api/v1/jobs/" + b).str("state")).isEqualTo("RUNNING");
  }

  @Test
  void emptyLongPollAnswersAtItsDeadline() {
    long start = System.nanoTime();
    assertThat(lease("w-empty", freshQueue(), 1, 300)).isEmpty();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(millis).isBetween(250L, 2_000L);
  }

  @Test
  void idempotencyKeyReturnsTheFirstJobWith200() {
    String q = freshQueue();
    String body = "{\"task\":\"t\",\"queue\":\"" + q + "\",\"idempotency_key\":\"key-" + q + "\"}";
    var first = http.post("/api/v1/jobs", body);
    var second = http.post("/api/v1/jobs", body);
    assertThat(first.status()).isEqualTo(201);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.str("job_id")).isEqualTo(first.str("job_id"));
    assertThat(second.body().get("deduplicated").asBoolean()).isTrue();
  }

  @Test
  void batchSubmitsADagInOrderAndChildrenWaitForParents() {
    String q = freshQueue();
    var r =
        http.post(
            "/api/v1/jobs:batch",
            "{\"jobs\":[{\"job_id\":\""
                + q
                + "-b\",\"task\":\"t\","
                + "\"queue\":\""
                + q
                + "\",\"depends_on\":[\""
                + q
                + "-a\"]},{\"job_id\":\""
                + q
                + "-a\","
                + "\"task\":\"t\",\"queue\":\""
                + q
                + "\"}]}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    assertThat(r.body().get("jobs").get(0).get("job_id").asText()).isEqualTo(q + "-b");
    assertThat(r.body().get("jobs").get(0).get("state").asText()).isEqualTo("PENDING");
    assertThat(r.body().get("jobs").get(1).get("state").asText()).isEqualTo("READY");
  }

  @Test
  void deadLetterIsListedAndRedriven() {
    String q = freshQueue();
    String id = submit(q, ",\"max_attempts\":1");
    lease("w-dead", q, 1, 0);
    http.post(
        "/api/v1/jobs/" + id + "/fail",
        "{\"worker_id\":\"w-dead\",\"generation\":1," + "\"error\":\"fatal\",\"retryable\":false}");
    var dlq = http.get("/api/v1/dlq?limit=1000").body().get("jobs");
    assertThat(dlq.findValuesAsText("job_id")).contains(id);
    assertThat(http.post("/api/v1/dlq/" + id + "/redrive", "").str("state")).isEqualTo("READY");
    assertThat(http.post("/api/v1/jobs/" + id + "/cancel", "{\"reason\":\"no\"}").str("state"))
        .isEqualTo("CANCELLED");
  }

  @Test
  void schedulesQueuesAndWorkersAreManagedOverHttp() {
    String q = freshQueue();
    var s =
        http.post(
            "/api/v1/jobs",
            "{\"task\":\"report\",\"queue\":\""
                + q
                + "\",\"cron\":"
                + "\"0 3 * * *\",\"time_zone\":\"Europe/Berlin\",\"schedule_id\":\"nightly-"
                + q
                + "\"}");
    assertThat(s.status()).as(s.text()).isEqualTo(201);
    assertThat(s.body().get("next_fire_at").asLong()).isGreaterThan(System.currentTimeMillis());
    assertThat(
            http.post("/api/v1/schedules/nightly-" + q + "/pause", "")
                .body()
                .get("paused")
                .asBoolean())
        .isTrue();
    assertThat(
            http.post("/api/v1/schedules/nightly-" + q + "/resume", "")
                .body()
                .get("paused")
                .asBoolean())
        .isFalse();
    assertThat(
            http.get("/api/v1/schedules").body().get("schedules").findValuesAsText("schedule_id"))
        .contains("nightly-" + q);
    assertThat(http.delete("/api/v1/schedules/nightly-" + q).status()).isEqualTo(200);
    assertThat(http.get("/api/v1/schedules/nightly-" + q).status()).isEqualTo(404);

    submit(q, "");
    assertThat(http.post("/api/v1/queues/" + q + "/pause", "").body().get("paused").asBoolean())
        .isTrue();
    assertThat(lease("w-q", q, 1, 0)).isEmpty();
    assertThat(
            http.put("/api/v1/queues/" + q + "/limits", "{\"max_running\":3}")
                .body()
                .get("max_running")
                .asInt())
        .isEqualTo(3);
    http.post("/api/v1/queues/" + q + "/resume", "");
    assertThat(lease("w-q", q, 1, 0)).hasSize(1);

    var w =
        http.post(
            "/api/v1/workers",
            "{\"worker_id\":\"w-reg\",\"capacity\":4," + "\"queues\":[\"" + q + "\"]}");
    assertThat(w.status()).as(w.text()).isEqualTo(201);
    assertThat(http.get("/api/v1/workers").body().get("workers").findValuesAsText("worker_id"))
        .contains("w-reg");
    assertThat(http.post("/api/v1/workers/w-reg/heartbeat", "").body().get("alive").asBoolean())
        .isTrue();
    assertThat(http.delete("/api/v1/workers/w-reg").status()).isEqualTo(200);
    assertThat(http.get("/api/v1/queues").body().get("queues").findValuesAsText("queue"))
        .contains(q);
  }

  @Test
  void healthReadinessAndMetricsAnswer() {
    assertThat(http.get("/healthz").status()).isEqualTo(200);
    assertThat(http.get("/readyz").status()).isEqualTo(200);
    submit(freshQueue(), "");
    var m = http.get("/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.text())
        .contains(
            "hourglass_queue_ready{",
            "hourglass_jobs_submitted_total",
            "hourglass_log_batch_seconds_bucket",
            "hourglass_job_wait_seconds",
            "hourglass_workers_alive",
            "hourglass_leases_lost_total");
  }
}
