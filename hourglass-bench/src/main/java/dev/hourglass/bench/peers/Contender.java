package dev.hourglass.bench.peers;

import java.nio.file.Path;

/**
 * One scheduler under test, embedded in this JVM, running the no-op job that reports to {@link
 * Recorder#current}. A fresh instance (fresh storage) is opened for every workload.
 *
 * <p>Life cycle: {@link #open} creates the storage and the scheduler without executing anything;
 * {@link #submit} may be called before {@link #start} (the burst loads its jobs first) or after it
 * (steady and delayed submit while workers run); {@link #close} stops everything.
 */
interface Contender extends AutoCloseable {

  /** Row label, e.g. "Quartz JDBC (PostgreSQL)". */
  String name();

  /** Plainly what survives a crash, e.g. "in memory: nothing survives a crash". */
  String durability();

  /** The throughput-relevant settings with {@code threads} worker threads, for the report. */
  String settings(int threads);

  /** Creates storage under {@code dir} (which exists and is empty) and the scheduler. */
  void open(Path dir, int threads) throws Exception;

  /** Starts executing jobs with {@code threads} worker threads. */
  void start() throws Exception;

  /**
   * Submits jobs {@code first .. first+count-1}, named {@code tag-<id>}. {@code dueMillis} null
   * means due now (the system's "run now" path); otherwise {@code dueMillis[i]} is the epoch
   * millisecond at which job {@code first+i} becomes due. Returns once the system has accepted all
   * of them (for durable systems: once they are stored).
   */
  void submit(String tag, int first, int count, long[] dueMillis) throws Exception;

  @Override
  void close() throws Exception;
}
