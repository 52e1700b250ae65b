package dev.hourglass.core.view;

import dev.hourglass.core.command.RateLimit;
import java.util.Map;

/**
 * A queue's settings and counts.
 *
 * @param countsByState jobs of this queue per state
 * @param readyByPriority READY jobs per priority, highest first
 * @param policy its weight, rate limit and fairness
 */
public record QueueView(
    String name,
    boolean paused,
    int maxRunning,
    int running,
    Map<JobState, Long> countsByState,
    Map<Integer, Long> readyByPriority,
    Policy policy) {

  /**
   * A queue's scheduling policy.
   *
   * @param weight its share under the weighted lease strategy
   * @param rate its rate limit; {@link RateLimit#NONE} for none
   * @param fair whether its fairness keys are served in turn
   * @param keyWeights jobs per turn of the keys named (1 for the others)
   * @param activeKeys fairness keys with READY jobs now (fair queues; each key once, whatever its
   *     jobs' task types)
   */
  public record Policy(
      int weight, RateLimit rate, boolean fair, Map<String, Integer> keyWeights, long activeKeys) {
    public static final Policy DEFAULT = new Policy(1, RateLimit.NONE, false, Map.of(), 0);
  }
}
