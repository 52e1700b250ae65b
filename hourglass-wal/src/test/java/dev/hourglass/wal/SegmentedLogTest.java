package dev.hourglass.wal;

import static dev.hourglass.wal.WalTesting.replayAll;
import static dev.hourglass.wal.WalTesting.replayPayloads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentedLogTest {
  @TempDir Path dir;

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void emptyLogHasLastLsnZeroAndReplaysNothing() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(wal.lastLsn()).isZero();
      assertThat(replayAll(wal, 0)).isEmpty();
      assertThat(wal.recoveryReport().segments()).isEqualTo(1);
      assertThat(wal.recoveryReport().records()).isZero();
    }
    assertThat(WalTesting.segments(dir))
        .extracting(p -> p.getFileName().toString())
        .containsExactly("00000000000000000001.wal");
  }

  @Test
  void appendedRecordsRoundTripWithContiguousLsnsStartingAtOne() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(wal.append(text("a")).get(5, TimeUnit.SECONDS)).isEqualTo(1L);
      assertThat(wal.append(new byte[0]).get(5, TimeUnit.SECONDS)).isEqualTo(2L);
      assertThat(wal.append(text("ccc")).get(5, TimeUnit.SECONDS)).isEqualTo(3L);
      assertThat(wal.lastLsn()).isEqualTo(3);
      assertThat(wal.durableLsn()).isEqualTo(3);
      var entries = replayAll(wal, 0);
      assertThat(entries).extracting(WalTesting.Entry::lsn).containsExactly(1L, 2L, 3L);
      assertThat(entries)
          .extracting(WalTesting.Entry::bytes)
          .containsExactly(text("a"), new byte[0], text("ccc"));
    }
  }

  @Test
  void reopenContinuesLsnsAndKeepsRecords() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      wal.append(text("one")).get();
      wal.append(text("two")).get();
    }
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(wal.lastLsn()).isEqualTo(2);
      assertThat(wal.recoveryReport().records()).isEqualTo(2);
      assertThat(wal.recoveryReport().bytesTruncated()).isZero();
      assertThat(wal.append(text("three")).get()).isEqualTo(3L);
    }
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(replayPayloads(wal)).containsExactly(text("one"), text("two"), text("three"));
    }
  }

  @Test
  void manySegmentsRollAndReplayInOrderAcrossReopen() throws Exception {
    var random = new Random(42);
    var written = new ArrayList<byte[]>();
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      var futures = new ArrayList<CompletableFuture<Long>>();
      for (int i = 0; i < 2_000; i++) {
        var r = WalTesting.record(random, i, 300);
        written.add(r);
        futures.add(wal.append(r));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertThat(wal.segmentFiles()).hasSizeGreaterThan(20);
      assertThat(wal.stats().segmentRolls()).isEqualTo(wal.segmentFiles().size() - 1);
    }
    for (var segment : WalTesting.segments(dir)) {
      // A single record never pushes a segment past the bound unless it is alone in it.
      assertThat(Files.size(segment)).isLessThanOrEqualTo(WalOptions.SEGMENT_BYTES_MIN);
    }
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      assertThat(wal.lastLsn()).isEqualTo(2_000);
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(written);
    }
  }

  @Test
  void replayFromAnLsnDeliversOnlyLaterRecords() throws Exception {
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      for (int i = 1; i <= 500; i++) {
        wal.append(text("r" + i + "-".repeat(50)));
      }
      wal.append(text("last")).get();
      for (long after : new long[] {0, 1, 77, 250, 499, 500, 501}) {
        var entries = replayAll(wal, after);
        assertThat(entries).hasSize((int) (501 - after));
        if (!entries.isEmpty()) {
          assertThat(entries.getFirst().lsn()).isEqualTo(after + 1);
          assertThat(entries.getLast().bytes()).isEqualTo(text("last"));
        }
      }
    }
  }

  @Test
  void deleteSegmentsBeforeRemovesOnlyWhollyCoveredSegmentsAndNeverTheActiveOne() throws Exception {
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      for (int i = 1; i <= 400; i++) {
        wal.append(new byte[100]);
      }
      wal.append(new byte[100]).get();
      var before = wal.segmentFiles();
      assertThat(before.size()).isGreaterThan(5);
      long secondFirst = firstLsnOf(before.get(2));
      wal.deleteSegmentsBefore(secondFirst - 2); // covers segment 0 only, segment 1 is partly newer
      assertThat(wal.segmentFiles()).isEqualTo(before.subList(1, before.size()));
      wal.deleteSegmentsBefore(secondFirst - 1);
      assertThat(wal.segmentFiles()).isEqualTo(before.subList(2, before.size()));
      assertThat(replayAll(wal, secondFirst - 1)).hasSize((int) (401 - secondFirst + 1));
      assertThatThrownBy(() -> wal.replay(0, (l, b) -> {}))
          .isInstanceOf(WalException.class)
          .hasMessageContaining("replay gap: afterLsn=0");
      wal.deleteSegmentsBefore(Long.MAX_VALUE);
      assertThat(wal.segmentFiles()).containsExactly(before.getLast());
      assertThat(wal.append(text("after compaction")).get()).isEqualTo(402L);
    }
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      assertThat(wal.lastLsn()).isEqualTo(402);
      assertThat(wal.recoveryReport().firstLsn())
          .isEqualTo(firstLsnOf(WalTesting.segments(dir).getFirst()));
    }
  }

  @Test
  void lsnsContinueAfterCompactionLeavesOnlyAHeaderOnlySegment() throws Exception {
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      // Each record fills most of a segment, so the last one ends up alone in the active segment.
      for (int i = 0; i < 5; i++) {
        wal.append(new byte[3_000]).get();
      }
      wal.deleteSegmentsBefore(5);
    }
    try (var wal = SegmentedLog.open(WalTesting.smallSegments(dir))) {
      assertThat(wal.lastLsn()).isEqualTo(5);
      assertThat(wal.append(text("x")).get()).isEqualTo(6L);
    }
  }

  @Test
  void appendAllIsContiguousAndCompletesWithLastLsn() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      wal.append(text("solo")).get();
      var last = wal.appendAll(List.of(text("a"), text("b"), text("c"))).get(5, TimeUnit.SECONDS);
      assertThat(last).isEqualTo(4L);
      assertThat(replayPayloads(wal))
          .containsExactly(text("solo"), text("a"), text("b"), text("c"));
      assertThatThrownBy(() -> wal.appendAll(List.of()))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void oversizedRecordIsRejectedSynchronouslyAndNothingIsWritten() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir).withRecordBytesMax(1_000))) {
      assertThat(wal.append(new byte[1_000]).get()).isEqualTo(1L);
      assertThatThrownBy(() -> wal.append(new byte[1_001]))
          .isInstanceOf(RecordTooLargeException.class)
          .hasMessageContaining("recordBytes=1001 recordBytesMax=1000");
      assertThatThrownBy(() -> wal.appendAll(List.of(new byte[1], new byte[1_001])))
          .isInstanceOf(RecordTooLargeException.class);
      assertThat(wal.lastLsn()).isEqualTo(1);
    }
  }

  @Test
  void appendAfterCloseFailsWithWalClosedException() throws Exception {
    var wal = SegmentedLog.open(WalOptions.defaults(dir));
    wal.close();
    wal.close(); // idempotent
    var future = wal.append(text("late"));
    assertThatThrownBy(future::get)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(WalClosedException.class)
        .hasMessageContaining("wal closed");
  }

  @Test
  void closeFlushesPendingAppendsUnderEveryPolicy() throws Exception {
    for (var policy :
        List.of(
            FsyncPolicy.parse("always"),
            FsyncPolicy.parse("batch(200ms)"),
            FsyncPolicy.parse("never"))) {
      var sub = dir.resolve(policy.toString().replaceAll("[^a-z0-9]", ""));
      var options = WalOptions.defaults(sub).withFsync(policy);
      var futures = new ArrayList<CompletableFuture<Long>>();
      try (var wal = SegmentedLog.open(options)) {
        for (int i = 0; i < 1_000; i++) {
          futures.add(wal.append(text("r" + i)));
        }
      }
      assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
      try (var wal = SegmentedLog.open(options)) {
        assertThat(wal.lastLsn()).as("policy %s", policy).isEqualTo(1_000);
      }
    }
  }

  @Test
  void batchPolicyAcknowledgesOnlyAfterTheDelayedFsync() throws Exception {
    try (var wal =
        SegmentedLog.open(WalOptions.defaults(dir).withFsyncBatch(Duration.ofMillis(100)))) {
      wal.append(text("warm")).get();
      long started = System.nanoTime();
      wal.append(text("a")).get();
      long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
      // The previous fsync was just now, so the next one waits for most of the 100 ms window.
      assertThat(elapsedMillis).isGreaterThanOrEqualTo(50);
      assertThat(wal.stats().fsyncs()).isEqualTo(2);
    }
  }

  private static long firstLsnOf(Path segment) {
    return Long.parseLong(segment.getFileName().toString().substring(0, 20));
  }
}
