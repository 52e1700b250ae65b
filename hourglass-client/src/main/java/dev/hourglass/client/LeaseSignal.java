package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.util.Objects;

/**
 * A lease that ended without its holder's report, as a signal poll ({@link
 * HourglassClient#signals}) answers it: the job was cancelled, or its attempt timed out.
 *
 * @param jobId the job
 * @param generation the lease's generation
 * @param codeName the code as the server sent it: {@code CANCELLED} or {@code TIMED_OUT} (the codes
 *     a heartbeat would get as 409)
 * @param reason the cancel's reason, or a sentence on the timeout
 */
public record LeaseSignal(String jobId, int generation, String codeName, String reason) {

  /**
   * Checks the fields.
   *
   * @throws NullPointerException if jobId or codeName is null
   */
  public LeaseSignal {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(codeName, "codeName");
  }

  static LeaseSignal of(JsonNode n) {
    return new LeaseSignal(
        Json.text(n, "job_id"),
        n.path("generation").asInt(),
        Json.text(n, "code"),
        Json.text(n, "reason"));
  }

  /**
   * Why the lease ended.
   *
   * @return {@link ErrorCode#CANCELLED} or {@link ErrorCode#TIMED_OUT}; {@link ErrorCode#UNKNOWN}
   *     for a reason this client does not know (a newer server)
   */
  public ErrorCode code() {
    return ErrorCode.of(codeName);
  }

  /**
   * A lease a worker holds, named in a signal poll.
   *
   * @param jobId the job
   * @param generation the lease's generation
   */
  public record Held(String jobId, int generation) {
    /**
     * Checks the job id.
     *
     * @throws NullPointerException if jobId is null
     */
    public Held {
      Objects.requireNonNull(jobId, "jobId");
    }
  }
}
