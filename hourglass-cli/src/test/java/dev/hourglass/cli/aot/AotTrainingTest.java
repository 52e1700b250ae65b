package dev.hourglass.cli.aot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The training workload of {@code hourglass aot} must really run every role it is meant to record:
 * jobs done by three replicas, more done after their leader was stopped (so a new leader served),
 * and jobs done by a single node. A workload that silently did nothing would record a cache that
 * helps nobody.
 */
class AotTrainingTest {
  @Test
  void trainsThreeReplicasThroughAFailoverAndOneNode() throws Exception {
    AotTraining.Result r = AotTraining.run(Duration.ofSeconds(2));

    assertThat(r.beforeFailover()).as("jobs succeeded on the first leader").isPositive();
    assertThat(r.afterFailover())
        .as("jobs succeeded by the end, after the leader stopped")
        .isGreaterThan(r.beforeFailover());
    assertThat(r.singleNode()).as("jobs succeeded on the single node").isPositive();
  }
}
