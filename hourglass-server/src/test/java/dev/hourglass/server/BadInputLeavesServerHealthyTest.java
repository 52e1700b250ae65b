package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regressions for problems a review found by probing a running server: inputs that used to stop
 * the apply loop or answer 500, and a parked long poll that was not woken by a freed slot.
 */
class ReviewRegressionTest {
  @TempDir static Path dir;
  static HourglassServer server;
  static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    server = HourglassServer.start(ServerOptions.of(dir).withPort(0));
    http = new HttpTestClient(server.uri());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void nullNamesAndOverflowingDelaysAre400AndTheServerStaysHealthy() {
    var lease = http.post("/api/v1/lease", "{\"worker_id\": \"w\", \"queues\": [null]}");
    assertThat(lease.status()).isEqualTo(400);
    assertThat(lease.text()).contains("queues[0] is null");
    var parents = http.post("/api/v1/jobs", "{\"task\": \"t\", \"depends_on\": [null]}");
    assertThat(parents.status()).isEqualTo(400);
    var delay = http.post("/api/v1/jobs",
        "{\"task\": \"t\", \"delay_ms\": 9223372036854775807}");
    assertThat(delay.status()).isEqualTo(400);
    assertThat(delay.text()).contains("delay_ms");
    var worker = http.post("/api/v1/workers", "{\"worker_id\": \"w\", \"queues\": [\"\"]}");
    assertThat(worker.status()).isEqualTo(400);
    assertThat(http.get("/readyz").status()).isEqualTo(200);
    assertThat(http.post("/api/v1/jobs", "{\"task\": \"t\"}").status()).isEqualTo(201);
  }

  @Test
  void aCronThatParsesButCannotBeEvaluatedIsRefusedAndTheServerStaysHealthy() {
    var r = http.post("/api/v1/schedules",
        "{\"schedule_id\": \"feb31\", \"task\": \"t\", \"cron\": \"0 0 0 31W 2 ?\"}");
    assertThat(r.status()).isBetween(400, 422);
    assertThat(http.get("/readyz").status()).isEqualTo(200);
  }

  @Test
  void aParkedLongPollWakesWhenAConcurrencySlotIsFreed() throws Exception {
    http.put("/api/v1/queues/limited/limits", "{\"max_running\": 1}");
    http.post("/api/v1/jobs", "{\"task\": \"t\", \"queue\": \"limited\"}");
    http.post("/api/v1/jobs", "{\"task\": \"t\", \"queue\": \"limited\"}");
    var first = http.post("/api/v1/lease",
        "{\"worker_id\": \"w1\", \"max\": 1, \"wait_ms\": 0, \"queues\": [\"limited\"]}")
        .body().get("assignments").get(0);
    var parked = java.util.concurrent.CompletableFuture.supplyAsync(() -> http.post(
        "/api/v1/lease",
        "{\"worker_id\": \"w2\", \"max\": 1, \"wait_ms\": 20000, \"queues\": [\"limited\"]}"));
    Thread.sleep(200); // let the second poll park; the assertion below does not depend on it
    long start = System.nanoTime();
    assertThat(http.post("/api/v1/jobs/" + first.get("job_id").asText() + "/complete",
        "{\"worker_id\": \"w1\", \"generation\": " + first.get("generation").asInt() + "}")
        .status()).isEqualTo(200);
    var woken = parked.get(10, java.util.concurrent.TimeUnit.SECONDS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(woken.body().get("assignments")).hasSize(1);
    assertThat(millis).as("woken %d ms after the slot was freed", millis).isLessThan(5_000);
  }
}
