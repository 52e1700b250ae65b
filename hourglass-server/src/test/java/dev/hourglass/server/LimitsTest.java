package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.SegmentedLog;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitsTest {
  @Test
  void defaultBoundsFitTogether() {
    Limits l = Limits.DEFAULTS;
    assertThat(l.bodyBytesMax()).isGreaterThan(l.payloadBytesMax());
    assertThat(l.payloadBytesMax()).isLessThanOrEqualTo(EngineConfig.DEFAULTS.payloadBytesMax());
    // One group commit must fit into one log append.
    assertThat(l.applyBatchBytesMax()).isLessThan(SegmentedLog.APPEND_ALL_BYTES_MAX);
    // Ticks must come often enough for the 50 ms promise, and a lease can outlive a commit.
    assertThat(l.tickSpacingMin()).isLessThan(Duration.ofMillis(50));
    assertThat(l.replyTimeout()).isGreaterThan(l.tickSpacingMin());
    assertThat(l.leaseWaitMax()).isLessThanOrEqualTo(Duration.ofSeconds(60));
    // Every parked long poll and every admitted call has a connection to arrive on.
    assertThat(l.connectionsMax())
        .isGreaterThanOrEqualTo(l.parkedLeasesMax() + l.requestsInFlightMax());
  }

  @Test
  void inconsistentBoundsAreRefusedWithEveryValueNamed() {
    assertThatThrownBy(
            () ->
                new Limits(
                    100,
                    50,
                    200,
                    1,
                    1,
                    200,
                    0,
                    Duration.ZERO,
                    Duration.ofSeconds(1),
                    Duration.ZERO,
                    Duration.ofSeconds(1),
                    0,
                    1,
                    1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("payloadBytesMax=100")
        .hasMessageContaining("bodyBytesMax=50");
  }

  @Test
  void payloadBoundCanBeRaisedWithTheBodyBoundFollowing() {
    Limits l = Limits.DEFAULTS.withPayloadBytesMax(4 << 20);
    assertThat(l.bodyBytesMax()).isGreaterThan(4 << 20);
    assertThat(l.batchBodyBytesMax()).isGreaterThanOrEqualTo(l.bodyBytesMax());
  }
}
