package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The steady workload submits each arrival at its planned time whatever the system's answers cost,
 * as an application's many request threads would, so that it measures the system rather than its
 * own submitters; and it bounds the submits in flight and the run's length.
 */
class SteadyArrivalsTest {
  private Path root;

  @BeforeEach
  void createRoot() throws Exception {
    PeerBench.quietLogging();
    root = Files.createTempDirectory("steady");
  }

  @AfterEach
  void deleteRoot() throws Exception {
    Workloads.deleteTree(root);
  }

  @Test
  void aSlowSubmitDoesNotHoldBackTheArrivalsBehindIt() throws Exception {
    // 200 jobs/s for 2 s, each submit taking 50 ms: about ten in flight at a time. Submitters that
    // each waited for their own submit would manage 20 a second apiece: four of them would submit
    // the middle arrival 1.5 s late and the last ones 3 s late. The bounds leave room for a loaded
    // machine and still tell the two apart.
    var slow = new SlowSubmits(QuartzContender.ram(), 50);

    var result = new Workloads(root, 2).steady(() -> slow, 200, 2, 10_000, false);

    assertThat(result.ran()).isEqualTo(400);
    assertThat(result.duplicates()).isZero();
    assertThat(result.p50Millis())
        .as("the submit's own 50 ms, and little more")
        .isBetween(50.0, 1_000.0);
    assertThat(result.p99Millis()).isLessThan(2_000.0);
    assertThat(slow.inFlightMax()).as("submits overlapped").isGreaterThan(4);
  }

  @Test
  void submitsInFlightAreBoundedAndTheRunStopsAtItsCap() throws Exception {
    // 1,000 jobs/s for 1 s, each submit taking 5 s: the in-flight bound is reached within about a
    // quarter of a second, and the arrivals after it wait for a submit to end, which none does
    // before the 1 s cap. The run ends at the cap, about 2.2 s after it began, with the submits in
    // flight interrupted rather than waited for (they would take 5 s), and nothing ran.
    var stuck = new SlowSubmits(QuartzContender.ram(), 5_000);

    long start = System.nanoTime();
    var result = new Workloads(root, 2).steady(() -> stuck, 1_000, 1, 1_000, false);
    double seconds = (System.nanoTime() - start) / 1e9;

    assertThat(stuck.inFlightMax()).isEqualTo(Workloads.STEADY_IN_FLIGHT_MAX);
    assertThat(seconds).as("seconds until the run ended").isLessThan(4.5);
    assertThat(result.ran()).isZero();
    assertThat(result.finished()).isFalse();
    assertThat(result.note()).contains("lower bounds");
  }

  @Test
  void aSubmitThatFailsAfterTheLastArrivalFailsTheRun() {
    // 5 jobs/s for 1 s, each submit taking 300 ms, and the last one failing: it fails after the
    // last arrival went out, and the run reports it rather than counting a job that never ran.
    var lastFails = new SlowSubmits(QuartzContender.ram(), 300, 4);

    assertThatThrownBy(() -> new Workloads(root, 2).steady(() -> lastFails, 5, 1, 10_000, false))
        .hasMessageContaining("fails on purpose");
  }
}
