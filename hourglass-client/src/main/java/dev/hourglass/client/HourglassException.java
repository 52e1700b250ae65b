package dev.hourglass.client;

/**
 * The one exception of the Hourglass client: the server refused a call (it answered with an RFC
 * 9457 problem body), or could not be reached. It carries the problem's fields so that callers
 * can branch on the stable {@link #code()} and show the human {@link #detail()}.
 *
 * <p>{@link #status()} is the HTTP status, or {@link #STATUS_UNREACHABLE} (0) when no answer
 * came (connection refused, timeout, interrupted); then {@link #code()} is {@code UNREACHABLE}
 * and the call may or may not have been applied. Immutable, thread-safe.
 */
public final class HourglassException extends RuntimeException {
  /** {@link #status()} when the server gave no HTTP answer at all. */
  public static final int STATUS_UNREACHABLE = 0;
  /** {@link #code()} when the server gave no HTTP answer at all. */
  public static final String CODE_UNREACHABLE = "UNREACHABLE";

  private final int status;
  private final String code;
  private final String title;
  private final String detail;
  private final String type;
  private final Long retryAfterSeconds;

  /**
   * Creates one from a problem body's fields.
   *
   * @param status the HTTP status, or {@link #STATUS_UNREACHABLE}
   * @param code the problem's stable code, e.g. {@code STALE_GENERATION}
   * @param title the problem's short title, or null
   * @param detail what was wrong, for people
   * @param type the problem type URI, or null
   * @param retryAfterSeconds the {@code Retry-After} header, or null
   * @param cause the transport failure, or null
   * @throws NullPointerException never; null fields are kept as null
   */
  public HourglassException(int status, String code, String title, String detail, String type,
      Long retryAfterSeconds, Throwable cause) {
    super("HTTP " + status + " " + code + ": " + detail, cause);
    this.status = status;
    this.code = code;
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
   * @throws NullPointerException never
   */
  public static HourglassException unreachable(String what, Throwable cause) {
    return new HourglassException(STATUS_UNREACHABLE, CODE_UNREACHABLE, "Unreachable",
        what + " got no answer (" + cause + "); the call may or may not have been applied;"
            + " check that the server runs and the URL is right, then retry", null, null, cause);
  }

  /**
   * The HTTP status of the refusal.
   *
   * @return the status, or {@link #STATUS_UNREACHABLE} when no answer came
   * @throws IllegalStateException never
   */
  public int status() {
    return status;
  }

  /**
   * The problem's stable code ({@code STALE_GENERATION}, {@code UNKNOWN_JOB}, ...).
   *
   * @return the code; never null
   * @throws IllegalStateException never
   */
  public String code() {
    return code;
  }

  /**
   * The problem's short title.
   *
   * @return the title, or null
   * @throws IllegalStateException never
   */
  public String title() {
    return title;
  }

  /**
   * What was wrong and what to do, for people.
   *
   * @return the detail; never null
   * @throws IllegalStateException never
   */
  public String detail() {
    return detail;
  }

  /**
   * The problem type URI.
   *
   * @return the type, or null
   * @throws IllegalStateException never
   */
  public String type() {
    return type;
  }

  /**
   * Seconds the server asked to wait before retrying (503).
   *
   * @return the {@code Retry-After} value, or null
   * @throws IllegalStateException never
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
   * @throws IllegalStateException never
   */
  public boolean isConflict() {
    return status == 409;
  }

  /**
   * Whether retrying later may succeed: no answer, 503, or 429.
   *
   * @return true when the failure is transient
   * @throws IllegalStateException never
   */
  public boolean isTransient() {
    return status == STATUS_UNREACHABLE || status == 503 || status == 429 || status == 502
        || status == 504;
  }
}
