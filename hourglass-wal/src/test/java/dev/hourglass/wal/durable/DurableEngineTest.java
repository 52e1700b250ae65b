package dev.hourglass.wal.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineSnapshot;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.view.JobState;
import dev.hourglass.wal.DataDirectoryLockedException;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableEngineTest {
  @TempDir Path dir;

  private DurableOptions options(long snapshotEvery) {
    return DurableOptions.of(dir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests())
        .withSnapshotEveryRecords(snapshotEvery);
  }

  /**
   * Property: for random command sequences, the state after (apply all in memory) equals the state
   * after (write each to the log, reopen at random points, replay), with snapshots taken often or
   * never. The seed is printed on failure; -Dhourglass.seed=N replays one.
   */
  @Test
  void reopeningFromLogAndSnapshotsGivesTheSameStateAsApplyingInMemory() throws Exception {
    Long fixed = Long.getLong("hourglass.seed");
    long[] seeds = fixed != null ? new long[] {fixed} : new SplittableRandom().longs(6).toArray();
    for (long seed : seeds) {
      for (long snapshotEvery : new long[] {37, Long.MAX_VALUE}) {
        Path runDir = Files.createTempDirectory(dir, "run");
        try {
          checkReplayEquivalence(seed, runDir, snapshotEvery);
        } catch (AssertionError e) {
          throw new AssertionError(
              "seed "
                  + seed
                  + " snapshotEvery="
                  + snapshotEvery
                  + "; replay with -Dhourglass.seed="
                  + seed
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
    }
  }

  private void checkReplayEquivalence(long seed, Path runDir, long snapshotEvery) throws Exception {
    RandomCommands commands = new RandomCommands(seed);
    SplittableRandom reopenAt = new SplittableRandom(seed ^ 0x5DEECE66DL);
    Engine memory = new Engine(EngineConfig.DEFAULTS);
    DurableOptions opts =
        DurableOptions.of(runDir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests())
            .withSnapshotEveryRecords(snapshotEvery);
    DurableEngine durable = DurableEngine.open(opts);
    try {
      for (int i = 0; i < 600; i++) {
        Command c = commands.next();
        Outcome expected = memory.apply(c);
        assertThat(durable.apply(c)).as("outcome of %s", c).isEqualTo(expected);
        if (reopenAt.nextInt(100) == 0) {
          durable.close();
          durable = DurableEngine.open(opts);
          assertThat(EngineSnapshot.toBytes(durable.engine()))
              .as("state after reopen at command %d", i)
              .isEqualTo(EngineSnapshot.toBytes(memory));
        }
      }
    } finally {
      durable.close();
    }
    try (DurableEngine reopened = DurableEngine.open(opts)) {
      assertThat(EngineSnapshot.toBytes(reopened.engine()))
          .isEqualTo(EngineSnapshot.toBytes(memory));
    }
  }

  @Test
  void snapshotsBoundWhatIsReplayedAndDeleteCoveredSegments() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(100))) {
      for (int i = 0; i < 350; i++) {
        d.apply(new Command.SubmitJob(1_000 + i, JobSpec.of("j" + i, "t", null)));
      }
    }
    try (DurableEngine d = DurableEngine.open(options(100))) {
      assertThat(d.recovery().snapshotLsn()).isEqualTo(300);
      assertThat(d.recovery().recordsReplayed()).isEqualTo(50);
      assertThat(d.queries().count(JobState.READY)).isEqualTo(350);
    }
  }

  @Test
  void aCorruptNewestSnapshotFallsBackToThePreviousOneWithNothingLost() throws Exception {
    DurableOptions smallSegments = options(100).withSegmentBytesMax(4 << 10);
    try (DurableEngine d = DurableEngine.open(smallSegments)) {
      for (int i = 0; i < 350; i++) {
        d.apply(new Command.SubmitJob(1_000 + i, JobSpec.of("j" + i, "t", null)));
      }
    }
    try (Stream<Path> segments = Files.list(dir.resolve("log"))) {
      assertThat(segments.filter(p -> p.toString().endsWith(".wal")).count())
          .as("segments left after compaction")
          .isBetween(2L, 6L);
    }
    Path newest;
    try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
      newest =
          files
              .filter(p -> !p.getFileName().toString().endsWith(".tmp"))
              .max(java.util.Comparator.comparing(p -> p.getFileName().toString()))
              .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(newest, bytes);
    try (DurableEngine d = DurableEngine.open(smallSegments)) {
      assertThat(d.recovery().snapshotLsn()).isEqualTo(200);
      assertThat(d.recovery().recordsReplayed()).isEqualTo(150);
      assertThat(d.queries().count(JobState.READY)).isEqualTo(350);
    }
  }

  @Test
  void liveLeasesAndOwedNotificationsSurviveARestart() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      d.apply(new Command.SubmitJob(1_000, JobSpec.of("job1", "t", null)));
      d.apply(new Command.SubmitJob(1_000, JobSpec.of("job2", "t", null)));
      d.apply(new Command.AssignJob(1_000, "job1", "w1", 1, 60_000));
      d.apply(new Command.AssignJob(1_000, "job2", "w2", 1, 60_000));
      d.apply(new Command.AcknowledgeAssignment(1_000, "job2", "w2", 1));
    }
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      var job1 = d.queries().job("job1").orElseThrow();
      assertThat(job1.state()).isEqualTo(JobState.RUNNING);
      assertThat(job1.liveAttempt().leaseExpiresAtMillis()).isEqualTo(61_000);
      assertThat(d.queries().workersOwedNotifications()).containsExactly("w1");
      var duplicate = d.apply(new Command.AssignJob(2_000, "job1", "w9", 1, 60_000));
      assertThat(duplicate.isApplied()).isFalse();
    }
  }

  @Test
  void anInterruptedCallerStillAppliesWhatItLogged() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      Thread.currentThread().interrupt();
      try {
        assertThat(d.apply(new Command.SubmitJob(1_000, JobSpec.of("a", "t", null))).isApplied())
            .isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("interrupt kept").isTrue();
      } finally {
        Thread.interrupted();
      }
      assertThat(d.queries().state("a")).isEqualTo(JobState.READY);
    }
  }

  @Test
  void aCommandTooLargeForOneRecordIsRefusedAndNothingIsLogged() throws Exception {
    String payload = "\"" + "x".repeat(1_000_000) + "\"";
    var specs = new java.util.ArrayList<JobSpec>();
    for (int i = 0; i < 70; i++) {
      specs.add(JobSpec.of("big" + i, "t", payload));
    }
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      long before = d.lastLsn();
      var outcomes =
          d.applyAll(
              List.of(
                  new Command.SubmitJobs(1_000, specs),
                  new Command.SubmitJob(1_000, JobSpec.of("small", "t", null))));
      assertThat(outcomes.get(0).isApplied()).isFalse();
      assertThat(outcomes.get(0).toString()).contains("recordBytesMax");
      assertThat(outcomes.get(1).isApplied()).isTrue();
      assertThat(d.lastLsn()).isEqualTo(before + 1);
      assertThat(d.queries().jobsHeld()).isEqualTo(1);
    }
  }

  @Test
  void aLogThatEndsBeforeTheSnapshotRefusesToStart() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      for (int i = 0; i < 10; i++) {
        d.apply(new Command.SubmitJob(1_000, JobSpec.of("j" + i, "t", null)));
      }
      d.snapshot();
    }
    try (Stream<Path> files = Files.list(dir.resolve("log"))) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    assertThatThrownBy(() -> DurableEngine.open(options(Long.MAX_VALUE)))
        .hasMessageContaining("the log ends at lsn=0 but the newest snapshot covers lsn=10");
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefused() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      assertThatThrownBy(() -> DurableEngine.open(options(Long.MAX_VALUE)))
          .isInstanceOf(DataDirectoryLockedException.class)
          .hasMessageContaining(dir.toString());
    }
  }

  @Test
  void aLogWithoutAnySnapshotRefusesToStart() throws Exception {
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      d.apply(new Command.SubmitJob(1_000, JobSpec.of("a", "t", null)));
    }
    try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    assertThatThrownBy(() -> DurableEngine.open(options(Long.MAX_VALUE)))
        .hasMessageContaining("no valid snapshot");
  }

  @Test
  void theSettingsOfANewDirectoryAreKeptAcrossRestarts() throws Exception {
    var small = EngineConfig.DEFAULTS.withPayloadBytesMax(100);
    try (DurableEngine d =
        DurableEngine.open(DurableOptions.of(dir, small, new FsyncPolicy.NeverUnsafeForTests()))) {
      d.apply(new Command.SubmitJob(1_000, JobSpec.of("a", "t", null)));
    }
    try (DurableEngine d = DurableEngine.open(options(Long.MAX_VALUE))) {
      assertThat(d.engine().config().payloadBytesMax()).isEqualTo(100);
      assertThat(d.queries().jobsHeld()).isEqualTo(1);
    }
  }
}
