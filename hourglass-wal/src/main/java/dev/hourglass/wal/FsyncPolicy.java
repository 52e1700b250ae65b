package dev.hourglass.wal;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * When the log forces appended bytes to stable storage, and therefore when an append's future
 * completes. All variants are immutable and thread-safe.
 */
public sealed interface FsyncPolicy {

  /**
   * Every flush of the group-commit buffer is followed by {@code force(false)} before any of its
   * futures complete. Concurrent appenders share one fsync.
   */
  record Always() implements FsyncPolicy {
    @Override
    public String toString() {
      return "always";
    }
  }

  /**
   * Fsync at most once per {@code maxDelay}; futures complete after the fsync that covers them, so
   * an acknowledgement is still durable but may wait up to {@code maxDelay} longer.
   */
  record Batch(Duration maxDelay) implements FsyncPolicy {
    /** Why: beyond a second an acknowledged client waits longer than any sensible HTTP timeout. */
    public static final Duration MAX_DELAY_MAX = Duration.ofSeconds(1);

    public Batch {
      Objects.requireNonNull(maxDelay, "maxDelay");
      if (maxDelay.isNegative() || maxDelay.isZero() || maxDelay.compareTo(MAX_DELAY_MAX) > 0) {
        throw new IllegalArgumentException(
            "invalid fsync batch delay: maxDelay=%s bound=(0, %s]; use \"always\" for no delay"
                .formatted(maxDelay, MAX_DELAY_MAX));
      }
    }

    @Override
    public String toString() {
      // Round-trips through parse(): whole milliseconds print as ms, anything finer as us.
      long micros = maxDelay.toNanos() / 1_000;
      return micros % 1_000 == 0 ? "batch(" + micros / 1_000 + "ms)" : "batch(" + micros + "us)";
    }
  }

  /**
   * FOR TESTS AND BENCHMARKS ONLY: bytes reach the page cache and futures complete after the write,
   * with no fsync. A process crash loses nothing, a power loss or kernel crash loses acknowledged
   * records. Never use it in production.
   */
  record NeverUnsafeForTests() implements FsyncPolicy {
    @Override
    public String toString() {
      return "never";
    }
  }

  /**
   * Parses {@code "always"}, {@code "never"} or {@code "batch(<n>ms)"} (also {@code us}, {@code
   * s}).
   *
   * @throws IllegalArgumentException for anything else
   */
  static FsyncPolicy parse(String s) {
    Objects.requireNonNull(s, "s");
    var text = s.strip().toLowerCase(Locale.ROOT);
    switch (text) {
      case "always":
        return new Always();
      case "never":
        return new NeverUnsafeForTests();
      default:
        break;
    }
    if (!text.startsWith("batch(") || !text.endsWith(")")) {
      throw invalid(s);
    }
    var inner = text.substring("batch(".length(), text.length() - 1).strip();
    int unitStart = 0;
    while (unitStart < inner.length() && Character.isDigit(inner.charAt(unitStart))) {
      unitStart++;
    }
    // Why 9 digits: more than a second in any unit is rejected by Batch anyway; this keeps the
    // multiplication below from overflowing.
    if (unitStart == 0 || unitStart > 9) {
      throw invalid(s);
    }
    long amount = Long.parseLong(inner.substring(0, unitStart));
    var delay =
        switch (inner.substring(unitStart).strip()) {
          case "us" -> Duration.ofNanos(amount * 1_000);
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          default -> throw invalid(s);
        };
    return new Batch(delay);
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException(
        "invalid fsync policy: value=\"%s\"; expected always, never or batch(<n>ms|us|s)"
            .formatted(s));
  }
}
