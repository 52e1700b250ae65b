package dev.hourglass.core.engine;

import dev.hourglass.core.command.TraceContext;
import java.util.ArrayList;
import java.util.List;

/** The fields of a job that most jobs never need, kept apart to keep {@link Job} small. */
final class JobExtras {
  String idempotencyKey;

  /** Ids of the jobs this one depends on, in the order given at submit. */
  List<String> parents = List.of();

  /** Jobs that depend on this one and are still waiting for it. */
  ArrayList<Job> children;

  /**
   * Ids of every job submitted with this one among its parents, in submit order, kept after they
   * stop waiting (unlike {@link #children}) so that a finished DAG can still be shown. Derived from
   * the children's {@link #parents}: not in snapshots, rebuilt on load.
   */
  ArrayList<String> dependents;

  /** The schedule that created this job, or null. */
  String scheduleId;

  /** The worker's result on success, or null. */
  String result;

  /** Why the job last changed state in a way a person wants to know (cancel, dead-letter). */
  String reason;

  /**
   * While the job is CANCELLED: the id of the parent whose death or cancellation cancelled it (it
   * is revived when that parent is re-driven), or null when a user cancelled it. Once revived the
   * field is null again. See Engine's notes on re-drive.
   */
  String cancelledBy;

  /**
   * Entries of this job at the head side of the engine's retention queue that no longer count: each
   * revival leaves the entry of the cancellation behind (removing it would cost a scan), and these
   * are skipped instead of evicting the job. Derived from the queue, not in snapshots.
   */
  int staleFinishedEntries;

  /** Run-at as submitted, kept for display. */
  long runAtMillis;

  /** The submitter's W3C trace context, answered with each assignment; null for none. */
  TraceContext trace;
}
