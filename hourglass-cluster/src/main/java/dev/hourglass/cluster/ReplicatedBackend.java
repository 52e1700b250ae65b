package dev.hourglass.cluster;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.runtime.EngineBackend;
import dev.hourglass.runtime.EngineLoopException;
import dev.hourglass.runtime.Leadership;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;

/**
 * One replica of a Raft group (Apache Ratis): a batch of commands is one Raft entry, durable once
 * a majority has forced it to its log. Only the leader serves; a follower refuses with {@link
 * EngineLoopException.NotServing} naming the leader and its endpoint when known (the HTTP server
 * answers 307 there, or 503 while there is none).
 *
 * <p>Fencing needs nothing beyond the engine's generations: a lease is answered only after the
 * entry that granted it is committed and applied, so every generation a worker ever holds is in
 * the replicated state, and a new leader, applying the same committed entries, knows it. What a
 * deposed leader proposed without a commit was never answered to anyone, and its generation is
 * handed out afresh; a worker holding a generation the leader does not know is refused (409).
 */
public final class ReplicatedBackend implements EngineBackend {
  private final ReplicatedEngine engine;
  private final String nodeId;
  /** Each replica's client endpoint (its HTTP API) by node id, so that a follower can point. */
  private final Map<String, URI> endpointByNode;
  /** One digest at a time: each one holds the applier's lock for a full pass over the state. */
  private final Semaphore digesting = new Semaphore(1);

  private ReplicatedBackend(ReplicatedEngine engine, String nodeId,
      Map<String, URI> endpointByNode) {
    this.engine = engine;
    this.nodeId = nodeId;
    this.endpointByNode = Map.copyOf(endpointByNode);
  }

  /**
   * Joins the group with Raft storage in {@code options.dataDir()}; returns before a leader is
   * elected.
   *
   * @param endpointByNode each replica's client endpoint by node id; a replica missing here is
   *     refused without an endpoint (the HTTP server then answers 503 naming the leader)
   */
  public static ReplicatedBackend start(ClusterOptions options, Map<String, URI> endpointByNode)
      throws IOException {
    return new ReplicatedBackend(ReplicatedEngine.start(options), options.nodeId(),
        endpointByNode);
  }

  @Override
  public List<Outcome> applyAll(List<Command> commands) {
    try {
      return engine.applyAll(commands);
    } catch (NotLeaderException e) {
      throw notServing(e.leaderId());
    } catch (ClusterUnavailableException e) {
      if (e.getCause() instanceof LeaderNotReadyException) {
        throw notServing(nodeId); // refused before the log: nothing applied
      }
      throw new EngineLoopException.Unavailable(e.getMessage());
    }
  }

  @Override
  public <T> T read(Function<EngineQueries, T> query) {
    return engine.read(query);
  }

  @Override
  public Leadership leadership() {
    if (engine.isLeaderReady()) {
      return new Leadership(true, nodeId, null);
    }
    if (engine.isLeader()) {
      // Elected, still applying earlier terms' entries: Ratis refuses writes until it is ready.
      return new Leadership(false, nodeId, null);
    }
    String leader = engine.leaderId();
    return new Leadership(false, leader, leader == null ? null : endpointByNode
        .get(leader));
  }

  /**
   * The refusal of a replica that cannot serve: pointing at the leader's endpoint, or at none
   * while there is no leader, or this replica is the leader but not ready yet.
   */
  EngineLoopException.NotServing notServing(String leaderId) {
    URI http = leaderId == null || leaderId.equals(nodeId) ? null
        : endpointByNode.get(leaderId);
    return new EngineLoopException.NotServing(nodeId, leaderId, http);
  }

  @Override
  public String failure() {
    return engine.failure();
  }

  @Override
  public boolean mayTick() {
    return engine.isLeaderReady();
  }

  @Override
  public long position() {
    return engine.lastAppliedIndex();
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public Map<String, Object> clusterStatus() {
    var m = new LinkedHashMap<String, Object>();
    m.put("mode", "cluster");
    m.put("node_id", nodeId);
    m.put("leader", engine.leaderId());
    m.put("term", engine.term());
    long commit = engine.commitIndex();
    m.put("commit_index", commit);
    m.put("last_applied_index", engine.lastAppliedIndex());
    m.put("failure", engine.failure()); // null unless this replica stopped applying
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member member : engine.members()) {
      var x = new LinkedHashMap<String, Object>();
      x.put("node_id", member.nodeId());
      x.put("address", member.address());
      URI http = endpointByNode.get(member.nodeId());
      x.put("http", http == null ? null : http.toString());
      x.put("role", member.role());
      x.put("match_index", member.matchIndex());
      x.put("commit_index", member.commitIndex());
      // Entries the member is known to be behind the leader's commit; null when unknown here.
      x.put("lag", member.matchIndex() < 0 ? null : Math.max(0, commit - member.matchIndex()));
      members.add(x);
    }
    m.put("members", members);
    return m;
  }

  /**
   * This replica's applied index and a checksum of its whole engine state, for an operator (or a
   * test) to check that the replicas hold identical state: replicas that report the same applied
   * index must report the same checksum. Streams the state through the checksum under the
   * applier's lock, so this replica applies nothing meanwhile (about 1 s per million jobs held);
   * hence admin-only, and one at a time per replica.
   *
   * @throws EngineLoopException.Overloaded while another digest is being computed here
   */
  public Map<String, Object> stateDigest() {
    if (!digesting.tryAcquire()) {
      throw new EngineLoopException.Overloaded("a state digest is being computed on replica "
          + nodeId + " already (one at a time: it pauses applying); retry later");
    }
    try {
      HourglassStateMachine.StateDigest d = engine.stateMachine().digest();
      var m = new LinkedHashMap<String, Object>();
      m.put("node_id", nodeId);
      m.put("applied_term", d.appliedTerm());
      m.put("applied_index", d.appliedIndex());
      m.put("state_crc32c", "%08x".formatted(d.crc32c()));
      m.put("state_bytes", d.bytes());
      return m;
    } finally {
      digesting.release();
    }
  }

  @Override
  public void close() throws IOException {
    engine.close();
  }
}
