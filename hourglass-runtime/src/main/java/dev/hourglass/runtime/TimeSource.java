package dev.hourglass.runtime;

import dev.hourglass.core.id.JobIds;

/**
 * The clocks a shell injects into the runtime: the engine has none, so every timestamp a command
 * carries, every wait and every generated job id comes from here. Tests and simulations pass a
 * manual one; {@link #system()} is the real thing.
 *
 * <p>Thread-safety: implementations must be safe to call from any thread.
 */
public interface TimeSource {

  /** Wall-clock milliseconds since the epoch: what commands are stamped with. */
  long wallMillis();

  /** A monotonic reading in nanoseconds, for deadlines and durations only. */
  long monotonicNanos();

  /**
   * Time-ordered job ids (UUIDv7) on this source's wall clock, with each thread's own random
   * generator (see {@link JobIds#withThreadLocalRandom}).
   */
  default JobIds jobIds() {
    return JobIds.withThreadLocalRandom(this::wallMillis);
  }

  /** The JVM's clocks: {@link System#currentTimeMillis()} and {@link System#nanoTime()}. */
  static TimeSource system() {
    return SystemTime.INSTANCE;
  }

  /** The one place outside tests that reads the machine's clocks for the engine. */
  enum SystemTime implements TimeSource {
    INSTANCE;

    @Override
    public long wallMillis() {
      return System.currentTimeMillis();
    }

    @Override
    public long monotonicNanos() {
      return System.nanoTime();
    }
  }
}
