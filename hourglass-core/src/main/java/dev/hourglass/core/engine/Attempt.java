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

  final String workerId;
  final int generation;
  final long startedAtMillis;
  long leaseExpiresAtMillis;
  long endedAtMillis;
  Outcome outcome = Outcome.RUNNING;
  String error;
  /** Whether the worker confirmed it received the assignment; until then a notification is owed. */
  boolean acknowledged;

  Attempt(String workerId, int generation, long startedAtMillis, long leaseExpiresAtMillis) {
    this.workerId = workerId;
    this.generation = generation;
    this.startedAtMillis = startedAtMillis;
    this.leaseExpiresAtMillis = leaseExpiresAtMillis;
  }

  void end(long atMillis, Outcome how, String why) {
    endedAtMillis = atMillis;
    outcome = how;
    error = why;
  }
}
