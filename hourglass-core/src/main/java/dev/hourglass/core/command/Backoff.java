package dev.hourglass.core.command;

/**
 * Retry delay: {@code min(cap, base * 2^failures)} where {@code failures} counts the failed
 * attempts so far, starting at 1 (so the first retry waits {@code 2 * base}, as the seed protocol
 * specifies). With jitter, the delay is scaled into [50%, 100%] by a hash of the job id and the
 * attempt number: spread out, yet the same on every replay and every replica.
 */
public record Backoff(long baseMillis, long capMillis, boolean jitter) {

  /** 1 s base, 1 h cap, no jitter. */
  public static final Backoff DEFAULT = new Backoff(1_000, 3_600_000, false);

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
    long raw = baseMillis == 0 ? 0 : (baseMillis > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE
        : baseMillis << shift);
    long capped = Math.min(raw, capMillis);
    if (!jitter || capped == 0) {
      return capped;
    }
    long h = mix(jobId.hashCode() * 31L + failures);
    double fraction = 0.5 + 0.5 * ((h >>> 11) * 0x1.0p-53);
    return (long) (capped * fraction);
  }

  /** SplitMix64's finaliser: a fixed, well-spread hash (not a random source). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
