package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Instant;

/**
 * A recurring schedule: each firing creates the job {@code <scheduleId>@<fire time>}.
 *
 * @param scheduleId its id
 * @param cron the cron expression
 * @param timeZone the IANA time zone the expression is read in
 * @param task the task type of the jobs it creates
 * @param queue their queue
 * @param payload their payload's JSON text, or null
 * @param overlap allow, skip or queue_one
 * @param catchUp once, each_within_window or skip
 * @param paused whether firings are skipped
 * @param nextFireAt the next firing, or null
 * @param lastFireAt the last firing, or null
 * @param fired firings so far
 * @param skipped firings skipped (paused or overlap)
 * @param liveJobs jobs it created that are not terminal
 */
public record Schedule(String scheduleId, String cron, String timeZone, String task, String queue,
    String payload, String overlap, String catchUp, boolean paused, Instant nextFireAt,
    Instant lastFireAt, long fired, long skipped, int liveJobs) {
  static Schedule of(JsonNode n) {
    return new Schedule(Json.text(n, "schedule_id"), Json.text(n, "cron"),
        Json.text(n, "time_zone"), Json.text(n, "task"), Json.text(n, "queue"),
        Json.raw(n, "payload"), Json.text(n, "overlap"), Json.text(n, "catch_up"),
        n.path("paused").asBoolean(), Json.instant(n, "next_fire_at"),
        Json.instant(n, "last_fire_at"), n.path("fired").asLong(), n.path("skipped").asLong(),
        n.path("live_jobs").asInt());
  }
}
