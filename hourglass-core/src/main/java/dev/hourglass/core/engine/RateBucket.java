package dev.hourglass.core.engine;

import dev.hourglass.core.command.RateLimit;

/**
 * A token bucket refilled from command time: at most {@code rate} jobs per second on average and at
 * most {@code burst} at once.
 *
 * <p>Implementation notes. Tokens are counted in units of a millionth of a job, and the rate is in
 * thousandths of a job per second, so one millisecond adds exactly {@code milliPerSecond} units:
 * integer arithmetic, the same on every replica and on replay. The bucket is refilled lazily, only
 * when a lease takes a token ({@link #take}); reads ({@link #hasToken}, {@link #nextTokenAtMillis})
 * compute the level at a given time without changing anything, so a poll that is held back writes
 * nothing. A new bucket starts full.
 */
final class RateBucket {
  /** Units per job. */
  static final long UNIT = 1_000_000;

  static final long MILLI_PER_SECOND_MAX = RateLimit.MILLI_PER_SECOND_MAX;
  static final int BURST_MAX = RateLimit.BURST_MAX;

  final RateLimit limit;
  long units;
  long refilledAtMillis;

  RateBucket(RateLimit limit, long nowMillis) {
    this.limit = limit;
    this.units = capacity();
    this.refilledAtMillis = nowMillis;
  }

  private long capacity() {
    return limit.burst() * UNIT;
  }

  /** The level at {@code atMillis} (not before the last refill), without changing anything. */
  long unitsAt(long atMillis) {
    long elapsed = atMillis - refilledAtMillis;
    if (elapsed <= 0) {
      return units;
    }
    long missing = capacity() - units;
    // Compare before multiplying: elapsed can be years, and rate x years overflows.
    if (elapsed >= (missing + limit.milliPerSecond() - 1) / limit.milliPerSecond()) {
      return capacity();
    }
    return units + elapsed * limit.milliPerSecond();
  }

  boolean hasToken(long atMillis) {
    return unitsAt(atMillis) >= UNIT;
  }

  /** When a token will be there: {@code atMillis} itself when one is there already. */
  long nextTokenAtMillis(long atMillis) {
    long level = unitsAt(atMillis);
    if (level >= UNIT) {
      return atMillis;
    }
    long from = Math.max(atMillis, refilledAtMillis);
    return from + (UNIT - level + limit.milliPerSecond() - 1) / limit.milliPerSecond();
  }

  /** Takes one token at {@code nowMillis}; the caller has checked {@link #hasToken}. */
  void take(long nowMillis) {
    units = unitsAt(nowMillis) - UNIT;
    refilledAtMillis = Math.max(refilledAtMillis, nowMillis);
    Invariants.check(units >= 0, "rate bucket went negative: units=%d limit=%s", units, limit);
  }

  static String problem(String scope, String name, RateLimit r) {
    if (r == null) {
      return "the rate limit of " + scope + " " + name + " is missing";
    }
    if (r.isNone()) {
      return r.burst() == 0
          ? null
          : "burst=" + r.burst() + " of " + scope + " " + name + " needs a rate_per_second above 0";
    }
    if (r.milliPerSecond() < 0 || r.milliPerSecond() > MILLI_PER_SECOND_MAX) {
      return "rate_per_second=%s of %s %s is outside [0.001, %d]"
          .formatted(r.milliPerSecond() / 1000.0, scope, name, MILLI_PER_SECOND_MAX / 1000);
    }
    if (r.burst() < 1 || r.burst() > BURST_MAX) {
      return "burst=%d of %s %s is outside [1, %d]".formatted(r.burst(), scope, name, BURST_MAX);
    }
    return null;
  }
}
