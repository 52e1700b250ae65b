package dev.hourglass.client;

/**
 * A job's state, as the server reports it: the engine's states, one for one (docs/API.md). {@code
 * PENDING} waits for dependencies, {@code SCHEDULED} for its run time, {@code FAILED} for its
 * retry. {@code SUCCEEDED}, {@code DEAD} and {@code CANCELLED} are {@linkplain #isFinished()
 * finished}; only {@code SUCCEEDED} never changes again: a {@code DEAD} job may be re-driven, and a
 * job cancelled because a parent died returns to {@code PENDING} when that parent is re-driven.
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
  /** Completed. Never changes again. */
  SUCCEEDED,
  /** The last attempt failed; a retry is scheduled after backoff. */
  FAILED,
  /** Out of attempts: in the dead-letter queue (re-drivable). */
  DEAD,
  /** Cancelled. */
  CANCELLED;

  /**
   * Whether the job has finished, as its dependants and its schedule's overlap policy see it: it
   * will not run again unless someone re-drives it (or a parent whose death cancelled it).
   *
   * @return true for SUCCEEDED, DEAD and CANCELLED
   */
  public boolean isFinished() {
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
      throw new IllegalArgumentException(
          "unknown job state \""
              + name
              + "\" from the server;"
              + " this client knows "
              + java.util.List.of(values())
              + "; upgrade the client",
          e);
    }
  }
}
