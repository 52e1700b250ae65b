package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.wal.FsyncPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cancels and timeouts as the lease holder sees them over HTTP (409 CANCELLED / TIMED_OUT, and the
 * signal poll), and a re-drive that resumes a pipeline.
 */
class CancelSignalsTest {
  /** Generous for a loaded machine; the point is "long before the poll's 30 s wait". */
  private static final Duration PROMPTLY = Duration.ofSeconds(10);

  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.NeverUnsafeForTests()));

  static final HttpTestClient http = server.http();
  static final AtomicInteger QUEUES = new AtomicInteger();

  static String freshQueue() {
    return "cq" + QUEUES.incrementAndGet();
  }

  static String submit(String queue, String extra) {
    var r = http.post("/api/v1/jobs", "{\"task\":\"t\",\"queue\":\"" + queue + "\"" + extra + "}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.str("job_id");
  }

  /** Leases the one job of the queue; returns its generation. */
  static int leaseOne(String worker, String queue, String jobId) {
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"wait_ms\":5000,"
                + "\"lease_ms\":60000,\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode a = r.body().get("assignments");
    assertThat(a).hasSize(1);
    assertThat(a.get(0).get("job_id").asText()).isEqualTo(jobId);
    return a.get(0).get("generation").asInt();
  }

  static HttpTestClient.Reply report(String jobId, String op, String worker, int generation) {
    return http.post(
        "/api/v1/jobs/" + jobId + "/" + op,
        "{\"worker_id\":\"" + worker + "\",\"generation\":" + generation + "}");
  }

  static HttpTestClient.Reply signals(String worker, String leasesJson, long waitMs) {
    return http.post(
        "/api/v1/workers/" + worker + "/signals",
        "{\"leases\":" + leasesJson + ",\"wait_ms\":" + waitMs + "}");
  }

  /** Waits until the poll is registered (so what follows is news to it), and still waiting. */
  static void awaitParked(CompletableFuture<HttpTestClient.Reply> poll) {
    await()
        .atMost(PROMPTLY)
        .until(() -> http.get("/api/v1/stats").body().get("parked_signal_polls").asInt() == 1);
    assertThat(poll).isNotDone();
  }

  @Test
  void theHolderOfACancelledJobGets409CancelledOnHeartbeatAndReportsOthersAsBefore() {
    String q = freshQueue();
    String id = submit(q, "");
    int gen = leaseOne("w-c", q, id);
    var cancel = http.post("/api/v1/jobs/" + id + "/cancel", "{\"reason\":\"customer left\"}");
    assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
    for (String op : new String[] {"heartbeat", "complete", "fail", "release"}) {
      var r = report(id, op, "w-c", gen);
      assertThat(r.status()).as(op + ": " + r.text()).isEqualTo(409);
      assertThat(r.str("code")).as(op).isEqualTo("CANCELLED");
      assertThat(r.str("detail")).as(op).contains("customer left");
    }
    assertThat(report(id, "heartbeat", "w-other", gen).str("code")).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(report(id, "heartbeat", "w-c", gen + 1).str("code")).isEqualTo("ILLEGAL_TRANSITION");
  }

  @Test
  void theHolderOfATimedOutAttemptGets409TimedOutUntilTheJobIsLeasedAgain() {
    String q = freshQueue();
    String id = submit(q, ",\"timeout_ms\":300,\"max_attempts\":3,\"backoff_ms\":0");
    int gen = leaseOne("w-t", q, id);
    await()
        .atMost(PROMPTLY)
        .until(() -> !"RUNNING".equals(http.get("/api/v1/jobs/" + id).str("state")));
    var r = report(id, "heartbeat", "w-t", gen);
    assertThat(r.status()).as(r.text()).isEqualTo(409);
    assertThat(r.str("code")).isEqualTo("TIMED_OUT");
    assertThat(r.str("detail")).contains("timeout_ms=300");
    assertThat(leaseOne("w-t2", q, id)).isEqualTo(gen + 1);
    assertThat(report(id, "complete", "w-t", gen).str("code")).isEqualTo("STALE_GENERATION");
  }

  @Test
  void aParkedSignalPollAnswersAsSoonAsItsJobIsCancelled() throws Exception {
    String q = freshQueue();
    String id = submit(q, "");
    int gen = leaseOne("w-s", q, id);
    long start = System.nanoTime();
    var poll =
        CompletableFuture.supplyAsync(
            () ->
                signals("w-s", "[{\"job_id\":\"" + id + "\",\"generation\":" + gen + "}]", 30_000));
    awaitParked(poll);
    http.post("/api/v1/jobs/" + id + "/cancel", "{\"reason\":\"stop now\"}");
    var r = poll.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(29));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode s = r.body().get("signals");
    assertThat(s).hasSize(1);
    assertThat(s.get(0).get("job_id").asText()).isEqualTo(id);
    assertThat(s.get(0).get("generation").asInt()).isEqualTo(gen);
    assertThat(s.get(0).get("code").asText()).isEqualTo("CANCELLED");
    assertThat(s.get(0).get("reason").asText()).isEqualTo("stop now");
    // Asked again, the poll answers at once: the lease ended before it was sent.
    var again = signals("w-s", "[{\"job_id\":\"" + id + "\",\"generation\":" + gen + "}]", 30_000);
    assertThat(again.body().get("signals").get(0).get("code").asText()).isEqualTo("CANCELLED");
  }

  @Test
  void aParkedSignalPollHearsOfATimeoutOfAJobItDidNotName() throws Exception {
    String q = freshQueue();
    var registered = http.post("/api/v1/workers", "{\"worker_id\":\"w-to\",\"capacity\":4}");
    assertThat(registered.status()).as(registered.text()).isEqualTo(201);
    String quiet = submit(q, "");
    int quietGen = leaseOne("w-to", q, quiet);
    var poll =
        CompletableFuture.supplyAsync(
            () ->
                signals(
                    "w-to",
                    "[{\"job_id\":\"" + quiet + "\",\"generation\":" + quietGen + "}]",
                    30_000));
    awaitParked(poll);
    String slow = submit(q, ",\"timeout_ms\":300");
    int slowGen = leaseOne("w-to", q, slow); // granted after the poll was sent
    var r = poll.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
    JsonNode s = r.body().get("signals");
    assertThat(s).as(r.text()).hasSize(1);
    assertThat(s.get(0).get("job_id").asText()).isEqualTo(slow);
    assertThat(s.get(0).get("generation").asInt()).isEqualTo(slowGen);
    assertThat(s.get(0).get("code").asText()).isEqualTo("TIMED_OUT");
  }

  @Test
  void aSignalPollWithNothingToSayAnswersEmptyAtItsDeadline() {
    String q = freshQueue();
    String id = submit(q, "");
    int gen = leaseOne("w-e", q, id);
    var r = signals("w-e", "[{\"job_id\":\"" + id + "\",\"generation\":" + gen + "}]", 100);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().get("signals")).isEmpty();
  }

  @Test
  void badSignalPollsAreRefusedClearly() {
    String q = freshQueue();
    String id = submit(q, "");
    leaseOne("w-b", q, id);
    var unknown = signals("nobody", "[]", 0);
    assertThat(unknown.status()).as(unknown.text()).isEqualTo(404);
    assertThat(unknown.str("code")).isEqualTo("UNKNOWN_WORKER");
    var wait = signals("w-b", "[]", -1);
    assertThat(wait.status()).as(wait.text()).isEqualTo(400);
    assertThat(wait.str("code")).isEqualTo("INVALID_ARGUMENT");
    var noGeneration = signals("w-b", "[{\"job_id\":\"" + id + "\"}]", 0);
    assertThat(noGeneration.status()).as(noGeneration.text()).isEqualTo(400);
    assertThat(noGeneration.str("detail")).contains("leases[0].generation");
  }

  @Test
  void reDrivingADeadParentResumesItsPipeline() {
    String q = freshQueue();
    String parent = submit(q, ",\"max_attempts\":1");
    String child = submit(q, ",\"depends_on\":[\"" + parent + "\"]");
    String grandchild = submit(q, ",\"depends_on\":[\"" + child + "\"]");
    String userCancelled = submit(q, ",\"depends_on\":[\"" + parent + "\"]");
    http.post("/api/v1/jobs/" + userCancelled + "/cancel", "{\"reason\":\"not needed\"}");
    int gen = leaseOne("w-r", q, parent);
    var failed =
        http.post(
            "/api/v1/jobs/" + parent + "/fail",
            "{\"worker_id\":\"w-r\"," + "\"generation\":" + gen + ",\"error\":\"boom\"}");
    assertThat(failed.str("state")).as(failed.text()).isEqualTo("DEAD");
    assertThat(http.get("/api/v1/jobs/" + grandchild).str("state")).isEqualTo("CANCELLED");
    var redrive = http.post("/api/v1/dlq/" + parent + "/redrive", "");
    assertThat(redrive.status()).as(redrive.text()).isEqualTo(200);
    assertThat(http.get("/api/v1/jobs/" + child).str("state")).isEqualTo("PENDING");
    assertThat(http.get("/api/v1/jobs/" + grandchild).str("state")).isEqualTo("PENDING");
    assertThat(http.get("/api/v1/jobs/" + userCancelled).str("state")).isEqualTo("CANCELLED");
    int again = leaseOne("w-r", q, parent);
    http.post(
        "/api/v1/jobs/" + parent + "/complete",
        "{\"worker_id\":\"w-r\",\"generation\":" + again + "}");
    assertThat(http.get("/api/v1/jobs/" + child).str("state")).isEqualTo("READY");
  }
}
