package dev.hourglass.core.view;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a job. The allowed transitions are listed here once, and the engine checks every
 * transition against this table, so an illegal one is a bug that stops the engine rather than a
 * state silently reached.
 *
 * <pre>
 *   PENDING ──parents succeeded──▶ SCHEDULED ──time──▶ READY ──lease──▶ RUNNING ──▶ SUCCEEDED
 *      │                              │                 ▲  ▲               │
 *      │                              │                 │  └──release──────┤
 *      │                              │                 └─backoff─ FAILED ◀┤ (attempts left)
 *      │                              │                 └─redrive─ DEAD ◀──┘ (exhausted)
 *      └──────────────┴─── cancel / parent dead or cancelled ──▶ CANCELLED
 * </pre>
 */
public enum JobState {
  PENDING,
  SCHEDULED,
  READY,
  RUNNING,
  SUCCEEDED,
  FAILED,
  DEAD,
  CANCELLED;

  private static final JobState[] VALUES = values();
  private Set<JobState> next;

  static {
    PENDING.next = EnumSet.of(SCHEDULED, READY, CANCELLED);
    SCHEDULED.next = EnumSet.of(READY, CANCELLED);
    READY.next = EnumSet.of(RUNNING, CANCELLED);
    RUNNING.next = EnumSet.of(SUCCEEDED, FAILED, DEAD, READY, CANCELLED);
    FAILED.next = EnumSet.of(READY, CANCELLED);
    DEAD.next = EnumSet.of(READY, CANCELLED);
    SUCCEEDED.next = EnumSet.noneOf(JobState.class);
    CANCELLED.next = EnumSet.noneOf(JobState.class);
  }

  public boolean canMoveTo(JobState target) {
    return next.contains(target);
  }

  /** Terminal states never change again (DEAD is not terminal: it can be re-driven). */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == CANCELLED;
  }

  /** Finished for the purpose of dependants and overlap: succeeded, dead or cancelled. */
  public boolean isFinished() {
    return this == SUCCEEDED || this == CANCELLED || this == DEAD;
  }

  public static JobState ofOrdinal(int ordinal) {
    return VALUES[ordinal];
  }
}
