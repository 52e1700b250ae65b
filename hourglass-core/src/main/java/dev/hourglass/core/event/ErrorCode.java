package dev.hourglass.core.event;

/** Why the engine refused a command. Each has one meaning; the detail text names the values. */
public enum ErrorCode {
  /** A field is missing, out of its bounds, or malformed. */
  INVALID_ARGUMENT,
  /** No job with that id exists (or it was evicted after its retention period). */
  UNKNOWN_JOB,
  /** A job with that id exists already. */
  DUPLICATE_JOB_ID,
  /** The command does not apply to a job in its current state. */
  ILLEGAL_TRANSITION,
  /** A job depends on a job that does not exist. */
  UNKNOWN_PARENT,
  /** The jobs' dependencies form a cycle. */
  DEPENDENCY_CYCLE,
  /** The job is already assigned in that generation. */
  ALREADY_ASSIGNED,
  /** The generation named is older than the job's current one: a zombie's late answer. */
  STALE_GENERATION,
  /** The worker named does not hold the job's live lease. */
  NOT_LEASE_HOLDER,
  /** No worker with that id is registered. */
  UNKNOWN_WORKER,
  /** No schedule with that id exists. */
  UNKNOWN_SCHEDULE,
  /** The cron expression or time zone cannot be parsed. */
  INVALID_SCHEDULE,
  /** A command's time is older than time the engine has already reached by more than allowed. */
  CLOCK_WENT_BACKWARDS,
  /**
   * The lease holder's attempt ended because the job was cancelled: stop working on it. Only the
   * holder of that very attempt (worker and generation) hears this; anyone else is fenced as usual.
   */
  CANCELLED,
  /**
   * The lease holder's attempt ended because it ran past the job's {@code timeout_ms}: stop working
   * on it (the job is retried or dead-lettered as for a failure). Only the holder of that attempt
   * hears this.
   */
  TIMED_OUT
}
