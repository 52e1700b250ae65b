package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FsyncPolicyTest {
  @Test
  void parsesTheThreeForms() {
    assertThat(FsyncPolicy.parse("always")).isEqualTo(new FsyncPolicy.Always());
    assertThat(FsyncPolicy.parse(" NEVER ")).isEqualTo(new FsyncPolicy.NeverUnsafeForTests());
    assertThat(FsyncPolicy.parse("batch(5ms)"))
        .isEqualTo(new FsyncPolicy.Batch(Duration.ofMillis(5)));
    assertThat(FsyncPolicy.parse("batch(250us)"))
        .isEqualTo(new FsyncPolicy.Batch(Duration.ofNanos(250_000)));
    assertThat(FsyncPolicy.parse("batch(1s)"))
        .isEqualTo(new FsyncPolicy.Batch(Duration.ofSeconds(1)));
  }

  @Test
  void toStringRoundTripsThroughParse() {
    for (var text :
        new String[] {"always", "never", "batch(5ms)", "batch(250us)", "batch(1000ms)"}) {
      assertThat(FsyncPolicy.parse(text).toString()).isEqualTo(text);
    }
  }

  @Test
  void rejectsUnknownOrOutOfBoundValues() {
    for (var bad :
        new String[] {
          "",
          "sometimes",
          "batch()",
          "batch(5)",
          "batch(5h)",
          "batch(-1ms)",
          "batch(0ms)",
          "batch(2s)",
          "batch(99999999999ms)"
        }) {
      assertThatThrownBy(() -> FsyncPolicy.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void optionsRejectOutOfBoundValues() {
    var dir = Path.of("x");
    assertThatThrownBy(() -> WalOptions.defaults(dir).withSegmentBytesMax(100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("segmentBytesMax=100");
    assertThatThrownBy(() -> WalOptions.defaults(dir).withRecordBytesMax(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(WalOptions.defaults(dir).recordBytesMax()).isEqualTo(16 << 20);
    assertThat(WalOptions.defaults(dir).segmentBytesMax()).isEqualTo(64L << 20);
  }

  @Test
  void boundsRelateSoThatOneMaximalRecordAlwaysFitsABatchAndASegment() {
    assertThat(
            (long) WalOptions.RECORD_BYTES_DEFAULT
                + SegmentFormat.FRAME_HEADER_BYTES
                + SegmentFormat.SEGMENT_HEADER_BYTES)
        .isLessThanOrEqualTo(WalOptions.SEGMENT_BYTES_DEFAULT);
    assertThat(WalOptions.RECORD_BYTES_LIMIT)
        .isLessThanOrEqualTo(SegmentedLog.APPEND_ALL_BYTES_MAX);
    assertThat(SegmentedLog.PENDING_BYTES_MAX)
        .isGreaterThanOrEqualTo(WalOptions.RECORD_BYTES_DEFAULT);
  }
}
