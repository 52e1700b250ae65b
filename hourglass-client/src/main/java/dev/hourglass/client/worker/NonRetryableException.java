package dev.hourglass.client.worker;

/**
 * Thrown by a {@link JobHandler} when retrying cannot help (bad payload, permission denied): the
 * job goes to the dead-letter queue at once instead of spending its remaining attempts.
 */
public final class NonRetryableException extends RuntimeException {
  /**
   * Creates one.
   *
   * @param message what was wrong with the job, for the dead-letter queue
   */
  public NonRetryableException(String message) {
    super(message);
  }

  /**
   * Creates one with a cause.
   *
   * @param message what was wrong with the job
   * @param cause the underlying failure
   */
  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
