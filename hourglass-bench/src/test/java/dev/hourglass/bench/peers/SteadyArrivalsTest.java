package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

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

    var result = new Workloads(root, 2).steady(() -> slow, 200, 2, 10_000);

    assertThat(result.ran()).isEqualTo(400);
    assertThat(result.duplicates()).isZero();
    assertThat(result.p50Millis())
        .as("the submit's own 50 ms, and little more")
        .isBetween(50.0, 500.0);
    assertThat(result.p99Millis()).isLessThan(1_200.0);
    assertThat(slow.inFlightMax()).as("submits overlapped").isGreaterThan(4);
  }

  @Test
  void submitsInFlightAreBoundedAndTheRunStopsAtItsCap() throws Exception {
    // 1,000 jobs/s for 1 s, each submit taking 2 s: the in-flight bound is reached within about a
    // quarter of a second, and the arrivals after it wait for a submit to end, which none does
    // before the 1 s cap, so they are never submitted and count as not run.
    var stuck = new SlowSubmits(QuartzContender.ram(), 2_000);

    var result = new Workloads(root, 2).steady(() -> stuck, 1_000, 1, 1_000);

    assertThat(stuck.inFlightMax()).isEqualTo(Workloads.STEADY_IN_FLIGHT_MAX);
    assertThat(result.ran()).isLessThanOrEqualTo(Workloads.STEADY_IN_FLIGHT_MAX);
    assertThat(result.finished()).isFalse();
    assertThat(result.note()).contains("lower bounds");
  }
}
