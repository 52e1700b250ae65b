package dev.hourglass.core.event;

import dev.hourglass.core.view.JobState;

/**
 * What an applied command changed. The engine returns events instead of logging or notifying, so
 * that the shell around it (server, node, Raft state machine) decides what to do with them: wake a
 * parked long poll, count a metric, print a protocol message.
 */
public sealed interface Event {

  /**
   * A job moved from one state to another (or was created, with {@code from == null}). The job's
   * queue and task ride along so that a consumer (metrics by queue and task) needs no lookup.
   */
  record JobTransitioned(
      String jobId, JobState from, JobState to, String reason, String queue, String task)
      implements Event {}

  /** A submit carried an idempotency key that an existing job already has: nothing was created. */
  record JobDeduplicated(String jobId, String idempotencyKey) implements Event {}

  /** A job was leased to a worker in a generation (the fencing token) until the given time. */
  record LeaseGranted(
      String jobId, String workerId, int generation, long leaseExpiresAtMillis, String task)
      implements Event {}

  /**
   * A lease ended without a report from its worker. {@code reason} says why as a fixed value (for
   * counting); {@code cause} says it in words, with the figures.
   */
  record LeaseLost(String jobId, String workerId, int generation, String cause, Reason reason)
      implements Event {

    /** Why a lease ended without a report. */
    public enum Reason {
      /** The worker stopped heartbeating the job and the lease ran out. */
      LEASE_EXPIRED,
      /** The attempt ran past the job's {@code timeout_ms}, heartbeats or not. */
      TIMED_OUT,
      /** The worker stopped contacting the server and was declared dead. */
      WORKER_DIED,
      /** An assignment in a higher generation replaced the lease. */
      SUPERSEDED
    }
  }

  /** A worker stopped heartbeating past its timeout and was declared dead. */
  record WorkerDied(String workerId, int leasesReclaimed) implements Event {}

  /** A schedule fired and created a job. */
  record ScheduleFired(String scheduleId, long fireAtMillis, String jobId) implements Event {}

  /** A schedule's firing was skipped (overlap, catch-up policy, or paused), and counted. */
  record FiringSkipped(String scheduleId, long fireAtMillis, String reason) implements Event {}

  /** A terminal job was removed from memory after the retention period. */
  record JobEvicted(String jobId) implements Event {}
}
