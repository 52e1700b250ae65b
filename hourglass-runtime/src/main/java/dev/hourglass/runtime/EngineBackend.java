package dev.hourglass.runtime;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the {@link EngineLoop} drives: the engine behind this node's own write-ahead log ({@link
 * LocalBackend}), or this node's replica of a Raft group ({@code ReplicatedBackend}, in
 * hourglass-cluster). The loop, the API and the long polls are the same for both; only where a
 * command becomes durable differs (an fsync here, or a commit on a majority).
 *
 * <p>Thread-safety: {@link #applyAll} is called only by the loop thread; the rest from any.
 */
public interface EngineBackend {

  /**
   * Makes the commands durable and applies them, in order; answers their outcomes.
   *
   * @throws EngineLoopException.NotServing when this node may not write now (a follower, or no
   *     leader), or {@link EngineLoopException.Unavailable} when no majority committed within the
   *     write timeout. The loop answers the batch with it and goes on; the node itself is fine.
   * @throws IOException when the local log failed: the loop stops, the node answers 503
   */
  List<Outcome> applyAll(List<Command> commands) throws IOException;

  /**
   * Like {@link #applyAll(List)}, and then, in the same durable step where the backend can, the
   * commands {@code followUp} chooses from the first ones' outcomes and the state they left: a
   * parked long poll that a job just submitted can serve. A single node makes all of them durable
   * with one force, so a job handed to a waiting worker costs one fsync instead of two. Answers the
   * outcomes of both, in order. {@code followUp} runs on the calling thread and may read the state
   * through {@link #read}.
   *
   * <p>The default never calls {@code followUp}: a replica's state machine applies only what a
   * majority already committed, so it cannot choose the second commands after the first applied and
   * still commit them together; the loop then retries its parked polls in its next batch.
   */
  default List<Outcome> applyAll(
      List<Command> commands, Function<List<Outcome>, List<Command>> followUp) throws IOException {
    return applyAll(commands);
  }

  /** Runs {@code query} against the applied state; do not let the queries object escape. */
  <T> T read(Function<EngineQueries, T> query);

  /** Whether this node serves the API now, and when it does not, which node does. */
  Leadership leadership();

  /**
   * Whether the loop may propose Ticks: a single node always; a replica only while it is the leader
   * and has applied every entry committed before its term (so a delayed job is neither fired twice
   * nor lost across a failover).
   */
  boolean mayTick();

  /** The position of the last durable command (log sequence number, or Raft applied index). */
  long position();

  /** This replica's id; "single" for a single node. */
  String nodeId();

  /** This node's view of its group, JSON-ready (the body of {@code GET /api/v1/cluster}). */
  Map<String, Object> clusterStatus();

  /**
   * Why this node can no longer apply anything (a replica whose applier failed or whose Raft server
   * stopped), or null. A single node's log failure shows as the loop's health.
   */
  default String failure() {
    return null;
  }

  /** Flushes and closes the log (and leaves the Raft group); idempotent enough for shutdown. */
  void close() throws IOException;
}
