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

  /** The queue's share under the WEIGHTED lease strategy. */
  int weight = 1;

  /** How fast its jobs may start; null for no limit. */
  RateBucket rate;

  /**
   * Whether its fairness keys are served in turn; then {@link #fairRing} holds its READY jobs (the
   * lanes only count them), and {@link #keyWeights} the keys' turns.
   */
  boolean fair;

  Map<String, Integer> keyWeights = Map.of();

  /** The queue's READY jobs by fairness key while it is fair; null while it is plain. */
  FairRing fairRing;

  /** Jobs of this queue per state, indexed by JobState ordinal. */
  final long[] countsByState = new long[dev.hourglass.core.view.JobState.values().length];

  /** Lanes by task; each task has few priorities, so a short list beats a composite-key map. */
  private final Map<String, List<ReadyLane>> lanesByTask = new LinkedHashMap<>();

  /** Every lane ever used by this queue, in creation order; empty lanes are skipped on lease. */
  final List<ReadyLane> lanes = new ArrayList<>();

  QueueState(String name) {
    this.name = name;
  }

  ReadyLane lane(String task, int priority) {
    List<ReadyLane> ofTask = lanesByTask.get(task);
    if (ofTask == null) {
      ofTask = new ArrayList<>(2);
      lanesByTask.put(task, ofTask);
    }
    for (int i = 0; i < ofTask.size(); i++) {
      if (ofTask.get(i).priority == priority) {
        return ofTask.get(i);
      }
    }
    ReadyLane lane = new ReadyLane(name, task, priority);
    ofTask.add(lane);
    lanes.add(lane);
    return lane;
  }

  int keyWeight(String key) {
    Integer w = keyWeights.get(key);
    return w == null ? 1 : w;
  }

  boolean atLimit() {
    return maxRunning > 0 && running >= maxRunning;
  }

  /**
   * True when the queue's settings are those a new queue gets: not paused, no concurrency limit,
   * weight 1, no rate limit, not fair. A setting added to this class must be added here too, or
   * {@code Engine.dropIfIdle} forgets it.
   */
  boolean isDefault() {
    return !paused && maxRunning == 0 && weight == 1 && rate == null && !fair;
  }

  /** True when the queue holds no job in any state (so no lane holds one either). */
  boolean isEmpty() {
    for (long n : countsByState) {
      if (n != 0) {
        return false;
      }
    }
    return true;
  }
}
