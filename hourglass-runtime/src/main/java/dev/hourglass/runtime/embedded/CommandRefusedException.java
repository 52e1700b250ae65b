package dev.hourglass.runtime.embedded;

import dev.hourglass.core.event.ErrorCode;
import java.util.Objects;

/**
 * The engine refused a command of an {@link EmbeddedHourglass} and changed nothing: a bad job spec
 * ({@link ErrorCode#INVALID_ARGUMENT}), an id in use ({@link ErrorCode#DUPLICATE_JOB_ID}), a report
 * from a lease that is no longer live ({@link ErrorCode#STALE_GENERATION}, {@link
 * ErrorCode#NOT_LEASE_HOLDER}, {@link ErrorCode#CANCELLED}, {@link ErrorCode#TIMED_OUT}), and so
 * on; {@link #code()} says which, {@link #getMessage()} names the values.
 *
 * <p>Why unchecked: the refusals split into programming errors (a malformed spec, an unknown id),
 * which no caller can handle better than by failing, and the fencing answers a worker expects now
 * and then, which one {@code catch} in its loop handles for every report. A checked exception would
 * force a {@code try} around every submit for the first kind. The client SDK's {@code
 * HourglassException} and db-scheduler's exceptions are unchecked for the same reason.
 *
 * <pre>{@code
 * try {
 *   hourglass.complete(assignment, result);
 * } catch (CommandRefusedException e) {
 *   if (e.code() != ErrorCode.STALE_GENERATION) throw e; // another worker owns the job now
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class CommandRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final String detail;

  /**
   * Creates one.
   *
   * @param code why the engine refused
   * @param detail what was refused, with the offending values
   * @throws NullPointerException if code or detail is null
   */
  public CommandRefusedException(ErrorCode code, String detail) {
    super(code + ": " + Objects.requireNonNull(detail, "detail"));
    this.code = Objects.requireNonNull(code, "code");
    this.detail = detail;
  }

  /**
   * What was refused, with the offending values, without the code.
   *
   * @return the engine's detail text
   */
  public String detail() {
    return detail;
  }

  /**
   * Why the engine refused the command.
   *
   * @return the stable code to branch on
   */
  public ErrorCode code() {
    return code;
  }
}
