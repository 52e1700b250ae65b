package dev.hourglass.cli.commands;

import dev.hourglass.client.QueueLimits;
import java.math.BigDecimal;
import picocli.CommandLine.Option;

/**
 * The limits a queue and a task type share, for {@code hourglass queues limits} and {@code
 * hourglass queues task-limits}: concurrency over all workers, and a rate limit with its burst. A
 * picocli mixin, so both commands take the same options with the same ranges and help; the values
 * are checked by {@link QueueLimits}, before any request.
 */
final class LimitOptions {
  @Option(
      names = "--max-running",
      paramLabel = "N",
      description = "At most N of its jobs run at once over all workers; 0 removes the limit.")
  Integer maxRunning;

  @Option(
      names = {"--rate", "--rate-per-second"},
      paramLabel = "PER_SECOND",
      description =
          "Jobs that may start per second on average, 0.001 to 1000000 in steps of 0.001;"
              + " 0 removes the limit.")
  BigDecimal rate;

  @Option(
      names = "--burst",
      paramLabel = "N",
      description =
          "Jobs that may start at once, 1 to 1000000; needs --rate (default: the rate rounded"
              + " up).")
  Integer burst;

  /**
   * The limits given, with a queue's weight (null for a task type, which has none).
   *
   * @throws IllegalArgumentException if a value is out of bounds
   */
  QueueLimits limits(Integer weight) {
    return new QueueLimits(maxRunning, weight, rate, burst);
  }

  /** Whether no option was given. */
  boolean none() {
    return maxRunning == null && rate == null && burst == null;
  }

  /** "rate 10/s burst 20", or "no rate limit": a rate as the user wrote it, without zeros. */
  static String rateText(Double ratePerSecond, Integer burst) {
    return ratePerSecond == null
        ? "no rate limit"
        : "rate " + perSecond(ratePerSecond) + " burst " + burst;
  }

  /** "10/s", "2.5/s": a rate as the user wrote it, without trailing zeros. */
  static String perSecond(double ratePerSecond) {
    return BigDecimal.valueOf(ratePerSecond).stripTrailingZeros().toPlainString() + "/s";
  }
}
