package dev.hourglass.core.id;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
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

  /**
   * Ids on the caller's wall clock with each thread's {@link ThreadLocalRandom}. The clock is
   * passed in (the shells' time source, {@code dev.hourglass.runtime.TimeSource#jobIds}) because
   * core reads no clock. Why not {@code SecureRandom}: ids need to be unique, not secret (access is
   * guarded by tokens, not by unguessable ids), and a shared {@code SecureRandom} ({@code
   * NativePRNG}, one lock) took about a fifth of the server's CPU in batched submits (JFR,
   * docs/BENCHMARKS.md). 74 random bits per millisecond keep a collision out of reach, and the
   * engine refuses a duplicate id rather than overwriting a job.
   */
  public static JobIds withThreadLocalRandom(LongSupplier clockMillis) {
    return new JobIds(clockMillis, ThreadLocalRandomSource.INSTANCE);
  }

  /** Delegates to the calling thread's generator, so no lock is shared between threads. */
  private enum ThreadLocalRandomSource implements RandomGenerator {
    INSTANCE;

    @Override
    public long nextLong() {
      return ThreadLocalRandom.current().nextLong();
    }
  }

  public String next() {
    long millis = clockMillis.getAsLong();
    long msb = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }
}
