package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a restart, assignments the engine recovered as not yet confirmed by their worker are sent
 * again (same generation, marked redelivered) with that worker's next lease, once; confirmed ones
 * are not.
 */
class RedeliveryTest {
  @TempDir Path dir;

  @Test
  void unconfirmedAssignmentsAreResentOnceAfterARestart() throws Exception {
    String unconfirmed;
    String confirmed;
    try (HourglassServer server = HourglassServer.start(ServerOptions.of(dir).withPort(0))) {
      HttpTestClient http = new HttpTestClient(server.uri());
      assertThat(http.post("/api/v1/workers",
          "{\"worker_id\": \"w1\", \"capacity\": 4}").status()).isBetween(200, 201);
      http.post("/api/v1/jobs", "{\"task\": \"charge-card\", \"payload\": {\"amount\": 1}}");
      http.post("/api/v1/jobs", "{\"task\": \"charge-card\", \"payload\": {\"amount\": 2}}");
      var leased = http.post("/api/v1/lease",
          "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}").body().get("assignments");
      assertThat(leased).hasSize(2);
      unconfirmed = leased.get(0).get("job_id").asText();
      confirmed = leased.get(1).get("job_id").asText();
      assertThat(http.post("/api/v1/jobs/" + confirmed + "/heartbeat",
          "{\"worker_id\": \"w1\", \"generation\": 1}").status()).isEqualTo(200);
    }
    try (HourglassServer server = HourglassServer.start(ServerOptions.of(dir).withPort(0))) {
      HttpTestClient http = new HttpTestClient(server.uri());
      var again = http.post("/api/v1/lease",
          "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}").body().get("assignments");
      assertThat(again).hasSize(1);
      assertThat(again.get(0).get("job_id").asText()).isEqualTo(unconfirmed);
      assertThat(again.get(0).get("generation").asInt()).isEqualTo(1);
      assertThat(again.get(0).get("redelivered").asBoolean()).isTrue();
      assertThat(again.get(0).get("payload").get("amount").asInt()).isEqualTo(1);
      var third = http.post("/api/v1/lease",
          "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}").body().get("assignments");
      assertThat(third).as("re-sent only once").isEmpty();
    }
  }
}
