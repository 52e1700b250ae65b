package dev.hourglass.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tells, from the leader's view of its followers, which follower has stopped catching up although
 * it answers: its match index has not moved for {@link #stuckAfterMillis} while the leader holds
 * entries past it, and it replied to the leader within {@link #answeredWithinMillis}.
 *
 * <p>Why this exists. Ratis 3.3.0's gRPC log appender takes a follower's successful reply to a
 * heartbeat as proof that the follower's whole log matches up to the follower's own next index. A
 * follower that restarted with an uncommitted tail from an older leader's term then gets a match
 * index past the entries it really shares with the leader; once it truncates that tail, every
 * heartbeat answers INCONSISTENCY with a next index below the match index, and the appender never
 * backs off below match index + 1 (RATIS-2605, fixed after 3.3.0). The follower then stays behind
 * for good while answering every heartbeat: seen here as a replica 278 entries behind for minutes
 * after its leader was killed under load. A new leader starts every follower's match index afresh,
 * so the cure is to hand leadership to a caught-up follower; this class only decides when.
 *
 * <p>What it must not do: act on a follower that is down (it does not answer; a leader change would
 * not help it and costs an election), or on one that is slow but moving (its match index advances).
 * A snapshot installation also holds the match index still while the follower answers; {@link
 * #stuckAfterMillis} is chosen well above the time one takes here, and the caller waits {@link
 * #cooldownMillis} after acting before acting again, so a false positive costs at most one leader
 * change per cooldown.
 *
 * <p>Pure and single-threaded: the caller feeds it observations with their time.
 */
final class StuckFollowers {
  /** One follower as the leader sees it at one moment. */
  record Observation(String followerId, long matchIndex, long lastReplyElapsedMillis) {}

  private record Progress(long matchIndex, long sinceMillis) {}

  private final long stuckAfterMillis;
  private final long answeredWithinMillis;
  private final long cooldownMillis;
  private final Map<String, Progress> progress = new HashMap<>();
  private long lastActionMillis = Long.MIN_VALUE / 2;

  StuckFollowers(long stuckAfterMillis, long answeredWithinMillis, long cooldownMillis) {
    this.stuckAfterMillis = stuckAfterMillis;
    this.answeredWithinMillis = answeredWithinMillis;
    this.cooldownMillis = cooldownMillis;
  }

  /** Defaults for the election timeouts of {@code tuning}: see the class comment. */
  static StuckFollowers forTuning(RaftTuning tuning) {
    long election = tuning.electionTimeoutMax().toMillis();
    return new StuckFollowers(
        Math.max(10_000, 10 * election), Math.max(10_000, 10 * election), 60_000);
  }

  /** Forgets what it saw: call when this replica is not (or no longer) the leader. */
  void reset() {
    progress.clear();
  }

  /**
   * Records the followers seen at {@code nowMillis} by a leader whose log ends at {@code
   * leaderLastIndex}, and returns the followers that are stuck (empty while cooling down from the
   * last {@link #acted}).
   */
  List<String> observe(long nowMillis, long leaderLastIndex, List<Observation> followers) {
    List<String> stuck = new ArrayList<>();
    Map<String, Progress> seen = new HashMap<>();
    for (Observation f : followers) {
      boolean stalling = f.matchIndex() < leaderLastIndex && answers(f);
      Progress before = progress.get(f.followerId());
      // The stall is timed only while the follower is continuously behind, answering and not
      // moving: a caught-up follower behind by one fresh entry, or one that was down and has
      // just answered again, starts a new count.
      Progress now =
          !stalling
              ? null
              : before == null || before.matchIndex() != f.matchIndex()
                  ? new Progress(f.matchIndex(), nowMillis)
                  : before;
      if (now != null) {
        seen.put(f.followerId(), now);
        if (nowMillis - now.sinceMillis() >= stuckAfterMillis) {
          stuck.add(f.followerId());
        }
      }
    }
    progress.clear();
    progress.putAll(seen);
    return nowMillis - lastActionMillis < cooldownMillis ? List.of() : stuck;
  }

  /** Whether the follower replied to the leader recently enough to count as up. */
  boolean answers(Observation f) {
    return f.lastReplyElapsedMillis() >= 0 && f.lastReplyElapsedMillis() <= answeredWithinMillis;
  }

  /** The caller acted on a stuck follower at {@code nowMillis}: wait a cooldown before the next. */
  void acted(long nowMillis) {
    lastActionMillis = nowMillis;
    progress.clear();
  }
}
