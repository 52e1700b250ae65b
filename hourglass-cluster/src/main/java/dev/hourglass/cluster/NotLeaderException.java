package dev.hourglass.cluster;

/**
 * This replica is not the leader, so it cannot accept a write. The HTTP server answers 307 to
 * {@link #leaderAddress()} when a leader is known, and 503 with Retry-After when it is not. Nothing
 * was proposed: retrying on the leader is safe.
 */
public final class NotLeaderException extends RuntimeException {
  private final String leaderId;
  private final String leaderAddress;

  public NotLeaderException(String nodeId, String leaderId, String leaderAddress) {
    super(
        "not leader: node="
            + nodeId
            + " leader="
            + leaderId
            + " leaderAddress="
            + leaderAddress
            + (leaderId == null
                ? "; no leader elected yet, retry shortly"
                : "; send writes there"));
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }

  /** The leader's node id, or null while there is none. */
  public String leaderId() {
    return leaderId;
  }

  /** The leader's Raft address (host:port), or null while there is none. */
  public String leaderAddress() {
    return leaderAddress;
  }
}
