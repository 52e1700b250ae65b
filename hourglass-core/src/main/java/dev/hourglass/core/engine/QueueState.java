package dev.hourglass.core.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One queue: its settings (paused, concurrency limit), its READY lanes, and the counts that the
 * engine keeps up to date on every transition so that reads are O(1).
 */
final class QueueState {
  final String name;
  boolean paused;
  /** At most this many of the queue's jobs run at once; 0 means no limit. */
  int maxRunning;
  int running;
  /** Jobs of this queue per state, indexed by JobState ordinal. */
  final long[] countsByState = new long[dev.hourglass.core.view.JobState.values().length];

  private final Map<LaneKey, ReadyLane> lanesByKey = new LinkedHashMap<>();
  /** Every lane ever used by this queue, in creation order; empty lanes are skipped on lease. */
  final List<ReadyLane> lanes = new ArrayList<>();

  private record LaneKey(String task, int priority) {}

  QueueState(String name) {
    this.name = name;
  }

  ReadyLane lane(String task, int priority) {
    return lanesByKey.computeIfAbsent(
        new LaneKey(task, priority),
        k -> {
          ReadyLane lane = new ReadyLane(name, task, priority);
          lanes.add(lane);
          return lane;
        });
  }

  boolean atLimit() {
    return maxRunning > 0 && running >= maxRunning;
  }

  /** True when the queue has no jobs, settings or lanes worth keeping. */
  boolean isDefault() {
    return !paused && maxRunning == 0;
  }
}
