package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;

/**
 * The server's answer to a submit.
 *
 * @param jobId the job's id (the existing job's when deduplicated)
 * @param state its state right after the submit
 * @param deduplicated true when an idempotency key matched an existing job
 */
public record Submitted(String jobId, JobState state, boolean deduplicated) {
  static Submitted of(JsonNode n) {
    return new Submitted(
        Json.text(n, "job_id"),
        JobState.parse(Json.text(n, "state")),
        n.path("deduplicated").asBoolean(false));
  }
}
