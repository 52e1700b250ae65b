package dev.hourglass.wal;

import static dev.hourglass.wal.WalTesting.replayPayloads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection matrix: each damaged shape has one specified outcome, either truncation of a
 * torn tail (nothing acknowledged lost) or a loud WalCorruptedException naming file and offset.
 */
class RecoveryTest {
  @TempDir Path dir;

  private final Random random = new Random(7);

  /** Writes {@code count} records of random sizes in [1, maxBytes] and returns them. */
  private List<byte[]> writeRecords(WalOptions options, int count, int maxBytes)
      throws IOException {
    var records = new ArrayList<byte[]>();
    try (var wal = SegmentedLog.open(options)) {
      for (int i = 0; i < count; i++) {
        var r = new byte[1 + random.nextInt(maxBytes)];
        random.nextBytes(r);
        records.add(r);
        wal.append(r);
      }
    }
    return records;
  }

  /** Offset of each record's frame in a single-segment log. */
  private static long[] frameOffsets(List<byte[]> records) {
    var offsets = new long[records.size() + 1];
    offsets[0] = SegmentFormat.SEGMENT_HEADER_BYTES;
    for (int i = 0; i < records.size(); i++) {
      offsets[i + 1] = offsets[i] + SegmentFormat.FRAME_HEADER_BYTES + records.get(i).length;
    }
    return offsets;
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (var ch =
        java.nio.channels.FileChannel.open(
            file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      var b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
      ch.write(b, offset);
    }
  }

  private static void appendBytes(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes, StandardOpenOption.APPEND);
  }

