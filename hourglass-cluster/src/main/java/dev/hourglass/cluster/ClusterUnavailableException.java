package dev.hourglass.cluster;

/**
 * A write was proposed but not committed in time: typically the leader lost its majority, or is
 * stepping down. The outcome is unknown: the entry may still commit later (a new leader may finish
 * replicating it) or be discarded. The HTTP server answers 503 with Retry-After; a client that
 * retries should make its writes idempotent (submit with an idempotency key).
 */
public final class ClusterUnavailableException extends RuntimeException {
  public ClusterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
