package dev.hourglass.core.engine;

import dev.hourglass.core.event.Outcome.Rejected;
import java.util.List;
import java.util.Set;

/**
 * The task types a worker can run, as the lease path uses them: null means any task type, else a
 * set for O(1) lookups while choosing a lane (the set's iteration order never reaches the state,
 * which keeps the names in the order the worker gave them).
 */
final class TaskFilter {
  /**
   * Bounds the task types one worker may name: a worker's handlers, not a data set; the bound keeps
   * a lease command and a registration small.
   */
  static final int TASKS_MAX = 1_000;

  private TaskFilter() {}

  /** The filter of a non-empty list of names; null (any task type) for an empty one. */
  static Set<String> of(List<String> tasks) {
    return tasks.isEmpty() ? null : Set.copyOf(tasks);
  }

  /** Whether a filter admits a task type. */
  static boolean admits(Set<String> filter, String task) {
    return filter == null || filter.contains(task);
  }

  /** Checks the task names of a lease or a registration; null when they are valid. */
  static Rejected validate(List<String> tasks, String workerId) {
    if (tasks.size() > TASKS_MAX) {
      return SpecValidator.invalid(
          "worker %s names %d task types; at most %d are allowed",
          workerId, tasks.size(), TASKS_MAX);
    }
    for (int i = 0; i < tasks.size(); i++) {
      Rejected bad = SpecValidator.name("tasks[" + i + "]", tasks.get(i));
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }
}
