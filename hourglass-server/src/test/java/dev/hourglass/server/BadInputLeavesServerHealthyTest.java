package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Inputs that once stopped the apply loop or answered 500 (a null in a name list, a delay that
 * overflows the due time, an empty queue name, a cron expression that parses but has no next time)
 * are refused with a 4xx, and the server goes on serving. A parked long poll woken by a freed
 * concurrency slot is HeldBackLongPollTest's.
 */
class BadInputLeavesServerHealthyTest {
  @RegisterExtension
  static final HourglassServerExtension server = HourglassServerExtension.defaults();

  static final HttpTestClient http = server.http();

  @Test
  void nullNamesAndOverflowingDelaysAre400AndTheServerStaysHealthy() {
    var lease = http.post("/api/v1/lease", "{\"worker_id\": \"w\", \"queues\": [null]}");
    assertThat(lease.status()).isEqualTo(400);
    assertThat(lease.text()).contains("queues[0] is null");
    var parents = http.post("/api/v1/jobs", "{\"task\": \"t\", \"depends_on\": [null]}");
    assertThat(parents.status()).isEqualTo(400);
    var delay = http.post("/api/v1/jobs", "{\"task\": \"t\", \"delay_ms\": 9223372036854775807}");
    assertThat(delay.status()).isEqualTo(400);
    assertThat(delay.text()).contains("delay_ms");
    var worker = http.post("/api/v1/workers", "{\"worker_id\": \"w\", \"queues\": [\"\"]}");
    assertThat(worker.status()).isEqualTo(400);
    assertThat(http.get("/readyz").status()).isEqualTo(200);
    assertThat(http.post("/api/v1/jobs", "{\"task\": \"t\"}").status()).isEqualTo(201);
  }

  @Test
  void aCronThatParsesButCannotBeEvaluatedIsRefusedAndTheServerStaysHealthy() {
    var r =
        http.post(
            "/api/v1/schedules",
            "{\"schedule_id\": \"feb31\", \"task\": \"t\", \"cron\": \"0 0 0 31W 2 ?\"}");
    assertThat(r.status()).isBetween(400, 422);
    assertThat(http.get("/readyz").status()).isEqualTo(200);
  }
}
