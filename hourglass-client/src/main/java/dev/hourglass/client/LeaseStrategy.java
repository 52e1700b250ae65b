package dev.hourglass.client;

import java.util.Locale;

/**
 * How one lease divides a worker's capacity over the queues it serves. The server keeps the
 * rotation of {@link #ROUND_ROBIN} and {@link #WEIGHTED} per worker, so a worker that leases one
 * job at a time still alternates between its queues.
 */
public enum LeaseStrategy {
  /** Highest priority first, then earliest deadline, then oldest (the default). */
  PRIORITY,
  /** Oldest first, ignoring priority. */
  FIFO,
  /** One job from each queue with ready work in turn; priority order inside a queue. */
  ROUND_ROBIN,
  /** Like round robin, in proportion to each queue's weight, interleaved. */
  WEIGHTED;

  /**
   * The name the HTTP API uses.
   *
   * @return the lower-case name, e.g. {@code round_robin}
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
