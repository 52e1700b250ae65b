package dev.hourglass.sim;

import dev.hourglass.runtime.TimeSource;

/**
 * A clock a test sets by hand, for an engine loop it pumps itself ({@code EngineLoop.driven}), so
 * nothing ever waits on it. Monotonic time moves with the wall time, from an arbitrary origin.
 */
final class HandClock implements TimeSource {
  private final long startMillis;
  private long millis;

  HandClock(long startMillis) {
    this.startMillis = startMillis;
    this.millis = startMillis;
  }

  void set(long millis) {
    this.millis = millis;
  }

  @Override
  public long wallMillis() {
    return millis;
  }

  @Override
  public long monotonicNanos() {
    return 1_000_000_000L + (millis - startMillis) * 1_000_000;
  }
}
