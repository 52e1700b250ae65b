package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Instant;

/**
 * A job leased to a worker.
 *
 * @param jobId the job
 * @param generation the fencing token: name it in every report, and pass it downstream so that a
 *     stale attempt's side effects can be refused there too
 * @param task the task type
 * @param queue the queue
 * @param payload the payload's JSON text, or null
 * @param leaseExpiresAt when the lease ends unless heartbeated
 * @param redelivered true when the server re-sends, after its restart, an assignment this worker
 *     had not confirmed; a worker already running this job and generation ignores the copy
 * @param attempt which attempt this is (failures so far + 1), or 0 when the server did not say
 * @param traceparent the submitter's W3C traceparent, or null
 * @param tracestate the submitter's W3C tracestate, or null
 */
public record Assignment(
    String jobId,
    int generation,
    String task,
    String queue,
    String payload,
    Instant leaseExpiresAt,
    boolean redelivered,
    int attempt,
    String traceparent,
    String tracestate) {

  /**
   * An assignment without attempt number or trace context (the shape before it carried them).
   *
   * @param jobId the job
   * @param generation the fencing token
   * @param task the task type
   * @param queue the queue
   * @param payload the payload's JSON text, or null
   * @param leaseExpiresAt when the lease ends unless heartbeated
   * @param redelivered whether the server re-sent it after its restart
   */
  public Assignment(
      String jobId,
      int generation,
      String task,
      String queue,
      String payload,
      Instant leaseExpiresAt,
      boolean redelivered) {
    this(jobId, generation, task, queue, payload, leaseExpiresAt, redelivered, 0, null, null);
  }

  static Assignment of(JsonNode n) {
    return new Assignment(
        Json.text(n, "job_id"),
        n.path("generation").asInt(),
        Json.text(n, "task"),
        Json.text(n, "queue"),
        Json.raw(n, "payload"),
        Json.instant(n, "lease_expires_at"),
        n.path("redelivered").asBoolean(false),
        n.path("attempt").asInt(0),
        Json.text(n, "traceparent"),
        Json.text(n, "tracestate"));
  }
}
