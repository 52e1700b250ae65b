package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;

/**
 * What became of one completion of {@link HourglassClient#completeAll}: either the job's state
 * (SUCCEEDED), or the refusal's code and detail (as the problem of a single complete would carry,
 * e.g. {@code STALE_GENERATION} when the lease was lost), with nothing changed for that job.
 *
 * @param jobId the job
 * @param state SUCCEEDED when applied, else null
 * @param code the refusal's code when refused, else null
 * @param detail the refusal's reason when refused, else null
 */
public record CompletionResult(String jobId, JobState state, String code, String detail) {
  static CompletionResult of(JsonNode n) {
    String s = Json.text(n, "state");
    return new CompletionResult(Json.text(n, "job_id"), s == null ? null : JobState.parse(s),
        Json.text(n, "code"), Json.text(n, "detail"));
  }

  /**
   * Whether this completion was applied.
   *
   * @return true when the job is now SUCCEEDED by this call
   * @throws IllegalStateException never
   */
  public boolean applied() {
    return code == null && state == JobState.SUCCEEDED;
  }
}
