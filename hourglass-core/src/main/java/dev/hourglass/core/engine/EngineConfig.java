package dev.hourglass.core.engine;

import dev.hourglass.core.id.Ids;

/**
 * The engine's settings and bounds. They are part of the deterministic state: every replica and
 * every replay must use the same values, so they are fixed when the engine is created and written
 * into its snapshots.
 *
 * @param retentionMillis how long SUCCEEDED and CANCELLED jobs stay queryable before eviction;
 *     bounds memory for a scheduler that runs forever
 * @param defaultLeaseMillis lease length when a command gives 0
 * @param defaultWorkerTimeoutMillis a worker silent this long is declared dead
 * @param misfireThresholdMillis how late the latest due cron firing may be and still count as on
 *     time; a later one, and every firing overtaken by a later one, is missed and handled by the
 *     schedule's catch-up policy (Quartz uses the same idea, with 60 s). 0 means only a firing
 *     applied at its exact millisecond is on time
 * @param payloadBytesMax bounds one job's payload so one bad client cannot exhaust memory
 * @param finishedJobsMax at most this many SUCCEEDED and CANCELLED jobs are kept, whatever their
 *     age: at a million jobs a second no time-based retention alone can bound memory
 * @param workerRetentionMillis a dead worker is forgotten this long after it was due to be heard
 *     from, so a fleet whose worker ids churn does not grow the engine forever; until then it is
 *     listed as dead and comes back to life when heard from
 */
public record EngineConfig(
    long retentionMillis,
    long defaultLeaseMillis,
    long defaultWorkerTimeoutMillis,
    long misfireThresholdMillis,
    int payloadBytesMax,
    int finishedJobsMax,
    long workerRetentionMillis) {

  /** Bounds a single id, queue or task name: they are keys, not documents (see {@link Ids}). */
  public static final int NAME_LENGTH_MAX = Ids.ID_BYTES_MAX;

  /** Bounds fan-in of one job; larger DAG joins are better modelled as stages. */
  public static final int DEPENDENCIES_MAX = 1_000;

  /** Bounds one batch submit, and so the size of one log record. */
  public static final int BATCH_SIZE_MAX = 10_000;

  /** Bounds attempts; beyond this, a job is a poison pill and belongs in the dead-letter queue. */
  public static final int ATTEMPTS_MAX = 1_000;

  /** Bounds missed cron firings enumerated after downtime, so one tick stays short. */
  public static final int CATCH_UP_FIRINGS_MAX = 10_000;

  /** Bounds how many jobs one lease command grants. */
  public static final int LEASE_BATCH_MAX = 10_000;

  /** Bounds priority so it fits comfortably in the ordering keys. */
  public static final int PRIORITY_MAX = 1_000_000;

  public static final EngineConfig DEFAULTS =
      new EngineConfig(24 * 3_600_000L, 30_000, 30_000, 60_000, 1 << 20, 1_000_000, 3_600_000);

  public EngineConfig {
    if (retentionMillis < 0
        || defaultLeaseMillis <= 0
        || defaultWorkerTimeoutMillis <= 0
        || misfireThresholdMillis < 0
        || payloadBytesMax <= 0
        || finishedJobsMax < 0
        || workerRetentionMillis < 0) {
      throw new IllegalArgumentException("invalid engine config: " + this);
    }
  }

  public EngineConfig withRetentionMillis(long millis) {
    return new EngineConfig(
        millis,
        defaultLeaseMillis,
        defaultWorkerTimeoutMillis,
        misfireThresholdMillis,
        payloadBytesMax,
        finishedJobsMax,
        workerRetentionMillis);
  }

  public EngineConfig withPayloadBytesMax(int bytes) {
    return new EngineConfig(
        retentionMillis,
        defaultLeaseMillis,
        defaultWorkerTimeoutMillis,
        misfireThresholdMillis,
        bytes,
        finishedJobsMax,
        workerRetentionMillis);
  }

  public EngineConfig withMisfireThresholdMillis(long millis) {
    return new EngineConfig(
        retentionMillis,
        defaultLeaseMillis,
        defaultWorkerTimeoutMillis,
        millis,
        payloadBytesMax,
        finishedJobsMax,
        workerRetentionMillis);
  }

  public EngineConfig withFinishedJobsMax(int max) {
    return new EngineConfig(
        retentionMillis,
        defaultLeaseMillis,
        defaultWorkerTimeoutMillis,
        misfireThresholdMillis,
        payloadBytesMax,
        max,
        workerRetentionMillis);
  }

  public EngineConfig withWorkerRetentionMillis(long millis) {
    return new EngineConfig(
        retentionMillis,
        defaultLeaseMillis,
        defaultWorkerTimeoutMillis,
        misfireThresholdMillis,
        payloadBytesMax,
        finishedJobsMax,
        millis);
  }
}
