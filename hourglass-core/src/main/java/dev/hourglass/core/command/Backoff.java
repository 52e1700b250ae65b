package dev.hourglass.core.command;

/**
 * Retry delay: {@code d = min(cap, base * 2^failures)} where {@code failures} counts the failed
 * attempts so far, starting at 1 (so the first retry waits {@code 2 * base}, as the message
 * protocol of docs/PROTOCOL.md specifies). With jitter ("full jitter"), the delay is drawn from
 * {@code [0, d]} instead, so that jobs which failed together (a dependency went down) do not all
 * retry together. The draw is not random: it is a hash of the job id and the failure count, so it
 * is spread out over jobs and attempts, yet the same on every replay of the log and on every
 * replica.
 */
public record Backoff(long baseMillis, long capMillis, boolean jitter) {

  /** 1 s base, 1 h cap, no jitter: the engine's default, which the node protocol relies on. */
  public static final Backoff DEFAULT = new Backoff(1_000, 3_600_000, false);

  /** 1 s base, 1 h cap, with jitter: the HTTP API's default. */
  public static final Backoff DEFAULT_JITTERED = new Backoff(1_000, 3_600_000, true);

  public Backoff {
    if (baseMillis < 0 || capMillis < 0) {
      throw new IllegalArgumentException(
          "backoff must not be negative: baseMillis=" + baseMillis + " capMillis=" + capMillis);
    }
  }

  /** The delay before the retry that follows failure number {@code failures} (1-based). */
  public long delayMillis(String jobId, int failures) {
    // Shift at most 62 so that base << shift cannot overflow into the sign bit unnoticed.
    int shift = Math.min(Math.max(failures, 0), 62);
    long raw =
        baseMillis == 0
            ? 0
            : (baseMillis > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : baseMillis << shift);
    long capped = Math.min(raw, capMillis);
    if (!jitter || capped == 0) {
      return capped;
    }
    long h = mix(jobId.hashCode() * 31L + failures);
    double fraction = (h >>> 11) * 0x1.0p-53; // uniform in [0, 1)
    return Math.min(capped, (long) (capped * fraction));
  }

  /**
   * The same backoff, interned when it is one of the two defaults (a job holds its backoff, and
   * millions of jobs with the default should share one object).
   */
  public static Backoff of(long baseMillis, long capMillis, boolean jitter) {
    if (baseMillis == DEFAULT.baseMillis && capMillis == DEFAULT.capMillis) {
      return jitter ? DEFAULT_JITTERED : DEFAULT;
    }
    return new Backoff(baseMillis, capMillis, jitter);
  }

  /** SplitMix64's finaliser: a fixed, well-spread hash (not a random source). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
