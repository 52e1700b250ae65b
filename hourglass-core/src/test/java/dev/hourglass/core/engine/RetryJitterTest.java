package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Retry delays of jobs that all fail at the same moment, with jitter on and off. */
class RetryJitterTest {
  static final int JOBS = 50;

  /** Submits the jobs, then has each fail {@code failures} times at the same instant. */
  static List<Long> delaysAfter(boolean jitter, int failures) {
    var f = new EngineFixture();
    for (int i = 0; i < JOBS; i++) {
      f.submit(
          JobSpec.of("job-" + i, "t", null)
              .withMaxAttempts(10)
              .withBackoff(new Backoff(1_000, 60_000, jitter)));
    }
    List<Long> delays = new ArrayList<>();
    for (int round = 1; round <= failures; round++) {
      List<LeaseGranted> granted = f.lease("w", JOBS);
      assertThat(granted).hasSize(JOBS);
      granted.forEach(g -> f.fail(g, true));
      delays.clear();
      for (int i = 0; i < JOBS; i++) {
        var job = f.engine.queries().job("job-" + i).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.FAILED);
        delays.add(job.dueAtMillis() - f.now);
      }
      f.advance(60_000); // every retry is due
    }
    return delays;
  }

  @Test
  void withJitterEachDelayIsDrawnFromZeroToTheExponentialDelayAndTheyDiffer() {
    for (int failures = 1; failures <= 3; failures++) {
      long exponential = 1_000L << failures;
      List<Long> delays = delaysAfter(true, failures);
      assertThat(delays)
          .as("delays after failure %d", failures)
          .allSatisfy(d -> assertThat(d).isBetween(0L, exponential));
      Set<Long> distinct = new HashSet<>(delays);
      assertThat(distinct).as("distinct delays of %d jobs", JOBS).hasSizeGreaterThan(JOBS / 2);
      // Deterministic: the same jobs failing the same way get the same delays.
      assertThat(delaysAfter(true, failures)).isEqualTo(delays);
    }
  }

  @Test
  void withoutJitterEveryDelayIsExactlyExponential() {
    for (int failures = 1; failures <= 3; failures++) {
      long exponential = 1_000L << failures;
      assertThat(delaysAfter(false, failures)).containsOnly(exponential);
    }
  }
}
