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
 * One replica of a Raft group (Apache Ratis): a batch of commands is one Raft entry, durable once a
 * majority has forced it to its log. Only the leader serves; a follower refuses with {@link
 * EngineLoopException.NotServing} naming the leader and its endpoint when known (the HTTP server
 * answers 307 there, or 503 while there is none).
 *
 * <p>Fencing needs nothing beyond the engine's generations: a lease is answered only after the
 * entry that granted it is committed and applied, so every generation a worker ever holds is in the
 * replicated state, and a new leader, applying the same committed entries, knows it. What a deposed
 * leader proposed without a commit was never answered to anyone, and its generation is handed out
 * afresh; a worker holding a generation the leader does not know is refused (409).
 */
public final class ReplicatedBackend implements EngineBackend {
  private final ReplicatedEngine engine;
  private final String nodeId;

  /** Each replica's client endpoint (its HTTP API) by node id, so that a follower can point. */
  private final Map<String, URI> endpointByNode;

  /** One digest at a time: each one holds the applier's lock for a full pass over the state. */
  private final Semaphore digesting = new Semaphore(1);

  /** Sends this replica's writes to the partition's leader; null: refuse them (307 or 503). */
  private final Forwarder forwarder;

  /** How long a forwarded write waits to be applied here too; from the write timeout. */
  private final long applyWaitMillis;

  private ReplicatedBackend(
      ReplicatedEngine engine,
      String nodeId,
      Map<String, URI> endpointByNode,
      Forwarder forwarder,
      long applyWaitMillis) {
    this.engine = engine;
    this.nodeId = nodeId;
    this.endpointByNode = Map.copyOf(endpointByNode);
    this.forwarder = forwarder;
    this.applyWaitMillis = applyWaitMillis;
  }

  /**
   * Carries a batch this replica cannot commit (it does not lead the partition) to the replica that
   * leads it, which proposes it as its own: so that every replica answers every call, though a
   * worker's one long poll spans partitions led by different replicas.
   */
  public interface Forwarder {
    /**
     * Sends the encoded entry to the replica at {@code leader} for {@code partition}'s group and
     * answers the reply it committed ({@link ReplyCodec} form).
     *
     * @throws NotLeaderException when that replica refused it unproposed (it leads no more)
     * @throws IOException when the outcome is unknown (no answer, or a failed commit)
     */
    byte[] forward(URI leader, int partition, byte[] entry) throws IOException;
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
    return new ReplicatedBackend(
        ReplicatedEngine.start(options), options.nodeId(), endpointByNode, null, 0);
  }

  /**
   * One replica of {@code partitions} Raft groups hosted by one Ratis server (see {@link
   * ReplicatedEngine#startGroups}); element {@code p} serves partition {@code p}. With a {@code
   * forwarder}, a replica that does not lead a partition forwards that partition's writes to its
   * leader instead of refusing them; returns before any leader is elected.
   */
  public static List<ReplicatedBackend> startGroups(
      ClusterOptions options, int partitions, Map<String, URI> endpointByNode, Forwarder forwarder)
      throws IOException {
    List<ReplicatedBackend> out = new ArrayList<>(partitions);
    for (ReplicatedEngine e : ReplicatedEngine.startGroups(options, partitions)) {
      out.add(
          new ReplicatedBackend(
              e,
              options.nodeId(),
              endpointByNode,
              forwarder,
              options.tuning().writeTimeout().toMillis()));
    }
    return out;
  }

  @Override
  public List<Outcome> applyAll(List<Command> commands) {
    try {
      return engine.applyAll(commands);
    } catch (NotLeaderException e) {
      if (forwarder != null && e.leaderId() != null && !e.leaderId().equals(nodeId)) {
        return forward(e.leaderId(), commands);
      }
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
    if (forwarder != null
        && leader != null
        && !leader.equals(nodeId)
        && endpointByNode.containsKey(leader)) {
      return new Leadership(true, leader, null); // writes are forwarded there
    }
    return new Leadership(false, leader, leader == null ? null : endpointByNode.get(leader));
  }

  /**
   * Has the leader commit the batch, then waits until this replica applied it too, so that what the
   * caller reads here next (the loop's follow-up reads, the client's next call) includes it.
   */
  private List<Outcome> forward(String leaderId, List<Command> commands) {
    URI leader = endpointByNode.get(leaderId);
    if (leader == null) {
      throw new EngineLoopException.NotServing(nodeId, leaderId, null);
    }
    ReplyCodec.Committed c;
    try {
      c =
          ReplyCodec.decode(
              forwarder.forward(leader, engine.partition(), EntryCodec.encode(commands)));
    } catch (NotLeaderException e) {
      throw new EngineLoopException.NotServing(nodeId, null, null); // unproposed: retry
    } catch (IOException e) {
      throw new EngineLoopException.Unavailable(
          ("forwarding a write for partition %d to its"
                  + " leader %s at %s failed: %s; the outcome is unknown, retry with idempotency keys")
              .formatted(engine.partition(), leaderId, leader, e.getMessage()));
    }
    if (c.outcomes().size() != commands.size()) {
      throw new IllegalStateException(
          "the leader "
              + leaderId
              + " answered "
              + c.outcomes().size()
              + " outcomes for "
              + commands.size()
              + " commands");
    }
    try {
      engine.stateMachine().awaitApplied(c.index(), applyWaitMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return c.outcomes();
  }

  /**
   * Commits an entry another replica forwarded for this replica's partition and answers the encoded
   * reply ({@link Forwarder#forward}).
   *
   * @throws NotLeaderException if this replica does not lead the partition; nothing proposed
   * @throws ClusterUnavailableException if the commit's outcome is unknown
   * @throws IllegalArgumentException if the entry is malformed or too large
   */
  public byte[] commitForwarded(byte[] entry) {
    return ReplyCodec.encode(engine.applyForwarded(entry));
  }

  /**
   * Hears every command this replica applies for the partition, whoever proposed it (see {@link
   * HourglassStateMachine.AppliedListener}).
   */
  public void onApplied(HourglassStateMachine.AppliedListener listener) {
    engine.stateMachine().onApplied(listener);
  }

  /**
   * The refusal of a replica that cannot serve: pointing at the leader's endpoint, or at none while
   * there is no leader, or this replica is the leader but not ready yet.
   */
  EngineLoopException.NotServing notServing(String leaderId) {
    URI http = leaderId == null || leaderId.equals(nodeId) ? null : endpointByNode.get(leaderId);
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
    m.putAll(groupStatus());
    return m;
  }

  /**
   * This partition's group as this replica sees it: its leader, term, indices and, on the leader,
   * each member's lag (a follower knows no other member's match index).
   */
  public Map<String, Object> partitionStatus() {
    var m = new LinkedHashMap<String, Object>();
    m.put("partition", engine.partition());
    m.putAll(groupStatus());
    return m;
  }

  private Map<String, Object> groupStatus() {
    var m = new LinkedHashMap<String, Object>();
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
   * index must report the same checksum. Streams the state through the checksum under the applier's
   * lock, so this replica applies nothing meanwhile (about 1 s per million jobs held); hence
   * admin-only, and one at a time per replica.
   *
   * @throws EngineLoopException.Overloaded while another digest is being computed here
   */
  public Map<String, Object> stateDigest() {
    if (!digesting.tryAcquire()) {
      throw new EngineLoopException.Overloaded(
          "a state digest is being computed on replica "
              + nodeId
              + " already (one at a time: it pauses applying); retry later");
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
