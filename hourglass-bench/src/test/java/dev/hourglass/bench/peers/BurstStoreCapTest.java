package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A burst whose store is slow stops storing at the cap and runs what it stored, so one slow peer
 * cannot stretch the whole benchmark, and the result says how many jobs that was.
 */
class BurstStoreCapTest {
  private Path root;

  @BeforeEach
  void createRoot() throws Exception {
    PeerBench.quietLogging();
    root = Files.createTempDirectory("burst-cap");
  }

  @AfterEach
  void deleteRoot() throws Exception {
    Workloads.deleteTree(root);
  }

  @Test
  void aStoreSlowerThanTheCapStopsAtAChunkBoundaryAndRunsWhatItStored() throws Exception {
    var w = new Workloads(root, 2);
    // 2,000 jobs in chunks of 100, each chunk taking at least 100 ms, cap 450 ms: the first chunk
    // always starts, and by the end of the fifth at the latest the cap has passed.
    var result = w.burst(() -> new SlowSubmits(QuartzContender.ram(), 100), 2_000, 450);

    assertThat(result.requested()).isEqualTo(2_000);
    assertThat(result.storedAll()).isFalse();
    assertThat(result.stored()).as("stored in whole chunks").isBetween(100, 500);
    assertThat(result.stored() % 100).isZero();
    assertThat(result.submitSeconds())
        .as("stopped only once the cap had passed")
        .isGreaterThan(0.45);
    assertThat(result.ran()).as("every stored job ran").isEqualTo(result.stored());
    assertThat(result.finished()).isTrue();
    assertThat(Recorder.current.totalRuns()).isEqualTo(result.stored());
  }

  @Test
  void aStoreWithinTheCapStoresEveryJob() throws Exception {
    var w = new Workloads(root, 2);
    var result = w.burst(QuartzContender::ram, 2_000, 30_000);

    assertThat(result.storedAll()).isTrue();
    assertThat(result.stored()).isEqualTo(2_000);
    assertThat(result.ran()).isEqualTo(2_000);
  }
}
