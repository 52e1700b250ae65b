package dev.hourglass.runtime;

import java.time.Duration;

/**
 * The bounds the {@link EngineLoop} enforces, each with the reason it exists. A shell's own limits
 * (an HTTP server's body sizes, connections) stay in the shell; it hands the loop these.
 *
 * @param inboxCapacity requests waiting for the loop. Why: beyond this the loop is behind by
 *     seconds; refusing ({@link EngineLoopException.Overloaded}) tells clients to back off instead
 *     of queueing unboundedly in memory
 * @param applyBatchMax commands per group commit (one fsync, or one Raft entry). Why: bounds the
 *     latency of the last command in a batch and the memory of one batch
 * @param applyBatchBytesMax approximate request bytes per group commit. Why: keeps one append well
 *     below the log's 256 MiB {@code appendAll} bound
 * @param parkedLeasesMax long polls parked at once. Why: each holds a connection and a thread
 *     somewhere; beyond this a worker is refused and retries with backoff
 * @param replyTimeout how long a caller waits for the loop's answer, and how long {@link
 *     EngineLoop#close} waits for the loop to finish. Why: every wait ends even if the disk stalls
 * @param tickSpacingMin the least time between two ticks. Why: a tick is a log record; when
 *     something is due every millisecond (retention at a high job rate) this caps ticks at 500/s
 *     while keeping due jobs within a few milliseconds of their time
 * @param idleWakeMax the loop wakes at least this often even when nothing is due. Why: a bound on
 *     every wait; also how late a shutdown can be noticed
 */
public record LoopLimits(
    int inboxCapacity,
    int applyBatchMax,
    long applyBatchBytesMax,
    int parkedLeasesMax,
    Duration replyTimeout,
    Duration tickSpacingMin,
    Duration idleWakeMax) {

  public static final LoopLimits DEFAULTS =
      new LoopLimits(
          16_384,
          4_096,
          64L << 20,
          10_000,
          Duration.ofSeconds(30),
          Duration.ofMillis(2),
          Duration.ofSeconds(1));

  public LoopLimits {
    if (inboxCapacity < 1
        || applyBatchMax < 1
        || applyBatchBytesMax < 1
        || parkedLeasesMax < 0
        || replyTimeout.compareTo(Duration.ofMillis(1)) < 0
        || tickSpacingMin.isNegative()
        || tickSpacingMin.compareTo(Duration.ofMillis(50)) > 0
        || idleWakeMax.compareTo(tickSpacingMin) < 0) {
      throw new IllegalArgumentException(
          ("invalid loop limits: inboxCapacity=%d"
                      + " applyBatchMax=%d applyBatchBytesMax=%d parkedLeasesMax=%d replyTimeout=%s"
                      + " tickSpacingMin=%s idleWakeMax=%s")
                  .formatted(
                      inboxCapacity,
                      applyBatchMax,
                      applyBatchBytesMax,
                      parkedLeasesMax,
                      replyTimeout,
                      tickSpacingMin,
                      idleWakeMax)
              + "; need positive capacities, a reply timeout of at least 1 ms, tick spacing in"
              + " [0, 50 ms] and not above the idle wake; the loop does not start");
    }
  }
}
