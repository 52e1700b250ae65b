package dev.hourglass.core.engine;

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
   * stop waiting (unlike {@link #children}) so that a finished DAG can still be shown. Derived
   * from the children's {@link #parents}: not in snapshots, rebuilt on load.
   */
  ArrayList<String> dependents;
  /** The schedule that created this job, or null. */
  String scheduleId;
  /** The worker's result on success, or null. */
  String result;
  /** Why the job last changed state in a way a person wants to know (cancel, dead-letter). */
  String reason;
  /** Run-at as submitted, kept for display. */
  long runAtMillis;
}
