package dev.hourglass.cluster;

import java.time.Duration;

/**
 * The Raft timing and snapshot settings, each chosen on this project's two-core test machines; the
 * reasons are given per setting.
 *
 * @param electionTimeoutMin a follower that hears nothing from a leader this long (randomised up to
 *     {@code electionTimeoutMax}) starts an election. Ratis defaults to 150-300 ms, which on two
 *     busy cores made a new leader lose its majority's heartbeats; 500-1000 ms did not.
 * @param electionTimeoutMax see {@code electionTimeoutMin}
 * @param stepDownWait how long a leader that stepped down refuses to stand again. Ratis defaults to
 *     10 s, which turned one spurious step-down into an 11 s outage when measured here.
 * @param snapshotEveryEntries entries between automatic snapshots; the log is purged up to each
 *     snapshot, so this also bounds log replay at restart
 * @param snapshotsRetained snapshot files kept; Ratis keeps every one unless told otherwise
 * @param logSegmentBytes size at which a Raft log segment is closed. Only closed segments can be
 *     purged after a snapshot, so this is also the granularity of log purging.
 * @param writeTimeout how long {@link ReplicatedEngine#applyAll} waits for a commit before it
 *     reports the cluster unavailable (the entry may still commit later)
 */
public record RaftTuning(
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration stepDownWait,
    long snapshotEveryEntries,
    int snapshotsRetained,
    long logSegmentBytes,
    Duration writeTimeout) {

  /** Production defaults for a small machine. */
  public static final RaftTuning DEFAULTS =
      new RaftTuning(
          Duration.ofMillis(500),
          Duration.ofMillis(1000),
          Duration.ofSeconds(1),
          50_000,
          2,
          8L << 20,
          Duration.ofSeconds(5));

  public RaftTuning {
    if (electionTimeoutMin.toMillis() < 50
        || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException(
          "need 50 ms <= electionTimeoutMin < electionTimeoutMax: min="
              + electionTimeoutMin
              + " max="
              + electionTimeoutMax);
    }
    if (logSegmentBytes < 4096) {
      throw new IllegalArgumentException("logSegmentBytes must be >= 4096: " + logSegmentBytes);
    }
    if (snapshotEveryEntries < 1 || snapshotsRetained < 1) {
      throw new IllegalArgumentException(
          "snapshotEveryEntries and snapshotsRetained must be >= 1: "
              + snapshotEveryEntries
              + ", "
              + snapshotsRetained);
    }
    if (writeTimeout.compareTo(electionTimeoutMax) <= 0) {
      throw new IllegalArgumentException(
          "writeTimeout must exceed electionTimeoutMax:"
              + " writeTimeout="
              + writeTimeout
              + " electionTimeoutMax="
              + electionTimeoutMax);
    }
  }

  public RaftTuning withSnapshotEveryEntries(long entries) {
    return new RaftTuning(
        electionTimeoutMin,
        electionTimeoutMax,
        stepDownWait,
        entries,
        snapshotsRetained,
        logSegmentBytes,
        writeTimeout);
  }

  public RaftTuning withLogSegmentBytes(long bytes) {
    return new RaftTuning(
        electionTimeoutMin,
        electionTimeoutMax,
        stepDownWait,
        snapshotEveryEntries,
        snapshotsRetained,
        bytes,
        writeTimeout);
  }

  /** Election timeouts, randomised in {@code [min, max)}; see the class comment for the trade. */
  public RaftTuning withElectionTimeout(Duration min, Duration max) {
    return new RaftTuning(
        min,
        max,
        stepDownWait,
        snapshotEveryEntries,
        snapshotsRetained,
        logSegmentBytes,
        writeTimeout);
  }

  /**
   * Parses {@code MIN-MAX} in milliseconds, e.g. {@code 150-300}.
   *
   * @throws IllegalArgumentException naming the malformed value
   */
  public RaftTuning withElectionTimeout(String minDashMaxMillis) {
    String[] parts = minDashMaxMillis.split("-");
    try {
      if (parts.length == 2) {
        return withElectionTimeout(
            Duration.ofMillis(Long.parseLong(parts[0].strip())),
            Duration.ofMillis(Long.parseLong(parts[1].strip())));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--election-timeout must be MIN-MAX in milliseconds, e.g."
            + " 150-300: got '"
            + minDashMaxMillis
            + "'");
  }

  public RaftTuning withWriteTimeout(Duration timeout) {
    return new RaftTuning(
        electionTimeoutMin,
        electionTimeoutMax,
        stepDownWait,
        snapshotEveryEntries,
        snapshotsRetained,
        logSegmentBytes,
        timeout);
  }
}
