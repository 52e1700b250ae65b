package dev.hourglass.server;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the {@link ApplyLoop} drives: the engine behind this node's own write-ahead log ({@link
 * LocalBackend}), or this node's replica of a Raft group ({@link ReplicatedBackend}). The loop,
 * the API and the long polls are the same for both; only where a command becomes durable
 * differs (an fsync here, or a commit on a majority).
 *
 * <p>Thread-safety: {@link #applyAll} is called only by the loop thread; the rest from any.
 */
sealed interface EngineBackend permits LocalBackend, ReplicatedBackend {

  /**
   * Makes the commands durable and applies them, in order; answers their outcomes.
   *
   * @throws ApiException when this node may not write now (a follower: 307 to the leader; no
   *     leader, or no majority within the write timeout: 503). The loop answers the batch with
   *     it and goes on; the node itself is fine.
   * @throws IOException when the local log failed: the loop stops, the node answers 503
   */
  List<Outcome> applyAll(List<Command> commands) throws IOException;

  /** Runs {@code query} against the applied state; do not let the queries object escape. */
  <T> T read(Function<EngineQueries, T> query);

  /** Whether this node serves the API now, and when it does not, which node does. */
  Leadership leadership();

  /**
   * Whether the loop may propose Ticks: a single node always; a replica only while it is the
   * leader and has applied every entry committed before its term (so a delayed job is neither
   * fired twice nor lost across a failover).
   */
  boolean mayTick();

  /** The position of the last durable command (log sequence number, or Raft applied index). */
  long position();

  /** This replica's id; "single" for a single node. */
  String nodeId();

  /** The body of {@code GET /api/v1/cluster}. */
  Map<String, Object> clusterStatus();

  /**
   * Why this node can no longer apply anything (a replica whose applier failed or whose Raft
   * server stopped), or null. A single node's log failure shows as the apply loop's health.
   */
  default String failure() {
    return null;
  }

  /** Flushes and closes the log (and leaves the Raft group); idempotent enough for shutdown. */
  void close() throws IOException;

  /**
   * @param serving this node accepts API calls
   * @param leaderId the leader's node id when this node is a follower that knows one, else null
   * @param leaderHttp the leader's API base URL when known, else null (then the answer is 503)
   */
  record Leadership(boolean serving, String leaderId, URI leaderHttp) {
    static final Leadership SINGLE_NODE = new Leadership(true, null, null);
  }
}
