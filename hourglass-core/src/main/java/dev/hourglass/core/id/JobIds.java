package dev.hourglass.core.id;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Generates time-ordered UUIDv7 job ids (RFC 9562): 48 bits of milliseconds, then random bits, so
 * ids sort roughly by creation time and never collide in practice. Used by whoever proposes a
 * submit (server, CLI, node), never inside the engine, whose replay must not depend on a random
 * source. Thread-safe.
 */
public final class JobIds {
  private final LongSupplier clockMillis;
  private final RandomGenerator random;

  public JobIds(LongSupplier clockMillis, RandomGenerator random) {
    this.clockMillis = clockMillis;
    this.random = random;
  }

  /** Wall clock and a secure random source. */
  public static JobIds systemDefault() {
    return new JobIds(System::currentTimeMillis, new SecureRandom());
  }

  public String next() {
    long millis = clockMillis.getAsLong();
    long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }
}
