package dev.hourglass.core.command;

/**
 * A token bucket: on average at most {@code ratePerSecond} jobs start per second, and at most
 * {@code burst} at once after a quiet spell. The rate is held in thousandths of a job per second so
 * that refills are exact integer arithmetic on every replica (no floating point in the state).
 *
 * @param milliPerSecond the rate in thousandths of a job per second; 0 means no limit
 * @param burst the bucket's size in jobs, at least 1 when there is a rate
 */
public record RateLimit(long milliPerSecond, int burst) {
  /** No rate limit. */
  public static final RateLimit NONE = new RateLimit(0, 0);

  /** Bounds the rate (a million jobs a second, in thousandths) so that a refill never overflows. */
  public static final long MILLI_PER_SECOND_MAX = 1_000_000_000L;

  /** Bounds the burst: a burst is a handful of jobs, not a backlog. */
  public static final int BURST_MAX = 1_000_000;

  public boolean isNone() {
    return milliPerSecond == 0;
  }
}
