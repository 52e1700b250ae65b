package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;

/**
 * What became of one completion of {@link HourglassClient#completeAll}: either the job's state
 * (SUCCEEDED), or the refusal's code and detail (as the problem of a single complete would carry,
 * e.g. {@link ErrorCode#STALE_GENERATION} when the lease was lost), with nothing changed for that
 * job.
 *
 * @param jobId the job
 * @param state SUCCEEDED when applied, else null
 * @param codeName the refusal's code as the server sent it when refused, else null
 * @param detail the refusal's reason when refused, else null
 */
public record CompletionResult(String jobId, JobState state, String codeName, String detail) {
  static CompletionResult of(JsonNode n) {
    String s = Json.text(n, "state");
    return new CompletionResult(
        Json.text(n, "job_id"),
        s == null ? null : JobState.parse(s),
        Json.text(n, "code"),
        Json.text(n, "detail"));
  }

  /**
   * The refusal's code.
   *
   * @return the code when refused ({@link ErrorCode#UNKNOWN} for one this client does not know), or
   *     null when applied
   */
  public ErrorCode code() {
    return codeName == null ? null : ErrorCode.of(codeName);
  }

  /**
   * Whether this completion was applied.
   *
   * @return true when the job is now SUCCEEDED by this call
   */
  public boolean applied() {
    return codeName == null && state == JobState.SUCCEEDED;
  }
}
