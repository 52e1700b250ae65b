package dev.hourglass.client;

/**
 * A job's state, as the server reports it. {@code PENDING} waits for dependencies, {@code
 * SCHEDULED} for its run time, {@code FAILED} for its retry; the last four are terminal except
 * that a {@code DEAD} job may be re-driven.
 */
public enum JobState {
  /** Waiting for the jobs it depends on. */
  PENDING,
  /** Waiting for its run time (delay or run_at). */
  SCHEDULED,
  /** Ready to be leased. */
  READY,
  /** Leased to a worker. */
  RUNNING,
  /** Completed. Terminal. */
  SUCCEEDED,
  /** The last attempt failed; a retry is scheduled after backoff. */
  FAILED,
  /** Out of attempts: in the dead-letter queue (re-drivable). */
  DEAD,
  /** Cancelled. Terminal. */
  CANCELLED;

  /**
   * Whether the job will not run again unless someone re-drives it.
   *
   * @return true for SUCCEEDED, DEAD and CANCELLED
   * @throws IllegalStateException never
   */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD || this == CANCELLED;
  }

  /**
   * Parses the server's state name.
   *
   * @param name e.g. {@code "RUNNING"}
   * @return the state
   * @throws IllegalArgumentException if the name is unknown (a newer server); upgrade the client
   */
  public static JobState parse(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("unknown job state \"" + name + "\" from the server;"
          + " this client knows " + java.util.List.of(values()) + "; upgrade the client", e);
    }
  }
}
