package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.node.JsonValueReader.Item;
import dev.hourglass.node.JsonValueReader.Malformed;
import dev.hourglass.node.JsonValueReader.Value;
import dev.hourglass.node.ProtocolException.ErrorKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The protocol node: turns each input item into at most one reply, by commands on the engine.
 *
 * <p>Every message gets exactly one reply line, except {@code init} without a {@code msg_id}
 * (Maelstrom's rule). A request that cannot be served gets a Maelstrom {@code error} body and the
 * node goes on; only a failure to write the log stops it ({@link #failed()}), because nothing it
 * answers afterwards could be made durable.
 *
 * <p>State: the engine host (null between {@code scheduler_crash} and {@code scheduler_restart},
 * which is the point: nothing of the scheduler survives in memory), and the simulated replica set
 * of {@code leader_crash}, which models the other replicas of the cluster rather than scheduler
 * state, so a scheduler crash does not reset it. Not thread-safe: one thread reads input and calls
 * {@link #handle}.
 */
final class Node implements AutoCloseable {
  static final List<String> MESSAGE_TYPES =
      List.of(
          "init",
          "assign_job",
          "ack_assignment",
          "scheduler_crash",
          "scheduler_restart",
          "leader_crash",
          "schedule_job",
          "execute_jobs",
          "execute_job");

  /**
   * The engine's settings for this protocol; part of the log's deterministic state, so a data
   * directory must always be opened with them.
   *
   * <ul>
   *   <li>Workers never time out: the protocol has no heartbeats, and an assignment must survive
   *       any amount of protocol time passing (a far-future {@code execute_jobs}).
   *   <li>Misfire threshold 0: every cron firing an {@code execute_jobs} finds in the past counts
   *       as missed, so catch-up ONCE runs a cron job once per call and moves it to its next
   *       firing, as the protocol describes, however much time passed.
   * </ul>
   */
  static final EngineConfig ENGINE_CONFIG =
      new EngineConfig(
          EngineConfig.DEFAULTS.retentionMillis(),
          EngineConfig.DEFAULTS.defaultLeaseMillis(),
          Long.MAX_VALUE,
          0,
          EngineConfig.DEFAULTS.payloadBytesMax(),
          EngineConfig.DEFAULTS.finishedJobsMax(),
          EngineConfig.DEFAULTS.workerRetentionMillis());

  private final EngineHost.Opener opener;
  private final LongSupplier wallClock;
  private final Scheduling scheduling;
  private EngineHost host;
  private ReplicaSet replicas = ReplicaSet.NONE;
  private boolean failed;

  Node(
      EngineHost.Opener opener,
      LongSupplier wallClock,
      Supplier<String> jobIds,
      ObjectMapper mapper) {
    this.opener = opener;
    this.wallClock = wallClock;
    this.scheduling = new Scheduling(jobIds, mapper);
  }

  /** Recovers the engine from the log; done before the first message is read. */
  void start() throws IOException {
    host = opener.open();
  }

  /** Jobs the engine holds, for the start-up summary. */
  int jobsHeld() {
    return host == null ? 0 : host.queries().jobsHeld();
  }

  /** True once the log could not be written: the caller must stop reading input. */
  boolean failed() {
    return failed;
  }

  /** The reply to one input item, or null when none is due. */
  ObjectNode handle(Item item) {
    Request request = null;
    try {
      request =
          switch (item) {
            case Malformed m -> throw Request.malformed("input is not JSON: " + m.detail());
            case Value v -> Request.of(v.json());
          };
      return dispatch(request);
    } catch (ProtocolException e) {
      return error(request, e.kind(), e.getMessage());
    } catch (IOException e) {
      failed = true;
      return error(request, ErrorKind.CRASH, "writing the log failed, so the node stops: " + e);
    }
  }

  private ObjectNode dispatch(Request r) throws IOException {
    if (host == null && MESSAGE_TYPES.contains(r.type()) && !r.type().equals("scheduler_restart")) {
      throw new ProtocolException(
          ErrorKind.TEMPORARILY_UNAVAILABLE,
          "the scheduler crashed and"
              + " has not restarted; "
              + r.type()
              + " is refused until scheduler_restart");
    }
    return switch (r.type()) {
      case "init" -> init(r);
      case "assign_job" -> Assignments.assign(host, r, wallClock.getAsLong());
      case "ack_assignment" -> Assignments.acknowledge(host, r, wallClock.getAsLong());
      case "scheduler_crash" -> crash(r);
      case "scheduler_restart" -> restart(r);
      case "leader_crash" -> leaderCrash(r);
      case "schedule_job" -> scheduling.schedule(host, r, wallClock.getAsLong());
      case "execute_jobs" -> scheduling.executeDue(host, r, wallClock.getAsLong());
      case "execute_job" -> scheduling.execute(host, r, wallClock.getAsLong());
      default ->
          throw new ProtocolException(
              ErrorKind.NOT_SUPPORTED,
              "message type \""
                  + r.type()
                  + "\" is not supported; this node speaks "
                  + MESSAGE_TYPES);
    };
  }

  /** Sets up the replica set from {@code replicas} (or Maelstrom's {@code node_ids}). */
  private ObjectNode init(Request r) {
    JsonNode listed = r.field("replicas") != null ? r.field("replicas") : r.field("node_ids");
    List<String> ids = new ArrayList<>();
    if (listed != null && !listed.isNull()) {
      if (!listed.isArray()) {
        throw Request.malformed("init: \"replicas\" must be a list of replica ids; got " + listed);
      }
      for (JsonNode id : listed) {
        if (!id.isTextual() || id.textValue().isEmpty() || ids.contains(id.textValue())) {
          throw Request.malformed(
              "init: replica ids must be distinct non-empty strings; got " + listed);
        }
        ids.add(id.textValue());
      }
    }
    replicas = ReplicaSet.of(ids);
    return r.field("msg_id") == null ? null : r.reply("init_ok");
  }

  /** Drops the engine and everything it held in memory; only the log on disk remains. */
  private ObjectNode crash(Request r) throws IOException {
    EngineHost dropped = host;
    host = null;
    dropped.close();
    return r.reply("scheduler_crashed");
  }

  /** Rebuilds the engine from the log alone (after a crash, or in place of a running one). */
  private ObjectNode restart(Request r) throws IOException {
    if (host != null) {
      crash(r);
    }
    host = opener.open();
    return Assignments.recovered(host, r);
  }

  private ObjectNode leaderCrash(Request r) {
    String replica = r.requiredText("leader_id");
    ReplicaSet.Crash crash = replicas.crash(replica);
    replicas = crash.after();
    return switch (crash) {
      case ReplicaSet.LeaderReplaced c -> {
        ObjectNode reply = r.reply("new_leader_elected");
        reply.put("old_leader", c.oldLeader());
        reply.put("new_leader", c.after().leader());
        reply.put("term", c.after().term());
        yield reply;
      }
      case ReplicaSet.FollowerDown c -> {
        ObjectNode reply = r.reply("replica_down");
        reply.put("replica", c.replica());
        reply.put("leader", c.after().leader());
        reply.put("term", c.after().term());
        yield reply;
      }
      case ReplicaSet.NoneLeft c ->
          throw new ProtocolException(
              ErrorKind.TEMPORARILY_UNAVAILABLE,
              "leader "
                  + c.oldLeader()
                  + " crashed and no replica"
                  + " of "
                  + c.after().replicas()
                  + " is left to elect; the cluster is unavailable");
    };
  }

  private static ObjectNode error(Request request, ErrorKind kind, String text) {
    ObjectNode reply =
        request != null
            ? request.reply("error")
            : JsonNodeFactory.instance.objectNode().put("type", "error");
    reply.put("code", kind.code);
    reply.put("text", text);
    return reply;
  }

  @Override
  public void close() throws IOException {
    if (host != null) {
      EngineHost closing = host;
      host = null;
      closing.close();
    }
  }
}
