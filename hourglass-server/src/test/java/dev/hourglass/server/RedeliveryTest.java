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
      assertThat(http.post("/api/v1/workers", "{\"worker_id\": \"w1\", \"capacity\": 4}").status())
          .isBetween(200, 201);
      http.post("/api/v1/jobs", "{\"task\": \"charge-card\", \"payload\": {\"amount\": 1}}");
      http.post("/api/v1/jobs", "{\"task\": \"charge-card\", \"payload\": {\"amount\": 2}}");
      var leased =
          http.post("/api/v1/lease", "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}")
              .body()
              .get("assignments");
      assertThat(leased).hasSize(2);
      unconfirmed = leased.get(0).get("job_id").asText();
      confirmed = leased.get(1).get("job_id").asText();
      assertThat(
              http.post(
                      "/api/v1/jobs/" + confirmed + "/heartbeat",
                      "{\"worker_id\": \"w1\", \"generation\": 1}")
                  .status())
          .isEqualTo(200);
    }
    try (HourglassServer server = HourglassServer.start(ServerOptions.of(dir).withPort(0))) {
      HttpTestClient http = new HttpTestClient(server.uri());
      var again =
          http.post("/api/v1/lease", "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}")
              .body()
              .get("assignments");
      assertThat(again).hasSize(1);
      assertThat(again.get(0).get("job_id").asText()).isEqualTo(unconfirmed);
      assertThat(again.get(0).get("generation").asInt()).isEqualTo(1);
      assertThat(again.get(0).get("redelivered").asBoolean()).isTrue();
      assertThat(again.get(0).get("payload").get("amount").asInt()).isEqualTo(1);
      var third =
          http.post("/api/v1/lease", "{\"worker_id\": \"w1\", \"max\": 2, \"wait_ms\": 0}")
              .body()
              .get("assignments");
      assertThat(third).as("re-sent only once").isEmpty();
    }
  }

  /**
   * Regression (found by ClusterHttpTest under leader kills): the owed assignment's lease expired
   * before its worker polled again, and that poll granted the same job to the same worker in the
   * next generation. The worker must get it once, as a new assignment, not also as a "redelivered"
   * copy of the expired one carrying the new generation.
   */
  @Test
  void anOwedAssignmentWhoseLeaseEndedIsNotResentWhenItsJobIsGrantedAgain() throws Exception {
    try (HourglassServer server = HourglassServer.start(ServerOptions.of(dir).withPort(0))) {
      HttpTestClient http = new HttpTestClient(server.uri());
      http.post(
          "/api/v1/jobs",
          "{\"task\": \"charge-card\", \"max_attempts\": 5," + " \"backoff_ms\": 1}");
      assertThat(
              http.post(
                      "/api/v1/lease",
                      "{\"worker_id\": \"w1\", \"max\": 1," + " \"wait_ms\": 0, \"lease_ms\": 300}")
                  .body()
                  .get("assignments"))
          .hasSize(1);
    }
    Thread.sleep(400); // down until the lease has ended: the restart finds it expired
    try (HourglassServer server = HourglassServer.start(ServerOptions.of(dir).withPort(0))) {
      HttpTestClient http = new HttpTestClient(server.uri());
      // Generation 1 expires (300 ms) and the retry is due: this poll waits for it and gets it.
      var leased =
          http.post("/api/v1/lease", "{\"worker_id\": \"w1\", \"max\": 5," + " \"wait_ms\": 5000}")
              .body()
              .get("assignments");
      assertThat(leased)
          .as("one assignment, not the new grant plus a stale copy: " + leased)
          .hasSize(1);
      assertThat(leased.get(0).get("generation").asInt()).isEqualTo(2);
      assertThat(leased.get(0).get("redelivered").asBoolean()).isFalse();
    }
  }
}
