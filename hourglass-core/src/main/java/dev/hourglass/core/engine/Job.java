package dev.hourglass.core.engine;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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

  /**
   * Bumped each time the job enters READY, so stale FIFO-ring entries can be recognised; a fair
   * queue's ring sets it to the number of the job's entry (see {@code FairRing}).
   */
  int readyStamp;

  /**
   * The latest attempt, linked to the earlier ones through {@link Attempt#previous}; null until the
   * first assignment. A chain rather than a list: most jobs run once, and a list would cost two
   * more objects per job, which at a million jobs a second is garbage the collector must trace out
   * of the old generation.
   */
  Attempt lastAttempt;

  JobExtras extras;

  /** Who the job is for, as a fair queue rotates them; null for none. */
  String fairnessKey;

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
    return state == JobState.RUNNING ? lastAttempt : null;
  }

  /** The attempt history, oldest first (a new list). */
  List<Attempt> attemptsOldestFirst() {
    ArrayList<Attempt> out = new ArrayList<>();
    for (Attempt a = lastAttempt; a != null; a = a.previous) {
      out.add(a);
    }
    Collections.reverse(out);
    return out;
  }

  @Override
  public String toString() {
    return "Job[" + id + " " + state + " gen=" + generation + "]";
  }
}
