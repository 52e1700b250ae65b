package dev.hourglass.core.event;

import dev.hourglass.core.view.JobState;

/**
 * What an applied command changed. The engine returns events instead of logging or notifying, so
 * that the shell around it (server, node, Raft state machine) decides what to do with them: wake a
 * parked long poll, count a metric, print a protocol message.
 */
public sealed interface Event {

  /** A job moved from one state to another (or was created, with {@code from == null}). */
  record JobTransitioned(String jobId, JobState from, JobState to, String reason)
      implements Event {}

  /** A submit carried an idempotency key that an existing job already has: nothing was created. */
  record JobDeduplicated(String jobId, String idempotencyKey) implements Event {}

  /** A job was leased to a worker in a generation (the fencing token) until the given time. */
  record LeaseGranted(
      String jobId, String workerId, int generation, long leaseExpiresAtMillis, String task)
      implements Event {}

  /** A lease ended without a report from its worker: expired, timed out, or its worker died. */
  record LeaseLost(String jobId, String workerId, int generation, String cause) implements Event {}

  /** A worker stopped heartbeating past its timeout and was declared dead. */
  record WorkerDied(String workerId, int leasesReclaimed) implements Event {}

  /** A schedule fired and created a job. */
  record ScheduleFired(String scheduleId, long fireAtMillis, String jobId) implements Event {}

  /** A schedule's firing was skipped (overlap, catch-up policy, or paused), and counted. */
  record FiringSkipped(String scheduleId, long fireAtMillis, String reason) implements Event {}

  /** A terminal job was removed from memory after the retention period. */
  record JobEvicted(String jobId) implements Event {}
}
