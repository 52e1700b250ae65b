package dev.hourglass.runtime;

import java.net.URI;

/**
 * Whether this node serves now, and when it does not, which node does.
 *
 * @param serving this node accepts work (a single node always; a replica while it is the ready
 *     leader)
 * @param leaderId the leader's node id when this node is a follower that knows one, or this node's
 *     own id while it is an elected leader not ready yet; else null
 * @param leaderEndpoint where the leader's clients should go (its API base URL) when known, else
 *     null (then callers can only be told to retry)
 */
public record Leadership(boolean serving, String leaderId, URI leaderEndpoint) {
  /** A single node: it always serves, and there is no other node to point at. */
  public static final Leadership SINGLE_NODE = new Leadership(true, null, null);
}
