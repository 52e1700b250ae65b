package dev.hourglass.bench.peers;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A contender whose every submit call takes at least {@code delayMillis} more than {@code inner}'s,
 * and which counts the most submit calls it ever had in flight at once.
 */
final class SlowSubmits implements Contender {
  private final Contender inner;
  private final long delayMillis;
  private final int failFrom;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger inFlightMax = new AtomicInteger();

  SlowSubmits(Contender inner, long delayMillis) {
    this(inner, delayMillis, Integer.MAX_VALUE);
  }

  SlowSubmits(Contender inner, long delayMillis, int failFrom) {
    this.inner = inner;
    this.delayMillis = delayMillis;
    this.failFrom = failFrom;
  }

  int inFlightMax() {
    return inFlightMax.get();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public String durability() {
    return inner.durability();
  }

  @Override
  public String settings(int threads) {
    return inner.settings(threads);
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    inner.open(dir, threads);
  }

  @Override
  public void start() throws Exception {
    inner.start();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) throws Exception {
    inFlightMax.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      Thread.sleep(delayMillis);
      if (first + count > failFrom) {
        throw new IllegalStateException(
            "refused: job " + (first + count - 1) + " fails on purpose");
      }
      inner.submit(tag, first, count, dueMillis);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public void close() throws Exception {
    inner.close();
  }
}
