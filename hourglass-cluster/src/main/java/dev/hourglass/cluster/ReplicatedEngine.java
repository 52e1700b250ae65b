package dev.hourglass.cluster;

import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of the replicated engine: a Ratis server running {@link HourglassStateMachine}, and
 * the API the HTTP server uses in place of the single-node {@code DurableEngine}.
 *
 * <p><b>Writes.</b> {@link #applyAll} turns the whole batch into one Raft log entry, proposes it to
 * the local Ratis server, and returns once the entry is committed (forced to the log on a majority)
 * and applied here. It throws {@link NotLeaderException} on a follower (nothing was proposed) and
 * {@link ClusterUnavailableException} when the commit does not happen within {@link
 * RaftTuning#writeTimeout()} (outcome unknown).
 *
 * <p><b>Reads.</b> {@link #read} runs against this replica's applied state, under the lock the
 * applier uses. On the leader, every write acknowledged by {@link #applyAll} has been applied
 * before it returned, so a caller reads its own writes. A leader that was deposed without knowing
 * it yet (partitioned away) can serve reads that are stale by the writes of the new leader, for at
 * most about one election timeout, until it notices and steps down; it can never serve state that
 * was not committed, because only committed entries are applied.
 *
 * <p>Thread-safety: all methods may be called from any thread. {@code applyAll} blocks its caller
 * until commit; call it from one apply thread with batches (as the server's group commit does) or
 * from many threads concurrently.
 */
public final class ReplicatedEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicatedEngine.class);

  private final ClusterOptions options;
  private final SharedServer shared;
  private final RaftServer server;
  private final int partition;
  private final RaftServer.Division division;
  private final HourglassStateMachine stateMachine;
  private final RaftGroupId groupId;
  private final RaftPeerId selfId;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final LeadershipWatchdog watchdog;
  private volatile boolean closing;

  private ReplicatedEngine(
      ClusterOptions options, SharedServer shared, RaftGroupId groupId, int partition)
      throws IOException {
    this.options = options;
    this.shared = shared;
    this.server = shared.server;
    this.groupId = groupId;
    this.partition = partition;
    this.selfId = RaftPeerId.valueOf(options.nodeId());
    this.division = server.getDivision(groupId);
    this.stateMachine = (HourglassStateMachine) division.getStateMachine();
    this.watchdog =
        new LeadershipWatchdog(
            server,
            division,
            groupId,
            selfId,
            () -> System.nanoTime() / 1_000_000,
            options.tuning());
  }

  /**
   * Starts this replica: recovers its snapshot and log from {@code dataDir} (or starts empty),
   * binds its Raft port and joins the group. Returns before a leader is elected.
   *
   * @throws IOException if storage or the port cannot be opened; the server is closed again
   */
  public static ReplicatedEngine start(ClusterOptions options) throws IOException {
    return startGroups(options, 1).get(0);
  }

  /**
   * Starts this replica of {@code groups} Raft groups, one per partition, all hosted by one Ratis
   * server (one Raft port, one storage directory, a state machine per group): group 0 is the one
   * group of a cluster without partitions ({@link ClusterOptions#groupId}), so such a cluster
   * starts as before. Groups found in {@code dataDir} are recovered; the others are added, so a
   * replica's first start creates them. With more than one group, member {@code p mod size} of
   * group {@code p} has the higher leader priority: leaders spread over the members, and a
   * leadership returns to its member once that member is back and caught up. Returns before any
   * leader is elected; element {@code p} is partition {@code p}'s group.
   *
   * @throws IOException if storage or the port cannot be opened; the server is closed again
   */
  public static List<ReplicatedEngine> startGroups(ClusterOptions options, int groups)
      throws IOException {
    RaftPeerId self = RaftPeerId.valueOf(options.nodeId());
    RaftServer server =
        RaftServer.newBuilder()
            .setServerId(self)
            .setGroup(group(options.peers(), 0, groups))
            .setStateMachineRegistry(
                id -> new HourglassStateMachine(options.engineConfig(), options.clockMillis()))
            .setProperties(properties(options))
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    try {
      server.start();
      var known = new java.util.HashSet<RaftGroupId>();
      server.getGroupIds().forEach(known::add);
      var clientId = ClientId.randomId();
      for (int p = 1; p < groups; p++) {
        if (!known.contains(ClusterOptions.groupId(p))) {
          RaftClientReply added =
              server.groupManagement(
                  GroupManagementRequest.newAdd(
                      clientId, self, p, group(options.peers(), p, groups)));
          if (!added.isSuccess()) {
            throw new IOException(
                "adding the Raft group of partition " + p + " failed: " + added.getException());
          }
        }
      }
      var shared = new SharedServer(server, groups);
      List<ReplicatedEngine> engines = new ArrayList<>(groups);
      for (int p = 0; p < groups; p++) {
        engines.add(new ReplicatedEngine(options, shared, ClusterOptions.groupId(p), p));
      }
      engines.forEach(e -> e.watchdog.start());
      log.info(
          "node={} started peers={} groups={} dataDir={} tuning={}",
          options.nodeId(),
          Peer.formatList(options.peers()),
          groups,
          options.dataDir(),
          options.tuning());
      return engines;
    } catch (IOException | RuntimeException e) {
      try {
        server.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** One Ratis server shared by the groups of a replica: closed when its last group closes. */
  private static final class SharedServer {
    final RaftServer server;
    private int open;

    SharedServer(RaftServer server, int groups) {
      this.server = server;
      this.open = groups;
    }

    synchronized void release() throws IOException {
      if (--open == 0) {
        server.close();
      }
    }
  }

  /**
   * Partition {@code p}'s group of {@code groups}; with more than one, member {@code p mod size}
   * has the higher leader priority (see {@link #startGroups}).
   */
  static RaftGroup group(List<Peer> peers, int p, int groups) {
    List<RaftPeer> raftPeers = new ArrayList<>();
    for (int i = 0; i < peers.size(); i++) {
      Peer peer = peers.get(i);
      raftPeers.add(
          RaftPeer.newBuilder()
              .setId(peer.id())
              .setAddress(peer.address())
              .setPriority(groups > 1 && i == p % peers.size() ? 1 : 0)
              .build());
    }
    return RaftGroup.valueOf(ClusterOptions.groupId(p), raftPeers);
  }

  /** The Ratis settings for one replica; each one is a deliberate choice (see RaftTuning). */
  static RaftProperties properties(ClusterOptions o) {
    RaftTuning t = o.tuning();
    var p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    GrpcConfigKeys.Server.setHost(p, o.self().host());
    GrpcConfigKeys.Server.setPort(p, o.self().port());
    RaftServerConfigKeys.setStorageDir(p, List.of(o.dataDir().toFile()));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(t.electionTimeoutMin().toMillis()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(t.electionTimeoutMax().toMillis()));
    RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(
        p, millis(t.stepDownWait().toMillis()));
    // Ratis waits 10 ms between two AppendEntries by default, which puts a 10 ms floor under every
    // commit when one entry is in flight (the server's group commit); Ozone sets it to 0 too.
    RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, millis(0));
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, t.snapshotEveryEntries());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, t.snapshotsRetained());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(t.logSegmentBytes()));
    RaftServerConfigKeys.Log.setPreallocatedSize(
        p, SizeInBytes.valueOf(Math.min(4L << 20, t.logSegmentBytes())));
    // Purge as soon as a snapshot allows it (default gap 1024 entries would keep small test logs).
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, t.snapshotEveryEntries()));
    return p;
  }

  private static TimeDuration millis(long ms) {
    return TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Replicates {@code commands} as one log entry and returns their outcomes, in order, once the
   * entry is committed and applied on this (leader) replica. See {@link #applyBatch}.
   */
  public List<Outcome> applyAll(List<Command> commands) {
    if (commands.isEmpty()) {
      return List.of();
    }
    return applyBatch(commands).outcomes();
  }

  /**
   * Like {@link #applyAll}, and also returns the term and index the entry committed at (this
   * package's tests check the leader's stamps against them). The term is no part of fencing: the
   * job's generation alone is the token, since a lease is answered only once its entry is
   * committed, so every leader that follows knows that generation (see {@link ReplicatedBackend}).
   *
   * @throws NotLeaderException if this replica is not the leader; nothing was proposed
   * @throws ClusterUnavailableException if the entry was not committed within the write timeout
   * @throws IllegalArgumentException if the batch is empty, too large or malformed
   */
  Committed applyBatch(List<Command> commands) {
    if (!division.getInfo().isLeader()) {
      throw notLeader();
    }
    byte[] entry = EntryCodec.encode(commands);
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(selfId)
            .setGroupId(groupId)
            .setCallId(callIds.incrementAndGet())
            .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
            .setType(RaftClientRequest.writeRequestType())
            .build();
    long timeoutMillis = options.tuning().writeTimeout().toMillis();
    RaftClientReply reply;
    try {
      reply = server.submitClientRequestAsync(request).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClusterUnavailableException(
          "interrupted waiting for commit: node=" + options.nodeId() + "; outcome unknown", e);
    } catch (TimeoutException e) {
      throw new ClusterUnavailableException(
          "write not committed within timeoutMillis="
              + timeoutMillis
              + ": node="
              + options.nodeId()
              + " term="
              + term()
              + " (no majority reachable?); outcome unknown, retry with idempotency keys",
          e);
    } catch (ExecutionException | IOException e) {
      throw new ClusterUnavailableException(
          "write failed: node=" + options.nodeId() + " cause=" + e.getCause() + "; outcome unknown",
          e);
    }
    return decodeReply(reply, commands.size());
  }

  private Committed decodeReply(RaftClientReply reply, int expected) {
    if (!reply.isSuccess()) {
      if (reply.getNotLeaderException() != null) {
        throw notLeader();
      }
      if (reply.getStateMachineException() != null) {
        throw new IllegalArgumentException(
            "entry refused before the log: " + reply.getStateMachineException().getMessage(),
            reply.getStateMachineException());
      }
      throw new ClusterUnavailableException(
          "write not committed: node="
              + options.nodeId()
              + " cause="
              + reply.getException()
              + "; outcome unknown",
          reply.getException());
    }
    if (reply.getMessage() == null || reply.getMessage().getContent().isEmpty()) {
      // Applied here after this replica stopped leading (followers do not encode replies): the
      // entry is committed, but what it did is not known here.
      throw new ClusterUnavailableException(
          "entry committed while node="
              + options.nodeId()
              + " stepped down as leader; its outcome is unknown here; check its effect (retry"
              + " with idempotency keys)",
          null);
    }
    try {
      Committed c = ReplyCodec.decode(reply.getMessage().getContent().toByteArray());
      if (c.outcomes().size() != expected) {
        throw new IllegalStateException(
            "reply has "
                + c.outcomes().size()
                + " outcomes for "
                + expected
                + " commands: term="
                + c.term()
                + " index="
                + c.index());
      }
      return c;
    } catch (IOException e) {
      throw new IllegalStateException("undecodable reply from own state machine", e);
    }
  }

  private NotLeaderException notLeader() {
    RaftPeerId leader = division.getInfo().getLeaderId();
    if (leader == null || leader.equals(selfId) && !division.getInfo().isLeader()) {
      return new NotLeaderException(options.nodeId(), null, null);
    }
    RaftPeer peer = division.getGroup().getPeer(leader);
    return new NotLeaderException(
        options.nodeId(), leader.toString(), peer == null ? null : peer.getAddress());
  }

  /**
   * Runs {@code query} against this replica's applied state (see the class comment for the
   * consistency this gives). The function runs under the applier's lock: keep it short and do not
   * let {@link EngineQueries} escape it.
   */
  public <T> T read(Function<EngineQueries, T> query) {
    return stateMachine.read(query);
  }

  public String nodeId() {
    return options.nodeId();
  }

  /** The partition whose group this is (0 without partitions). */
  public int partition() {
    return partition;
  }

  /**
   * Replicates an entry another replica encoded (it forwards a batch for a partition this replica
   * leads); see {@link #applyBatch}.
   *
   * @throws IllegalArgumentException if the entry does not decode
   */
  Committed applyForwarded(byte[] entry) {
    List<Command> commands;
    try {
      commands = EntryCodec.decode(java.nio.ByteBuffer.wrap(entry));
    } catch (IOException e) {
      throw new IllegalArgumentException("forwarded entry does not decode: " + e.getMessage(), e);
    }
    return applyBatch(commands);
  }

  public boolean isLeader() {
    return division.getInfo().isLeader();
  }

  /** Leader and has applied every entry committed before its term began: safe to tick. */
  public boolean isLeaderReady() {
    return division.getInfo().isLeader() && division.getInfo().isLeaderReady();
  }

  /** The leader's id as known here, or null while there is none. */
  public String leaderId() {
    RaftPeerId id = division.getInfo().getLeaderId();
    return id == null ? null : id.toString();
  }

  public long term() {
    return division.getInfo().getCurrentTerm();
  }

  public long commitIndex() {
    return division.getRaftLog().getLastCommittedIndex();
  }

  public long lastAppliedIndex() {
    return division.getInfo().getLastAppliedIndex();
  }

  /** The members of the group as this replica sees them, in configuration order. */
  public List<Member> members() {
    var info = division.getInfo();
    Map<String, Long> commit = new HashMap<>();
    for (CommitInfoProto ci : division.getCommitInfos()) {
      commit.put(RaftPeerId.valueOf(ci.getServer().getId()).toString(), ci.getCommitIndex());
    }
    Map<String, Long> match = new HashMap<>();
    // Null while Ratis sets up (or tears down) the leader state, a moment after (or before) the
    // role itself changes: match indices are then unknown, which is what -1 says.
    long[] indices = info.isLeader() ? info.getFollowerMatchIndices() : null;
    if (indices != null) {
      // Both lists come from the leader's log appenders, in the same order.
      List<ServerRpcProto> followers =
          info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
      for (int i = 0; i < Math.min(followers.size(), indices.length); i++) {
        match.put(RaftPeerId.valueOf(followers.get(i).getId().getId()).toString(), indices[i]);
      }
      match.put(options.nodeId(), division.getRaftLog().getFlushIndex());
    }
    String leader = leaderId();
    List<Member> out = new ArrayList<>();
    for (Peer configured : options.peers()) {
      RaftPeer p = division.getGroup().getPeer(RaftPeerId.valueOf(configured.id()));
      if (p == null) {
        continue;
      }
      String id = p.getId().toString();
      String role;
      if (id.equals(options.nodeId())) {
        role = info.getCurrentRole().name();
      } else if (id.equals(leader)) {
        role = "LEADER";
      } else {
        role = info.isLeader() ? "FOLLOWER" : "UNKNOWN";
      }
      out.add(
          new Member(
              id, p.getAddress(), role, match.getOrDefault(id, -1L), commit.getOrDefault(id, -1L)));
    }
    return out;
  }

  /**
   * Why this replica can no longer follow the group, or null while it can: its applier failed on a
   * committed entry, or its Raft server stopped without {@link #close} being called. Either way it
   * applies nothing more; restarting the process recovers it from its log.
   */
  public String failure() {
    Throwable applier = stateMachine.applyFailure();
    if (applier != null) {
      return applier.getMessage();
    }
    if (!closing && !division.getInfo().isAlive()) {
      return "node="
          + options.nodeId()
          + " Raft server stopped ("
          + division.getInfo().getLifeCycleState()
          + ") at appliedIndex="
          + lastAppliedIndex();
    }
    return null;
  }

  /** The state machine, for tests that compare replicas. */
  public HourglassStateMachine stateMachine() {
    return stateMachine;
  }

  @Override
  public void close() throws IOException {
    closing = true;
    watchdog.close();
    shared.release();
    log.info("node={} partition={} closed", options.nodeId(), partition);
  }
}
