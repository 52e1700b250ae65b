package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves every adapter PeerBench measures: a small burst on each system runs every job exactly
 * once, and a job submitted after start (the steady path) runs too. A broken adapter would make the
 * benchmark's figures meaningless, so CI runs this. The JDBC peers run on a {@link LocalPostgres}
 * started here; without PostgreSQL installed the class fails (never skips), and the message names
 * the install command ({@code ./hourglass test} runs it first).
 */
class PeerAdaptersSmokeTest {
  private static final int JOBS = 200;

  /**
   * How long a burst may take before the test gives up; it returns as soon as every job ran. Why
   * this long: JobRunr fetches enqueued jobs on its poll (every 5 s, its open-source minimum) and
   * took 1-21 s for these 200 in-memory jobs in back-to-back runs on a quiet machine, so a 30 s
   * bound failed on a loaded one (153 of 200 had run).
   */
  private static final long RUN_CAP_MILLIS = 120_000;

  private static Path root;
  private static LocalPostgres postgres;

  @BeforeAll
  static void createRoot() throws Exception {
    PeerBench.quietLogging();
    root = Files.createTempDirectory("peers-smoke");
    postgres = LocalPostgres.start();
  }

  @AfterAll
  static void deleteRoot() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
    Workloads.deleteTree(root);
  }

  private static Supplier<Contender> factory(String system) {
    return () -> PeerBench.SYSTEMS.get(system).apply(postgres);
  }

  static Stream<String> systems() {
    return PeerBench.SYSTEMS.keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("systems")
  void burstRunsEveryJobExactlyOnce(String system) throws Exception {
    var w = new Workloads(root, 4);
    var result = w.burst(factory(system), JOBS, RUN_CAP_MILLIS);

    assertThat(result.ran()).as("jobs that ran on " + system).isEqualTo(JOBS);
    assertThat(result.duplicates()).as("jobs that ran twice on " + system).isZero();
    assertThat(Recorder.current.totalRuns()).as("runs on " + system).isEqualTo(JOBS);
    assertThat(Recorder.current.unknownRuns()).as("runs of unknown jobs on " + system).isZero();
  }

  @ParameterizedTest
  @MethodSource("systems")
  void delayedJobsRunOnceAfterTheirDueTime(String system) throws Exception {
    var w = new Workloads(root, 4);
    var result = w.delayed(factory(system), 50, 200, 1_000, RUN_CAP_MILLIS);

    assertThat(result.ran()).as("jobs that ran on " + system).isEqualTo(50);
    assertThat(result.duplicates()).as("jobs that ran twice on " + system).isZero();
    // Not early by more than the millisecond a due time is rounded to: Quartz keeps due times as
    // java.util.Date and starts a job up to a fraction of a millisecond before the recorder's
    // nanosecond due time (seen: -0.109 ms); a job run a whole millisecond early is a bug.
    assertThat(result.p50Millis()).as("median lateness on " + system).isGreaterThanOrEqualTo(-1.0);
  }
}
