package dev.hourglass.core.engine;

/**
 * One assignment of a job to a worker, from lease to outcome. Mutable only while live (the last
 * attempt of a RUNNING job); afterwards it is history.
 */
final class Attempt {
  /** How an attempt ended. */
  enum Outcome {
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** The worker stopped heartbeating or ran past the job's timeout. */
    EXPIRED,
    /** The worker was declared dead. */
    WORKER_DIED,
    /** The worker gave the job back (graceful shutdown); not counted against attempts. */
    RELEASED,
    /** A later assignment in a higher generation replaced this one. */
    SUPERSEDED,
    CANCELLED
  }

  final Job job;

  /** The job's attempt before this one, or null: the history is a chain from the latest. */
  final Attempt previous;

  final String workerId;
  final int generation;
  final long startedAtMillis;
  long leaseExpiresAtMillis;
  long endedAtMillis;
  Outcome outcome = Outcome.RUNNING;
  String error;

  /** Whether the worker confirmed it received the assignment; until then a notification is owed. */
  boolean acknowledged;

  // Links of the two AttemptChains a live attempt can be in: its worker's leases and the
  // unacknowledged assignments. Null/false once the attempt has ended.
  Attempt workerPrev;
  Attempt workerNext;
  Attempt unackedPrev;
  Attempt unackedNext;
  boolean inWorkerChain;
  boolean inUnackedChain;

  Attempt(
      Job job,
      Attempt previous,
      String workerId,
      int generation,
      long startedAtMillis,
      long leaseExpiresAtMillis) {
    this.job = job;
    this.previous = previous;
    this.workerId = workerId;
    this.generation = generation;
    this.startedAtMillis = startedAtMillis;
    this.leaseExpiresAtMillis = leaseExpiresAtMillis;
  }

  /**
   * Whether this attempt ended by running past the job's timeout (rather than by a lease that
   * lapsed without heartbeat): the same test the engine applies when it expires the lease.
   */
  boolean timedOut() {
    return outcome == Outcome.EXPIRED
        && job.timeoutMillis > 0
        && startedAtMillis + job.timeoutMillis <= endedAtMillis;
  }

  void end(long atMillis, Outcome how, String why) {
    endedAtMillis = atMillis;
    outcome = how;
    error = why;
  }
}
