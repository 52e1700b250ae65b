package dev.hourglass.client;

import java.util.Objects;

/**
 * The one exception of the Hourglass client: the server refused a call (it answered with an RFC
 * 9457 problem body), or could not be reached. It carries the problem's fields so that callers can
 * branch on the stable {@link #code()} and show the human {@link #detail()}.
 *
 * <pre>{@code
 * try {
 *   client.complete(jobId, workerId, generation, result);
 * } catch (HourglassException e) {
 *   if (e.is(ErrorCode.STALE_GENERATION)) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #status()} is the HTTP status, or {@link #STATUS_UNREACHABLE} (0) when no answer came
 * (connection refused, timeout, interrupted); then {@link #code()} is {@link ErrorCode#UNREACHABLE}
 * and the call may or may not have been applied. Immutable, thread-safe.
 */
public final class HourglassException extends RuntimeException {
  /** {@link #status()} when the server gave no HTTP answer at all. */
  public static final int STATUS_UNREACHABLE = 0;

  private final int status;
  private final ErrorCode code;
  private final String codeName;
  private final String title;
  private final String detail;
  private final String type;
  private final Long retryAfterSeconds;

  /**
   * Creates one from a problem body's fields.
   *
   * @param status the HTTP status, or {@link #STATUS_UNREACHABLE}
   * @param codeName the problem's code as sent, e.g. {@code STALE_GENERATION}; a name this client
   *     does not know gives {@link ErrorCode#UNKNOWN}
   * @param title the problem's short title, or null
   * @param detail what was wrong, for people
   * @param type the problem type URI, or null
   * @param retryAfterSeconds the {@code Retry-After} header, or null
   * @param cause the transport failure, or null
   * @throws NullPointerException if codeName is null
   */
  public HourglassException(
      int status,
      String codeName,
      String title,
      String detail,
      String type,
      Long retryAfterSeconds,
      Throwable cause) {
    super("HTTP " + status + " " + codeName + ": " + detail, cause);
    this.status = status;
    this.codeName = Objects.requireNonNull(codeName, "codeName");
    this.code = ErrorCode.of(codeName);
    this.title = title;
    this.detail = detail;
    this.type = type;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * The server could not be reached.
   *
   * @param what the call that failed, e.g. {@code POST /api/v1/lease}
   * @param cause the transport failure
   * @return the exception to throw
   */
  public static HourglassException unreachable(String what, Throwable cause) {
    return new HourglassException(
        STATUS_UNREACHABLE,
        ErrorCode.UNREACHABLE.name(),
        "Unreachable",
        what
            + " got no answer ("
            + cause
            + "); the call may or may not have"
            + " been applied; check that the server runs and the URL is right, then retry",
        null,
        null,
        cause);
  }

  /**
   * The HTTP status of the refusal.
   *
   * @return the status, or {@link #STATUS_UNREACHABLE} when no answer came
   */
  public int status() {
    return status;
  }

  /**
   * The problem's stable code.
   *
   * @return the code; {@link ErrorCode#UNKNOWN} for a code this client does not know (see {@link
   *     #codeName()}); never null
   */
  public ErrorCode code() {
    return code;
  }

  /**
   * The problem's code as the server sent it: the name of {@link #code()}, or for {@link
   * ErrorCode#UNKNOWN} the unknown name ({@code HTTP_502} for an answer without a problem body).
   *
   * @return the code's name; never null
   */
  public String codeName() {
    return codeName;
  }

  /**
   * Whether the problem has this code.
   *
   * @param code the code to compare with
   * @return true when {@link #code()} is {@code code}
   */
  public boolean is(ErrorCode code) {
    return this.code == code;
  }

  /**
   * The problem's short title.
   *
   * @return the title, or null
   */
  public String title() {
    return title;
  }

  /**
   * What was wrong and what to do, for people.
   *
   * @return the detail; never null
   */
  public String detail() {
    return detail;
  }

  /**
   * The problem type URI.
   *
   * @return the type, or null
   */
  public String type() {
    return type;
  }

  /**
   * Seconds the server asked to wait before retrying (503).
   *
   * @return the {@code Retry-After} value, or null
   */
  public Long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /**
   * Whether the server refused because the caller no longer holds the job's lease: a 409 from
   * complete, fail, heartbeat or release (the lease expired and the job was re-leased, or the job
   * was cancelled). A worker drops such a job.
   *
   * @return true for a 409
   */
  public boolean isConflict() {
    return status == 409;
  }

  /**
   * Whether retrying later may succeed: no answer, 429, 502, 503 or 504.
   *
   * @return true when the failure is transient
   */
  public boolean isTransient() {
    return status == STATUS_UNREACHABLE
        || status == 503
        || status == 429
        || status == 502
        || status == 504;
  }
}
