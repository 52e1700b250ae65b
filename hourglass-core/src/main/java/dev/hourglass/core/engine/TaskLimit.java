package dev.hourglass.core.engine;

/** How many jobs of one task type run at once across all workers, and the optional limit. */
final class TaskLimit {
  int maxRunning;
  int running;

  boolean atLimit() {
    return maxRunning > 0 && running >= maxRunning;
  }
}
