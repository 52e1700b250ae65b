package dev.hourglass.client.worker;

import dev.hourglass.client.ErrorCode;
import java.util.Objects;

/**
 * Why a running job's handler should stop: the job was cancelled, or its attempt ran past the job's
 * {@code timeout_ms}. See {@link JobContext#cancellation()}.
 *
 * @param cause which of the two
 * @param reason the reason the canceller gave (or "cancelled" when none), or a sentence on the
 *     timeout
 */
public record Cancellation(Cause cause, String reason) {

  /** Why the job stopped. */
  public enum Cause {
    /** Someone cancelled the job (an API call, the CLI or the dashboard). */
    CANCELLED,
    /** The attempt ran past the job's timeout; the job is retried or dead-lettered. */
    TIMED_OUT
  }

  /**
   * Checks the fields.
   *
   * @throws NullPointerException if cause is null
   */
  public Cancellation {
    Objects.requireNonNull(cause, "cause");
    reason = reason == null ? (cause == Cause.CANCELLED ? "cancelled" : "timed out") : reason;
  }

  /**
   * The cancellation a server's code names, or null for any other code.
   *
   * @param code CANCELLED or TIMED_OUT
   * @param reason the reason or the server's detail
   * @return the cancellation, or null
   */
  static Cancellation ofCode(ErrorCode code, String reason) {
    return switch (code) {
      case CANCELLED -> new Cancellation(Cause.CANCELLED, reason);
      case TIMED_OUT -> new Cancellation(Cause.TIMED_OUT, reason);
      default -> null;
    };
  }
}
