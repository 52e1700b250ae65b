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
 *   ▲                                                                         │
 *   └──── revived: the parent whose death cancelled it was re-driven ◀────────┘
 * </pre>
 *
 * <p>A job cancelled by a user stays CANCELLED; only one cancelled because a parent died (or was
 * cancelled because its own parent died) goes back to PENDING when that parent is re-driven.
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

  private Set<JobState> next;

  static {
    PENDING.next = EnumSet.of(SCHEDULED, READY, CANCELLED);
    SCHEDULED.next = EnumSet.of(READY, CANCELLED);
    READY.next = EnumSet.of(RUNNING, CANCELLED);
    RUNNING.next = EnumSet.of(SUCCEEDED, FAILED, DEAD, READY, CANCELLED);
    FAILED.next = EnumSet.of(READY, CANCELLED);
    DEAD.next = EnumSet.of(READY, CANCELLED);
    SUCCEEDED.next = EnumSet.noneOf(JobState.class);
    CANCELLED.next = EnumSet.of(PENDING);
  }

  public boolean canMoveTo(JobState target) {
    return next.contains(target);
  }

  /**
   * Terminal states are kept for the retention period and then evicted. DEAD is not terminal: it
   * can be re-driven. SUCCEEDED never changes again; CANCELLED only when it is revived by a
   * re-drive of the parent that cancelled it.
   */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == CANCELLED;
  }

  /** Finished for the purpose of dependants and overlap: succeeded, dead or cancelled. */
  public boolean isFinished() {
    return this == SUCCEEDED || this == CANCELLED || this == DEAD;
  }
}
