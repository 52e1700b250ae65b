package dev.hourglass.client;

import java.util.Objects;

/**
 * One job to complete in {@link HourglassClient#completeAll}.
 *
 * @param jobId the job
 * @param generation the lease's fencing token
 * @param result any value Jackson writes as JSON (a JsonNode as is), or null
 */
public record Completion(String jobId, int generation, Object result) {
  /**
   * Checks the job id.
   *
   * @throws NullPointerException if jobId is null
   */
  public Completion {
    Objects.requireNonNull(jobId, "jobId");
  }
}
