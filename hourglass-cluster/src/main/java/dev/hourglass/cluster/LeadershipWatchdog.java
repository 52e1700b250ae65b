package dev.hourglass.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While this replica leads a group, checks its followers once a second and hands leadership over
 * when the group is better led elsewhere: to a caught-up follower when another follower has stopped
 * catching up although it answers (see {@link StuckFollowers} for the Ratis defect this works
 * around; a new leader starts each follower's replication state afresh, so the stuck one then
 * catches up), or back to the member the group prefers once that member has returned and caught up
 * (see {@link PreferredLeader}: it keeps partition leaders spread over the replicas).
 *
 * <p>Thread-safety: one scheduler thread runs every check; {@link #close} may be called from any
 * thread.
 */
final class LeadershipWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeadershipWatchdog.class);
  private static final long CHECK_PERIOD_MILLIS = 1_000;

  private final RaftServer server;
  private final RaftServer.Division division;
  private final RaftGroupId groupId;
  private final RaftPeerId selfId;
  private final LongSupplier monotonicMillis;
  private final StuckFollowers stuckFollowers;
  private final PreferredLeader preferredLeader;
  private final long transferTimeoutMillis;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("hourglass-leadership-watchdog").unstarted(r));

  LeadershipWatchdog(
      RaftServer server,
      RaftServer.Division division,
      RaftGroupId groupId,
      RaftPeerId selfId,
      LongSupplier monotonicMillis,
      RaftTuning tuning) {
    this.server = server;
    this.division = division;
    this.groupId = groupId;
    this.selfId = selfId;
    this.monotonicMillis = monotonicMillis;
    this.stuckFollowers = StuckFollowers.forTuning(tuning);
    this.preferredLeader = PreferredLeader.forTuning(tuning);
    this.transferTimeoutMillis = tuning.writeTimeout().toMillis();
  }

  void start() {
    scheduler.scheduleWithFixedDelay(
        this::checkQuietly, CHECK_PERIOD_MILLIS, CHECK_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      // Ratis tears the leader state down concurrently with a role change; the next check sees
      // the new role.
      log.debug("leadership check skipped: node={}", selfId, e);
    }
  }

  private void check() {
    var info = division.getInfo();
    long[] match = info.isLeader() && info.isLeaderReady() ? info.getFollowerMatchIndices() : null;
    if (match == null) {
      stuckFollowers.reset();
      preferredLeader.reset();
      return;
    }
    List<ServerRpcProto> followers = info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
    List<StuckFollowers.Observation> seen = new ArrayList<>();
    long logStart = division.getRaftLog().getStartIndex();
    for (int i = 0; i < Math.min(followers.size(), match.length); i++) {
      ServerRpcProto f = followers.get(i);
      // A follower behind the start of the leader's log is being sent a snapshot, during which
      // its match index rightly stands still: never counted as stalling.
      long elapsed = match[i] + 1 < logStart ? -1 : f.getLastRpcElapsedTimeMs();
      seen.add(
          new StuckFollowers.Observation(
              RaftPeerId.valueOf(f.getId().getId()).toString(), match[i], elapsed));
    }
    long now = monotonicMillis.getAsLong();
    long leaderLastIndex = division.getRaftLog().getNextIndex() - 1;
    List<String> stuck = stuckFollowers.observe(now, leaderLastIndex, seen);
    if (stuck.isEmpty()) {
      returnToPreferred(now, leaderLastIndex, seen, info.getCurrentTerm());
      return;
    }
    StuckFollowers.Observation target = null;
    for (StuckFollowers.Observation o : seen) {
      if (!stuck.contains(o.followerId())
          && stuckFollowers.answers(o)
          && (target == null || o.matchIndex() > target.matchIndex())) {
        target = o;
      }
    }
    if (target == null) {
      return; // no other follower is up and moving: a leader change would not help
    }
    stuckFollowers.acted(now);
    log.warn(
        "followers {} answer but have not caught up for a while (Ratis keeps their match"
            + " index above what they hold after an older leader's uncommitted tail was truncated);"
            + " handing leadership to {} (match index {} of {}) so that a new leader replicates to"
            + " them afresh: node={} term={}",
        stuck,
        target.followerId(),
        target.matchIndex(),
        leaderLastIndex,
        selfId,
        info.getCurrentTerm());
    transferTo(target.followerId());
  }

  /** Hands leadership back to the group's preferred member once it has caught up for a while. */
  private void returnToPreferred(
      long now, long leaderLastIndex, List<StuckFollowers.Observation> seen, long term) {
    String preferred = preferredMember();
    StuckFollowers.Observation observed = null;
    for (StuckFollowers.Observation o : seen) {
      if (o.followerId().equals(preferred)) {
        observed = o;
      }
    }
    if (!preferredLeader.observe(now, leaderLastIndex, observed)) {
      return;
    }
    log.info(
        "handing leadership back to {}, the member this group prefers, which has caught up (match"
            + " index {} of {}): node={} group={} term={}",
        preferred,
        observed.matchIndex(),
        leaderLastIndex,
        selfId,
        groupId,
        term);
    transferTo(preferred);
  }

  /**
   * The member with the highest leader priority, or null when that is this replica or no member is
   * preferred (every priority equal, as in a cluster of one partition).
   */
  private String preferredMember() {
    RaftPeer best = null;
    boolean tie = false;
    for (RaftPeer p : division.getGroup().getPeers()) {
      if (best == null || p.getPriority() > best.getPriority()) {
        best = p;
        tie = false;
      } else if (p.getPriority() == best.getPriority()) {
        tie = true;
      }
    }
    return best == null || tie || best.getId().equals(selfId) ? null : best.getId().toString();
  }

  private void transferTo(String followerId) {
    try {
      server.transferLeadershipAsync(
          new TransferLeadershipRequest(
              clientId,
              selfId,
              groupId,
              callIds.incrementAndGet(),
              RaftPeerId.valueOf(followerId),
              transferTimeoutMillis));
    } catch (java.io.IOException e) {
      log.warn("leadership transfer to {} failed to start: node={}", followerId, selfId, e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
