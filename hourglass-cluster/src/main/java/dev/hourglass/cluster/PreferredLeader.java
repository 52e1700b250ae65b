package dev.hourglass.cluster;

/**
 * Tells a partition's leader when to hand leadership back to the member its group prefers (the one
 * with the higher Ratis priority: leaders are spread over the replicas that way, one partition's
 * leader per member in turn).
 *
 * <p>Why this exists. After a replica fails, the others lead its partitions; when it returns, Ratis
 * yields leadership to it only at a moment when it holds exactly the leader's last entry. Under a
 * steady stream of writes that moment rarely comes (seen here: no leadership came back within 80 s
 * of submits every 10 ms per partition), so the survivors keep leading two or more partitions each
 * and the cluster stays unbalanced for as long as it is busy. An explicit transfer waits for the
 * target to catch up and then hands over, pausing the partition's writes for about one election.
 *
 * <p>When it acts: the preferred member answers the leader, is at most {@link #lagEntriesMax}
 * entries behind, and has stayed so for {@link #caughtUpForMillis} (a replica that has just come
 * back is still replaying, and a transfer to it would stall the partition until it caught up); and
 * {@link #cooldownMillis} have passed since the last transfer this replica started, so a transfer
 * that fails is retried calmly.
 *
 * <p>Pure and single-threaded: the caller feeds it observations with their time.
 */
final class PreferredLeader {
  private final long caughtUpForMillis;
  private final long lagEntriesMax;
  private final long answeredWithinMillis;
  private final long cooldownMillis;
  private long caughtUpSinceMillis = -1;
  private long lastTransferMillis = Long.MIN_VALUE / 2;

  PreferredLeader(
      long caughtUpForMillis, long lagEntriesMax, long answeredWithinMillis, long cooldownMillis) {
    this.caughtUpForMillis = caughtUpForMillis;
    this.lagEntriesMax = lagEntriesMax;
    this.answeredWithinMillis = answeredWithinMillis;
    this.cooldownMillis = cooldownMillis;
  }

  /** Defaults for the election timeouts of {@code tuning}: see the class comment. */
  static PreferredLeader forTuning(RaftTuning tuning) {
    long election = tuning.electionTimeoutMax().toMillis();
    return new PreferredLeader(
        Math.max(5_000, 5 * election), 1_000, Math.max(1_000, 2 * election), 30_000);
  }

  /** Forgets what it saw: call when this replica is not (or no longer) the leader. */
  void reset() {
    caughtUpSinceMillis = -1;
  }

  /**
   * Records how the preferred member looks at {@code nowMillis} to a leader whose log ends at
   * {@code leaderLastIndex}; {@code preferred} is null when this replica is the preferred one (or
   * the group prefers none). Answers whether to transfer leadership to it now; when it does, the
   * caller is taken to start the transfer.
   */
  boolean observe(long nowMillis, long leaderLastIndex, StuckFollowers.Observation preferred) {
    boolean caughtUp =
        preferred != null
            && preferred.lastReplyElapsedMillis() >= 0
            && preferred.lastReplyElapsedMillis() <= answeredWithinMillis
            && leaderLastIndex - preferred.matchIndex() <= lagEntriesMax;
    if (!caughtUp) {
      caughtUpSinceMillis = -1;
      return false;
    }
    if (caughtUpSinceMillis < 0) {
      caughtUpSinceMillis = nowMillis;
    }
    if (nowMillis - caughtUpSinceMillis < caughtUpForMillis
        || nowMillis - lastTransferMillis < cooldownMillis) {
      return false;
    }
    lastTransferMillis = nowMillis;
    caughtUpSinceMillis = -1;
    return true;
  }
}
