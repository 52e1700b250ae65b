package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.PrimitiveIterator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The steady warm-up runs rounds until a round compiles little, and never past its limit. */
class SteadyWarmupTest {
  private Path root;

  @BeforeEach
  void createRoot() throws Exception {
    PeerBench.quietLogging();
    root = Files.createTempDirectory("warmup");
  }

  @AfterEach
  void deleteRoot() throws Exception {
    Workloads.deleteTree(root);
  }

  @Test
  void stopsAfterTheFirstRoundThatCompiledUnderTheThreshold() throws Exception {
    // Cumulative compile times read before and after each round: two rounds of 1,000 ms of
    // compiling (over a round of about 1 s), then one of 1 ms.
    var jit = reading(0, 1_000, 1_000, 2_000, 2_000, 2_001, 2_001, 2_001);

    int seconds =
        SteadyWarmup.run(new Workloads(root, 2), QuartzContender::ram, 50, 5_000, jit, 1, 10);

    assertThat(seconds).isEqualTo(3);
    assertThat(Recorder.current.duplicates()).isZero();
  }

  @Test
  void stopsAtItsLimitWhileTheJitIsStillBusy() throws Exception {
    var jit = reading(0, 10_000, 10_000, 20_000, 20_000, 30_000, 30_000, 40_000);

    int seconds =
        SteadyWarmup.run(new Workloads(root, 2), QuartzContender::ram, 50, 5_000, jit, 1, 2);

    assertThat(seconds).isEqualTo(2);
  }

  private static SteadyWarmup.Compiler reading(long... cumulativeMillis) {
    PrimitiveIterator.OfLong it = LongStream.of(cumulativeMillis).iterator();
    return it::nextLong;
  }
}
