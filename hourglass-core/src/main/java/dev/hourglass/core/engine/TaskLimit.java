package dev.hourglass.core.engine;

/**
 * How many jobs of one task type run at once across all workers, and the optional limits on how
 * many may run and how fast they may start.
 */
final class TaskLimit {
  int maxRunning;
  int running;

  /** How fast its jobs may start; null for no limit. */
  RateBucket rate;

  boolean atLimit() {
    return maxRunning > 0 && running >= maxRunning;
  }
}
