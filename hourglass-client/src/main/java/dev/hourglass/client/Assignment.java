package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Instant;

/**
 * A job leased to a worker.
 *
 * @param jobId the job
 * @param generation the fencing token: name it in every report, and pass it downstream so that
 *     a stale attempt's side effects can be refused there too
 * @param task the task type
 * @param queue the queue
 * @param payload the payload's JSON text, or null
 * @param leaseExpiresAt when the lease ends unless heartbeated
 * @param redelivered true when the server re-sends, after its restart, an assignment this worker
 *     had not confirmed; a worker already running this job and generation ignores the copy
 */
public record Assignment(String jobId, int generation, String task, String queue, String payload,
    Instant leaseExpiresAt, boolean redelivered) {
  static Assignment of(JsonNode n) {
    return new Assignment(Json.text(n, "job_id"), n.path("generation").asInt(),
        Json.text(n, "task"), Json.text(n, "queue"), Json.raw(n, "payload"),
        Json.instant(n, "lease_expires_at"), n.path("redelivered").asBoolean(false));
  }
}
