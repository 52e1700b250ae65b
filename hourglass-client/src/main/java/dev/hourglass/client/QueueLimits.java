package dev.hourglass.client;

import java.math.BigDecimal;

/**
 * The limits {@link HourglassClient#setQueueLimits} sets on a queue, and {@link
 * HourglassClient#setTaskLimits} on a task type (which has no weight); a null component leaves that
 * setting as it is. Each value is checked against the server's bounds when it is set, so a bad one
 * fails here, before any request. Start from {@link #NONE}: {@code
 * QueueLimits.NONE.withWeight(3).withRate(new BigDecimal("10")).withBurst(20)}.
 *
 * @param maxRunning at most this many of the queue's jobs run at once over all workers; 0 removes
 *     the limit
 * @param weight the queue's share under the weighted lease strategy, 1 to {@value #WEIGHT_MAX}
 * @param ratePerSecond jobs that may start per second on average, 0.001 to 1,000,000 in steps of
 *     0.001; 0 removes the rate limit
 * @param burst jobs that may start at once, 1 to {@value #BURST_MAX}; needs {@code ratePerSecond}
 *     (default: the rate rounded up)
 */
public record QueueLimits(
    Integer maxRunning, Integer weight, BigDecimal ratePerSecond, Integer burst) {
  /** The highest weight the server takes. */
  public static final int WEIGHT_MAX = 10_000;

  /** The highest burst the server takes. */
  public static final int BURST_MAX = 1_000_000;

  /** The highest rate the server takes, in jobs per second. */
  public static final BigDecimal RATE_MAX = BigDecimal.valueOf(1_000_000);

  /** No setting: add them with the {@code with*} methods. */
  public static final QueueLimits NONE = new QueueLimits(null, null, null, null);

  /**
   * Checks each value given against the server's bounds.
   *
   * @throws IllegalArgumentException if a value is out of bounds
   */
  public QueueLimits {
    if (maxRunning != null && maxRunning < 0) {
      throw new IllegalArgumentException(
          "max running " + maxRunning + " must not be negative (0 removes the limit)");
    }
    if (weight != null && (weight < 1 || weight > WEIGHT_MAX)) {
      throw new IllegalArgumentException(
          "weight " + weight + " is outside [1, " + WEIGHT_MAX + "]");
    }
    if (ratePerSecond != null
        && (ratePerSecond.signum() < 0
            || ratePerSecond.compareTo(RATE_MAX) > 0
            || ratePerSecond.stripTrailingZeros().scale() > 3)) {
      throw new IllegalArgumentException(
          "rate "
              + ratePerSecond.toPlainString()
              + " per second must be 0 (no limit) or between 0.001 and 1000000 in steps of 0.001");
    }
    if (burst != null && (burst < 1 || burst > BURST_MAX)) {
      throw new IllegalArgumentException("burst " + burst + " is outside [1, " + BURST_MAX + "]");
    }
  }

  /**
   * These limits with another concurrency limit.
   *
   * @param n at most this many of the queue's jobs run at once; 0 removes the limit
   * @return a copy with {@code maxRunning} set
   * @throws IllegalArgumentException if negative
   */
  public QueueLimits withMaxRunning(int n) {
    return new QueueLimits(n, weight, ratePerSecond, burst);
  }

  /**
   * These limits with another weight.
   *
   * @param w the share under the weighted lease strategy, 1 to {@value #WEIGHT_MAX}
   * @return a copy with {@code weight} set
   * @throws IllegalArgumentException if out of bounds
   */
  public QueueLimits withWeight(int w) {
    return new QueueLimits(maxRunning, w, ratePerSecond, burst);
  }

  /**
   * These limits with another rate limit.
   *
   * @param perSecond jobs per second, 0.001 to 1,000,000 in steps of 0.001; 0 removes the limit
   * @return a copy with {@code ratePerSecond} set
   * @throws IllegalArgumentException if out of bounds or finer than 0.001
   */
  public QueueLimits withRate(BigDecimal perSecond) {
    return new QueueLimits(maxRunning, weight, perSecond, burst);
  }

  /**
   * These limits with another burst; a request needs a rate with it.
   *
   * @param n jobs that may start at once, 1 to {@value #BURST_MAX}
   * @return a copy with {@code burst} set
   * @throws IllegalArgumentException if out of bounds
   */
  public QueueLimits withBurst(int n) {
    return new QueueLimits(maxRunning, weight, ratePerSecond, n);
  }

  /**
   * Checks what only the whole request shows: at least one setting, and a burst only with a rate
   * that is not 0.
   *
   * @throws IllegalArgumentException if the request would be refused
   */
  void checkRequest() {
    checkBurstHasRate();
    if (maxRunning == null && weight == null && ratePerSecond == null) {
      throw new IllegalArgumentException(
          "queue limits need at least one of max running, weight, rate");
    }
  }

  /**
   * Checks a task type's request: as {@link #checkRequest}, and no weight, which is a queue's share
   * under the weighted lease strategy and means nothing for a task type.
   *
   * @throws IllegalArgumentException if the request would be refused
   */
  void checkTaskRequest() {
    if (weight != null) {
      throw new IllegalArgumentException(
          "weight "
              + weight
              + " is a queue's share under the weighted lease strategy; a task type takes max"
              + " running, rate and burst");
    }
    checkBurstHasRate();
    if (maxRunning == null && ratePerSecond == null) {
      throw new IllegalArgumentException("task limits need at least one of max running, rate");
    }
  }

  private void checkBurstHasRate() {
    if (burst != null && (ratePerSecond == null || ratePerSecond.signum() == 0)) {
      throw new IllegalArgumentException(
          "burst "
              + burst
              + " needs a rate above 0 (a rate of 0 removes the limit, and its burst)");
    }
  }
}
