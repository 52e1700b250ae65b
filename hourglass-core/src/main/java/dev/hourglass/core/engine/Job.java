package dev.hourglass.core.engine;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;

/**
 * The engine's mutable record of one job. Kept small on purpose: the engine must hold ten million
 * pending jobs in at most 256 bytes each beyond the payload, so rarely used fields live in {@link
 * JobExtras} (allocated only for jobs that need them) and the attempt history only exists once the
 * job has run.
 *
 * <p>A job sits in at most one heap at a time, which is why one {@link #heapIndex} suffices:
 * SCHEDULED and FAILED jobs in the due heap, RUNNING jobs in the lease heap, READY jobs in their
 * lane (heap or FIFO ring). Confined to the engine's thread.
 */
final class Job extends HeapMember {
  final String id;
  /** Submission order, assigned by the engine: the "oldest first" tie-breaker and paging key. */
  final long seq;
  final String queue;
  final String task;
  final String payload;
  final int priority;
  final long deadlineMillis;
  final long createdAtMillis;
  final int maxAttempts;
  final Backoff backoff;
  final long timeoutMillis;

  JobState state;
  /**
   * SCHEDULED/FAILED: when it becomes READY. RUNNING: when the lease ends unless renewed.
   * SUCCEEDED/DEAD/CANCELLED: when it finished. One field serves all three, since a job is in one
   * state at a time.
   */
  long dueAtMillis;
  /** The fencing token of the latest assignment; 0 before the first one. */
  int generation;
  /** Failed attempts since submit or the last re-drive, counted against maxAttempts. */
  int failures;
  /** Parents that have not succeeded yet; the job stays PENDING while this is above zero. */
  int unmetParents;
  /** Bumped each time the job enters READY, so stale FIFO-ring entries can be recognised. */
  int readyStamp;
  /** Attempt history, oldest first; null until the first assignment. */
  ArrayList<Attempt> attempts;
  JobExtras extras;

  Job(
      String id,
      long seq,
      String queue,
      String task,
      String payload,
      int priority,
      long deadlineMillis,
      long createdAtMillis,
      int maxAttempts,
      Backoff backoff,
      long timeoutMillis) {
    this.id = id;
    this.seq = seq;
    this.queue = queue;
    this.task = task;
    this.payload = payload;
    this.priority = priority;
    this.deadlineMillis = deadlineMillis;
    this.createdAtMillis = createdAtMillis;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.timeoutMillis = timeoutMillis;
  }

  JobExtras extras() {
    if (extras == null) {
      extras = new JobExtras();
    }
    return extras;
  }

  /** The attempt of the live lease, or null when the job is not RUNNING. */
  Attempt liveAttempt() {
    if (state != JobState.RUNNING) {
      return null;
    }
    return attempts.get(attempts.size() - 1);
  }

  @Override
  public String toString() {
    return "Job[" + id + " " + state + " gen=" + generation + "]";
  }
}
