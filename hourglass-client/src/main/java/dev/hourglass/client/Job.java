package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A job as the server knows it at one moment. Times are null when they do not apply; payload and
 * result are JSON text (null when none).
 *
 * @param jobId the id
 * @param state the state
 * @param queue the queue
 * @param task the task type
 * @param payload the payload's JSON text, or null
 * @param priority higher runs first
 * @param deadline the deadline, or null
 * @param runAt the requested run time, or null
 * @param generation the fencing token of the current (or last) attempt
 * @param failures attempts that failed so far (they count against maxAttempts)
 * @param maxAttempts attempts before the dead-letter queue
 * @param createdAt when the server accepted it
 * @param dueAt when it is due (run time or retry time), or null
 * @param finishedAt when it reached a terminal state, or null
 * @param dependsOn its parents
 * @param scheduleId the schedule that created it, or null
 * @param idempotencyKey its idempotency key, or null
 * @param result the result's JSON text, or null
 * @param reason why it was cancelled or died, or null
 * @param attempts every attempt, oldest first
 * @param traceparent the submitter's W3C traceparent, or null
 * @param tracestate the submitter's W3C tracestate, or null
 */
public record Job(
    String jobId,
    JobState state,
    String queue,
    String task,
    String payload,
    int priority,
    Instant deadline,
    Instant runAt,
    int generation,
    int failures,
    int maxAttempts,
    Instant createdAt,
    Instant dueAt,
    Instant finishedAt,
    List<String> dependsOn,
    String scheduleId,
    String idempotencyKey,
    String result,
    String reason,
    List<Attempt> attempts,
    String traceparent,
    String tracestate) {

  /**
   * A job without a trace context (the shape before jobs carried one).
   *
   * @param jobId the id
   * @param state the state
   * @param queue the queue
   * @param task the task type
   * @param payload the payload's JSON text, or null
   * @param priority higher runs first
   * @param deadline the deadline, or null
   * @param runAt the requested run time, or null
   * @param generation the fencing token of the current (or last) attempt
   * @param failures attempts that failed so far
   * @param maxAttempts attempts before the dead-letter queue
   * @param createdAt when the server accepted it
   * @param dueAt when it is due, or null
   * @param finishedAt when it reached a terminal state, or null
   * @param dependsOn its parents
   * @param scheduleId the schedule that created it, or null
   * @param idempotencyKey its idempotency key, or null
   * @param result the result's JSON text, or null
   * @param reason why it was cancelled or died, or null
   * @param attempts every attempt, oldest first
   */
  public Job(
      String jobId,
      JobState state,
      String queue,
      String task,
      String payload,
      int priority,
      Instant deadline,
      Instant runAt,
      int generation,
      int failures,
      int maxAttempts,
      Instant createdAt,
      Instant dueAt,
      Instant finishedAt,
      List<String> dependsOn,
      String scheduleId,
      String idempotencyKey,
      String result,
      String reason,
      List<Attempt> attempts) {
    this(
        jobId,
        state,
        queue,
        task,
        payload,
        priority,
        deadline,
        runAt,
        generation,
        failures,
        maxAttempts,
        createdAt,
        dueAt,
        finishedAt,
        dependsOn,
        scheduleId,
        idempotencyKey,
        result,
        reason,
        attempts,
        null,
        null);
  }

  /**
   * One attempt to run the job.
   *
   * @param workerId the worker that held the lease
   * @param generation the attempt's fencing token
   * @param startedAt when it was leased
   * @param leaseExpiresAt when its lease ends (or ended)
   * @param endedAt when it ended, or null while running
   * @param outcome RUNNING, SUCCEEDED, FAILED, EXPIRED, WORKER_DIED, RELEASED, CANCELLED or
   *     SUPERSEDED
   * @param error the failure's message, or null
   */
  public record Attempt(
      String workerId,
      int generation,
      Instant startedAt,
      Instant leaseExpiresAt,
      Instant endedAt,
      String outcome,
      String error) {
    static Attempt of(JsonNode n) {
      return new Attempt(
          Json.text(n, "worker_id"),
          n.path("generation").asInt(),
          Json.instant(n, "started_at"),
          Json.instant(n, "lease_expires_at"),
          Json.instant(n, "ended_at"),
          Json.text(n, "outcome"),
          Json.text(n, "error"));
    }
  }

  /**
   * The attempt that succeeded, if any.
   *
   * @return the successful attempt, or null
   */
  public Attempt successfulAttempt() {
    for (Attempt a : attempts) {
      if ("SUCCEEDED".equals(a.outcome())) {
        return a;
      }
    }
    return null;
  }

  static Job of(JsonNode n) {
    List<Attempt> attempts = new ArrayList<>();
    for (JsonNode a : n.path("attempts")) {
      attempts.add(Attempt.of(a));
    }
    return new Job(
        Json.text(n, "job_id"),
        JobState.parse(Json.text(n, "state")),
        Json.text(n, "queue"),
        Json.text(n, "task"),
        Json.raw(n, "payload"),
        n.path("priority").asInt(),
        Json.instant(n, "deadline"),
        Json.instant(n, "run_at"),
        n.path("generation").asInt(),
        n.path("failures").asInt(),
        n.path("max_attempts").asInt(),
        Json.instant(n, "created_at"),
        Json.instant(n, "due_at"),
        Json.instant(n, "finished_at"),
        Json.strings(n, "depends_on"),
        Json.text(n, "schedule_id"),
        Json.text(n, "idempotency_key"),
        Json.raw(n, "result"),
        Json.text(n, "reason"),
        List.copyOf(attempts),
        Json.text(n, "traceparent"),
        Json.text(n, "tracestate"));
  }
}