  @Test
  void truncationAtEveryByteOfTheLastRecordRecoversThePreviousWholeRecord() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 10, 60);
    var segment = WalTesting.lastSegment(dir);
    byte[] original = Files.readAllBytes(segment);
    long lastStart = frameOffsets(records)[9];
    assertThat(lastStart + SegmentFormat.FRAME_HEADER_BYTES + records.get(9).length)
        .isEqualTo(original.length);
    for (int cut = (int) lastStart; cut < original.length; cut++) {
      Files.write(segment, Arrays.copyOf(original, cut));
      try (var wal = SegmentedLog.open(options)) {
        assertThat(wal.lastLsn()).as("cut=%d", cut).isEqualTo(9);
        assertThat(replayPayloads(wal))
            .as("cut=%d", cut)
            .containsExactlyElementsOf(records.subList(0, 9));
        assertThat(wal.recoveryReport().bytesTruncated()).isEqualTo(cut - lastStart);
        if (cut > lastStart) {
          assertThat(wal.recoveryReport().tornTail().orElseThrow().offset()).isEqualTo(lastStart);
        }
        assertThat(wal.append(new byte[] {1}).get()).isEqualTo(10L);
      }
    }
  }

  @Test
  void zeroFilledTailIsTruncatedAsACleanEnd() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 20, 100);
    var segment = WalTesting.lastSegment(dir);
    long size = Files.size(segment);
    appendBytes(segment, new byte[8192]);
    try (var wal = SegmentedLog.open(options)) {
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(records);
      var torn = wal.recoveryReport().tornTail().orElseThrow();
      assertThat(torn.offset()).isEqualTo(size);
      assertThat(torn.bytes()).isEqualTo(8192);
      assertThat(torn.reason()).contains("zero-filled");
    }
    assertThat(Files.size(segment)).isEqualTo(size);
  }

  @Test
  void zerosOverTheLastRecordAndBeyondDropOnlyThatRecord() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 20, 100);
    var segment = WalTesting.lastSegment(dir);
    long lastStart = frameOffsets(records)[19];
    try (var ch = java.nio.channels.FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(4096), lastStart + 5);
    }
    try (var wal = SegmentedLog.open(options)) {
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(records.subList(0, 19));
      assertThat(wal.recoveryReport().tornTail().orElseThrow().offset()).isEqualTo(lastStart);
    }
  }

  @Test
  void junkTailIsTruncated() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 20, 100);
    var segment = WalTesting.lastSegment(dir);
    var junk = new byte[3000];
    new Random(99).nextBytes(junk);
    appendBytes(segment, junk);
    try (var wal = SegmentedLog.open(options)) {
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(records);
      assertThat(wal.recoveryReport().bytesTruncated()).isEqualTo(3000);
    }
  }

  @Test
  void flippedByteWithValidRecordsAfterItIsCorruptionNamingFileAndOffset() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 100, 100);
    var segment = WalTesting.lastSegment(dir);
    long victim = frameOffsets(records)[49];
    flipByte(segment, victim + SegmentFormat.FRAME_HEADER_BYTES); // first payload byte of lsn 50
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class,
            e -> {
              assertThat(e.segment()).isEqualTo(segment);
              assertThat(e.offset()).isEqualTo(victim);
              assertThat(e.detail())
                  .contains("checksum mismatch", "expected lsn=50", "a valid record follows");
              assertThat(e.getMessage()).contains("segment=" + segment, "offset=" + victim);
            });
    // The failed open released the directory lock and changed nothing.
    assertThatThrownBy(() -> SegmentedLog.open(options)).isInstanceOf(WalCorruptedException.class);
  }

  @Test
  void flippedLengthFieldMidSegmentIsCorruption() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 100, 100);
    long victim = frameOffsets(records)[30];
    flipByte(WalTesting.lastSegment(dir), victim + 2);
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class, e -> assertThat(e.offset()).isEqualTo(victim));
  }

  @Test
  void repairKeepsThePrefixBeforeTheCorruptionAndSavesTheDamagedBytes() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 100, 100);
    var segment = WalTesting.lastSegment(dir);
    long victim = frameOffsets(records)[49];
    long size = Files.size(segment);
    flipByte(segment, victim + 20);
    try (var wal = SegmentedLog.open(options.withRepairCorruption(true))) {
      var report = wal.recoveryReport();
      assertThat(report.repaired()).isTrue();
      assertThat(wal.lastLsn()).isEqualTo(49);
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(records.subList(0, 49));
      assertThat(report.bytesTruncated()).isEqualTo(size - victim);
      var saved = segment.resolveSibling(segment.getFileName() + "." + victim + ".corrupt");
      assertThat(report.quarantined()).containsExactly(saved);
      assertThat(Files.size(saved)).isEqualTo(size - victim);
      assertThat(wal.append(new byte[] {1}).get()).isEqualTo(50L);
    }
    try (var wal = SegmentedLog.open(options)) {
      assertThat(wal.lastLsn()).isEqualTo(50);
    }
  }

  @Test
  void damageInANonLastSegmentIsCorruptionEvenAtItsTail() throws Exception {
    var options = WalTesting.smallSegments(dir);
    writeRecords(options, 300, 100);
    var segments = WalTesting.segments(dir);
    assertThat(segments.size()).isGreaterThan(3);
    var second = segments.get(1);
    long size = Files.size(second);
    try (var ch = java.nio.channels.FileChannel.open(second, StandardOpenOption.WRITE)) {
      ch.truncate(size - 3); // looks exactly like a torn tail, but the segment is not the last
    }
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class,
            e -> {
              assertThat(e.segment()).isEqualTo(second);
              assertThat(e.offset())
                  .isLessThan(size - 3)
                  .isGreaterThan(SegmentFormat.SEGMENT_HEADER_BYTES);
            });
    long lastInSecond;
    try (var wal = SegmentedLog.open(options.withRepairCorruption(true))) {
      assertThat(wal.segmentFiles()).containsExactly(segments.get(0), second);
      lastInSecond = wal.lastLsn();
      long secondFirst = Long.parseLong(second.getFileName().toString().substring(0, 20));
      assertThat(lastInSecond).isGreaterThanOrEqualTo(secondFirst);
      assertThat(WalTesting.replayAll(wal, 0)).hasSize((int) lastInSecond);
    }
    for (var later : segments.subList(2, segments.size())) {
      assertThat(later).doesNotExist();
      assertThat(later.resolveSibling(later.getFileName() + ".corrupt")).exists();
    }
  }

  @Test
  void missingMiddleSegmentIsAnLsnGap() throws Exception {
    var options = WalTesting.smallSegments(dir);
    writeRecords(options, 300, 100);
    var segments = WalTesting.segments(dir);
    Files.delete(segments.get(2));
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class,
            e -> {
              assertThat(e.segment()).isEqualTo(segments.get(3));
              assertThat(e.detail()).contains("LSN gap");
            });
  }

  @Test
  void intactFrameWithTheWrongLsnIsCorruptionNotATornTail() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 10, 50);
    var segment = WalTesting.lastSegment(dir);
    byte[] bytes = Files.readAllBytes(segment);
    var offsets = frameOffsets(records);
    // A stale copy of record 3 at the end passes its checksum; only the LSN check catches it.
    appendBytes(segment, Arrays.copyOfRange(bytes, (int) offsets[2], (int) offsets[3]));
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class,
            e -> {
              assertThat(e.offset()).isEqualTo(bytes.length);
              assertThat(e.detail()).contains("found lsn=3", "expected lsn=11");
            });
  }

  @Test
  void missingDirectoryIsCreatedAsAnEmptyLog() throws Exception {
    var nested = dir.resolve("a/b/wal");
    try (var wal = SegmentedLog.open(WalOptions.defaults(nested))) {
      assertThat(wal.lastLsn()).isZero();
      assertThat(wal.append(new byte[] {1}).get()).isEqualTo(1L);
    }
  }

  @Test
  void headerOnlySegmentContinuesFromItsNamedLsn() throws Exception {
    SegmentFormat.createSegment(dir, 42);
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(wal.lastLsn()).isEqualTo(41);
      assertThat(wal.recoveryReport().records()).isZero();
      assertThat(WalTesting.replayAll(wal, 41)).isEmpty();
      assertThat(wal.append(new byte[] {1}).get()).isEqualTo(42L);
    }
  }

  @Test
  void lastSegmentShorterThanItsHeaderGetsItsHeaderRewritten() throws Exception {
    var options = WalTesting.smallSegments(dir);
    var records = writeRecords(options, 100, 100);
    var segments = WalTesting.segments(dir);
    var last = segments.getLast();
    long firstOfLast = Long.parseLong(last.getFileName().toString().substring(0, 20));
    Files.write(last, new byte[] {0x48, 0x47, 0x57});
    try (var wal = SegmentedLog.open(options)) {
      assertThat(wal.lastLsn()).isEqualTo(firstOfLast - 1);
      assertThat(replayPayloads(wal))
          .containsExactlyElementsOf(records.subList(0, (int) firstOfLast - 1));
    }
    assertThat(Files.size(last)).isEqualTo(SegmentFormat.SEGMENT_HEADER_BYTES);
  }

  @Test
  void badMagicIsCorruption() throws Exception {
    var options = WalOptions.defaults(dir);
    writeRecords(options, 5, 10);
    flipByte(WalTesting.lastSegment(dir), 0);
    assertThatThrownBy(() -> SegmentedLog.open(options))
        .isInstanceOfSatisfying(
            WalCorruptedException.class,
            e -> {
              assertThat(e.offset()).isZero();
              assertThat(e.detail()).contains("bad segment magic");
            });
  }

  @Test
  void leftoverTempSegmentFromAnInterruptedRollIsDeleted() throws Exception {
    var options = WalOptions.defaults(dir);
    var records = writeRecords(options, 5, 10);
    var temp = dir.resolve("00000000000000000006.wal.tmp");
    Files.write(temp, new byte[7]);
    try (var wal = SegmentedLog.open(options)) {
      assertThat(replayPayloads(wal)).containsExactlyElementsOf(records);
    }
    assertThat(temp).doesNotExist();
  }

  @Test
  void strayFileWithASegmentSuffixIsRefused() throws Exception {
    Files.write(dir.resolve("notes.wal"), new byte[] {1});
    assertThatThrownBy(() -> SegmentedLog.open(WalOptions.defaults(dir)))
        .isInstanceOf(WalCorruptedException.class)
        .hasMessageContaining("unexpected file name");
  }
}
