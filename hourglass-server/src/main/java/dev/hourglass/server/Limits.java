package dev.hourglass.server;

import dev.hourglass.runtime.LoopLimits;
import java.time.Duration;

/**
 * Every bound the server enforces, in one place, each with the reason it exists. A test asserts how
 * they relate ({@code LimitsTest}). The engine loop's own bounds ({@link LoopLimits}: inbox, batch,
 * parked long polls, reply timeout, tick spacing, idle wake) are part of it and handed to the loop
 * by {@link #loop()}; the rest are the HTTP face's (bodies, admission, connections).
 *
 * @param payloadBytesMax one job's payload (its JSON text, UTF-8). Why: a job queue carries
 *     references to data, not the data; 1 MiB keeps one bad client from exhausting memory and keeps
 *     a log record small enough to fsync quickly
 * @param bodyBytesMax one request body other than a batch submit: a payload plus room for the other
 *     fields. Why: checked from Content-Length before anything is read
 * @param batchBodyBytesMax one {@code jobs:batch} body. Why: 16 MiB holds 10,000 small jobs (the
 *     engine's batch limit) and stays far below the log's 256 MiB per-append bound
 * @param inboxCapacity requests waiting for the apply loop. Why: beyond this the loop is behind by
 *     seconds; answering 503 with Retry-After tells clients to back off instead of queueing
 *     unboundedly in memory
 * @param applyBatchMax commands per group commit (one fsync). Why: bounds the latency of the last
 *     command in a batch and the memory of one batch
 * @param applyBatchBytesMax approximate request bytes per group commit. Why: keeps one append well
 *     below the log's 256 MiB {@code appendAll} bound
 * @param parkedLeasesMax long polls parked at once. Why: each holds a connection and a virtual
 *     thread; beyond this a worker gets 503 and retries with backoff
 * @param leaseWaitMax the longest {@code wait_ms} of a long poll. Why: proxies and clients time out
 *     idle requests after about a minute
 * @param replyTimeout how long a handler waits for the apply loop before answering 503. Why: an
 *     HTTP call must end even if the disk stalls
 * @param tickSpacingMin the least time between two ticks. Why: a tick is a log record; when
 *     something is due every millisecond (retention at a high job rate) this caps ticks at 500/s
 *     while keeping due jobs within a few milliseconds of their time
 * @param idleWakeMax the loop wakes at least this often even when nothing is due. Why: a bound on
 *     every wait; also how late a shutdown can be noticed
 * @param timedJobsMax jobs whose ready and start times are remembered for the wait-time and
 *     run-time histograms. Why: a million READY jobs must not cost a million map entries; past this
 *     the histograms sample
 * @param requestsInFlightMax API calls being handled at once, long polls not counted (they are
 *     bounded by {@code parkedLeasesMax}). Why: above capacity an open-ended queue only makes every
 *     caller wait longer until they time out, retry and add to it (a replica set measured 39,332
 *     connections and no answers); refusing the excess at once with 503 and Retry-After is cheap
 *     and keeps the work that is admitted fast
 * @param connectionsMax TCP connections open at once; past it the server stops accepting until one
 *     closes. Why: each connection costs a socket, buffers and a virtual thread; this leaves room
 *     for every parked long poll and every admitted call
 */
public record Limits(
    int payloadBytesMax,
    int bodyBytesMax,
    int batchBodyBytesMax,
    int inboxCapacity,
    int applyBatchMax,
    long applyBatchBytesMax,
    int parkedLeasesMax,
    Duration leaseWaitMax,
    Duration replyTimeout,
    Duration tickSpacingMin,
    Duration idleWakeMax,
    int timedJobsMax,
    int requestsInFlightMax,
    int connectionsMax) {

  public static final Limits DEFAULTS =
      new Limits(
          1 << 20,
          (1 << 20) + (64 << 10),
          16 << 20,
          16_384,
          4_096,
          64L << 20,
          10_000,
          Duration.ofSeconds(60),
          Duration.ofSeconds(30),
          Duration.ofMillis(2),
          Duration.ofSeconds(1),
          100_000,
          4_096,
          16_384);

  public Limits {
    if (payloadBytesMax < 1
        || bodyBytesMax <= payloadBytesMax
        || batchBodyBytesMax < bodyBytesMax
        || inboxCapacity < 1
        || applyBatchMax < 1
        || applyBatchBytesMax < batchBodyBytesMax
        || parkedLeasesMax < 0
        || leaseWaitMax.isNegative()
        || replyTimeout.compareTo(Duration.ofMillis(1)) < 0
        || tickSpacingMin.isNegative()
        || tickSpacingMin.compareTo(Duration.ofMillis(50)) > 0
        || idleWakeMax.compareTo(tickSpacingMin) < 0
        || timedJobsMax < 0
        || requestsInFlightMax < 1
        || connectionsMax < parkedLeasesMax + requestsInFlightMax) {
      throw new IllegalArgumentException(
          ("invalid server limits: payloadBytesMax=%d"
                      + " bodyBytesMax=%d batchBodyBytesMax=%d inboxCapacity=%d applyBatchMax=%d"
                      + " applyBatchBytesMax=%d parkedLeasesMax=%d leaseWaitMax=%s replyTimeout=%s"
                      + " tickSpacingMin=%s idleWakeMax=%s timedJobsMax=%d requestsInFlightMax=%d"
                      + " connectionsMax=%d")
                  .formatted(
                      payloadBytesMax,
                      bodyBytesMax,
                      batchBodyBytesMax,
                      inboxCapacity,
                      applyBatchMax,
                      applyBatchBytesMax,
                      parkedLeasesMax,
                      leaseWaitMax,
                      replyTimeout,
                      tickSpacingMin,
                      idleWakeMax,
                      timedJobsMax,
                      requestsInFlightMax,
                      connectionsMax)
              + "; need body > payload, batch body >= body, batch bytes >= batch body, tick spacing"
              + " in [0, 50 ms] and not above the idle wake, connections >= parked long polls +"
              + " requests in flight; the server does not start");
    }
  }

  /** The bounds the engine loop enforces, a part of these. */
  public LoopLimits loop() {
    return new LoopLimits(
        inboxCapacity,
        applyBatchMax,
        applyBatchBytesMax,
        parkedLeasesMax,
        replyTimeout,
        tickSpacingMin,
        idleWakeMax);
  }

  /** The same limits with another payload bound (and a body bound that fits it). */
  public Limits withPayloadBytesMax(int bytes) {
    int body = bytes + (64 << 10);
    return new Limits(
        bytes,
        body,
        Math.max(batchBodyBytesMax, body),
        inboxCapacity,
        applyBatchMax,
        Math.max(applyBatchBytesMax, Math.max(batchBodyBytesMax, body)),
        parkedLeasesMax,
        leaseWaitMax,
        replyTimeout,
        tickSpacingMin,
        idleWakeMax,
        timedJobsMax,
        requestsInFlightMax,
        connectionsMax);
  }

  /** The same limits admitting at most {@code max} API calls at once (long polls aside). */
  public Limits withRequestsInFlightMax(int max) {
    return new Limits(
        payloadBytesMax,
        bodyBytesMax,
        batchBodyBytesMax,
        inboxCapacity,
        applyBatchMax,
        applyBatchBytesMax,
        parkedLeasesMax,
        leaseWaitMax,
        replyTimeout,
        tickSpacingMin,
        idleWakeMax,
        timedJobsMax,
        max,
        connectionsMax);
  }
}
