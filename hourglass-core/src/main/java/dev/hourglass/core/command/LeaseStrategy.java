package dev.hourglass.core.command;

/**
 * How one lease divides a worker's capacity over the queues it serves. The rotation of {@link
 * #ROUND_ROBIN} and {@link #WEIGHTED} is the engine's, per worker, so it carries over from one
 * lease to the next, survives a restart and is the same on every replica.
 */
public enum LeaseStrategy {
  /** Highest priority first, then earliest deadline, then oldest, across all queues served. */
  PRIORITY,
  /** Oldest first (by submission), ignoring priority. */
  FIFO,
  /** One job from each queue with work it can run, in turn; priority order inside a queue. */
  ROUND_ROBIN,
  /** Like round robin, in proportion to each queue's weight, interleaved (smooth). */
  WEIGHTED
}
