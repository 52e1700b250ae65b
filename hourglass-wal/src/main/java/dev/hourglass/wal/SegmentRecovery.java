package dev.hourglass.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes: the recovery rules.
 *
 * Segments are scanned in LSN order. Each must start with a valid header whose firstLsn matches
 * its name and continues the previous segment without a gap. Within a segment every frame must
 * decode (see SegmentReader) with the next expected LSN.
 *
 * Where decoding stops early, the question is "torn tail or corruption?":
 *  - Only the LAST segment can have a torn tail, because the flusher forces a segment before it
 *    creates the next one. A tail is torn when nothing valid follows the bad frame: no frame with
 *    a correct checksum and a plausible LSN starts anywhere after it. That covers a short frame,
 *    a partially written payload, zero fill and junk. It is truncated to the last whole record
 *    (WARN): those bytes were never acknowledged, because acknowledgement follows fsync.
 *  - Everything else is corruption: damage with valid records after it (a bit flip in the
 *    middle), a checksummed frame carrying the wrong LSN, any damage in a non-last segment, a gap
 *    between segments, a bad header on a segment that is not the last. Acknowledged records may
 *    be lost, so open fails with WalCorruptedException unless repairCorruption is set; repair
 *    copies the damaged tail to <segment>.<offset>.corrupt, truncates, renames every later segment
 *    to *.corrupt and logs ERROR.
 *  - A last segment shorter than its header, or whose header is all zeros, is a roll cut short
 *    by a crash; its header is rewritten. (Segments are created by atomic rename, so this only
 *    happens if the file system loses the write.)
 *
 * Known limit: on power loss (not process crash) a disk may persist pages of one unacknowledged
 * write out of order, leaving a hole followed by intact frames of that same write. That shape is
 * indistinguishable from a bit flip and is reported as corruption; reopen with repair keeps every
 * acknowledged record in that case, since the records after the hole were never acknowledged.
 *
 * Not thread-safe: runs once, inside SegmentedLog.open, before any other thread sees the log.
 */

/** Scans and repairs the segments of a log directory on open. */
final class SegmentRecovery {
  private static final Logger log = LoggerFactory.getLogger(SegmentRecovery.class);

  /** Result: the retained segments in order, the active (last) segment's length, the last LSN. */
  record Recovered(
      List<SegmentFile> segments, long activeSize, long lastLsn, RecoveryReport report) {}

  /** A segment file and the LSN of its first record (the next LSN if it holds none). */
  record SegmentFile(Path path, long firstLsn) {}

  private final WalOptions options;
  private final Path dir;
  private final List<RecoveryReport.Truncation> truncations = new ArrayList<>();
  private final List<Path> quarantined = new ArrayList<>();
  private long records;
  private boolean repaired;

  SegmentRecovery(WalOptions options, Path dir) {
    this.options = options;
    this.dir = dir;
  }

  Recovered run() throws IOException {
    long started = System.nanoTime();
    deleteTempFiles();
    var files = listSegments();
    if (files.isEmpty()) {
      files.add(new SegmentFile(SegmentFormat.createSegment(dir, 1), 1));
    }
    long expected = files.getFirst().firstLsn();
    long activeSize = 0;
    int kept = files.size();
    for (int i = 0; i < files.size(); i++) {
      var file = files.get(i);
      boolean last = i == files.size() - 1;
      if (file.firstLsn() != expected) {
        var detail =
            "LSN gap between segments: segment starts at firstLsn=%d but the previous one ends at lsn=%d"
                .formatted(file.firstLsn(), expected - 1);
        corruption(file.path(), 0, detail);
        quarantine(files.subList(i, files.size()), file.path(), 0, detail, expected - 1);
        kept = i;
        break;
      }
      var scan = scanSegment(file, expected, last);
      expected = scan.nextLsn;
      activeSize = scan.end;
      if (scan.corruptionAt >= 0) {
        quarantine(
            files.subList(i + 1, files.size()),
            file.path(),
            scan.corruptionAt,
            scan.detail,
            expected - 1);
        kept = i + 1;
        break;
      }
    }
    var segments = List.copyOf(files.subList(0, kept));
    var report =
        new RecoveryReport(
            segments.size(),
            records,
            segments.getFirst().firstLsn(),
            expected - 1,
            truncations.stream().mapToLong(RecoveryReport.Truncation::bytes).sum(),
            truncations,
            quarantined,
            repaired,
            Duration.ofNanos(System.nanoTime() - started));
    return new Recovered(segments, activeSize, expected - 1, report);
  }

  private static final class Scan {
    long nextLsn;
    long end;
    long corruptionAt = -1;
    String detail = "";
  }

  /** Scans one segment; truncates a torn tail; throws or repairs on corruption. */
  private Scan scanSegment(SegmentFile file, long firstLsn, boolean last) throws IOException {
    var scan = new Scan();
    scan.nextLsn = firstLsn;
    try (var reader = new SegmentReader(file.path(), options.recordBytesMax())) {
      byte[] header = reader.header();
      String headerProblem =
          header == null
              ? "file shorter than segment header"
              : SegmentFormat.checkHeader(header, firstLsn);
      if (headerProblem != null) {
        if (last && (header == null || reader.zerosFrom(0) || isZeros(header))) {
          truncate(
              file.path(), 0, reader.size(), "incomplete segment header: " + headerProblem, false);
          rewriteHeader(file);
          scan.end = SegmentFormat.SEGMENT_HEADER_BYTES;
          return scan;
        }
        return corruptAt(scan, file, reader.size(), 0, "invalid segment header: " + headerProblem);
      }
      long offset = SegmentFormat.SEGMENT_HEADER_BYTES;
      while (true) {
        var status = reader.decode(offset, scan.nextLsn);
        if (status == FrameStatus.END) {
          scan.end = offset;
          return scan;
        }
        if (status == FrameStatus.OK) {
          offset += reader.frameBytes();
          scan.nextLsn++;
          records++;
          continue;
        }
        var detail = describe(status, reader, offset, scan.nextLsn);
        if (last && status != FrameStatus.BAD_LSN) {
          // Any intact frame after the damage, with an LSN this log could have written next,
          // means the damage is not a torn tail.
          long maxLsn = scan.nextLsn + (reader.size() - offset) / SegmentFormat.FRAME_HEADER_BYTES;
          long validAt = reader.findValidFrameAfter(offset, scan.nextLsn, maxLsn);
          if (validAt < 0) {
            truncate(file.path(), offset, reader.size(), detail, false);
            scan.end = offset;
            return scan;
          }
          detail += "; a valid record follows at offset=" + validAt;
        }
        return corruptAt(scan, file, reader.size(), offset, detail);
      }
    }
  }

  private Scan corruptAt(Scan scan, SegmentFile file, long size, long offset, String detail)
      throws IOException {
    corruption(file.path(), offset, detail);
    long keep = Math.max(offset, SegmentFormat.SEGMENT_HEADER_BYTES);
    if (offset < SegmentFormat.SEGMENT_HEADER_BYTES) {
      saveTail(file.path(), 0, size);
      truncate(file.path(), 0, size, detail, true);
      rewriteHeader(file);
    } else {
      saveTail(file.path(), offset, size);
      truncate(file.path(), offset, size, detail, true);
    }
    scan.end = keep;
    scan.corruptionAt = offset;
    scan.detail = detail;
    return scan;
  }

  /** Throws unless repair is enabled; with repair, records that records will be lost. */
  private void corruption(Path segment, long offset, String detail) throws WalCorruptedException {
    if (!options.repairCorruption()) {
      throw new WalCorruptedException(segment, offset, detail);
    }
    repaired = true;
  }

  private static String describe(
      FrameStatus status, SegmentReader reader, long offset, long expectedLsn) throws IOException {
    var detail =
        "%s at expected lsn=%d (file size=%d)"
            .formatted(status.description, expectedLsn, reader.size());
    if (status == FrameStatus.BAD_LSN) {
      detail += ", found lsn=" + reader.frameLsn();
    }
    if (status != FrameStatus.ZEROS && reader.zerosFrom(offset)) {
      detail += ", rest of file is zeros";
    }
    return detail;
  }

  private static boolean isZeros(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private void truncate(Path segment, long offset, long size, String reason, boolean corrupt)
      throws IOException {
    if (size <= offset) {
      return;
    }
    try (var ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(offset);
      ch.force(true);
    }
    truncations.add(new RecoveryReport.Truncation(segment, offset, size - offset, reason));
    if (!corrupt) {
      log.warn(
          "wal torn tail truncated: segment={} offset={} bytesTruncated={} reason=\"{}\"; unacknowledged bytes dropped, nothing acknowledged is lost",
          segment,
          offset,
          size - offset,
          reason);
    }
  }

  private void rewriteHeader(SegmentFile file) throws IOException {
    try (var ch = FileChannel.open(file.path(), StandardOpenOption.WRITE)) {
      ch.truncate(0);
      SegmentFormat.writeFully(ch, SegmentFormat.encodeHeader(file.firstLsn()), 0);
      ch.force(true);
    }
  }

  /** Copies the damaged bytes aside before truncation so an operator can inspect them. */
  private void saveTail(Path segment, long offset, long size) throws IOException {
    if (size <= offset) {
      return;
    }
    var copy =
        segment.resolveSibling(segment.getFileName() + "." + offset + SegmentFormat.CORRUPT_SUFFIX);
    try (var in = FileChannel.open(segment, StandardOpenOption.READ);
        var out =
            FileChannel.open(
                copy,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      long done = 0;
      while (done < size - offset) {
        done += in.transferTo(offset + done, size - offset - done, out);
      }
      out.force(true);
    }
    quarantined.add(copy);
  }

  private void quarantine(
      List<SegmentFile> later, Path damaged, long offset, String detail, long lastGoodLsn)
      throws IOException {
    for (var file : later) {
      var target =
          file.path().resolveSibling(file.path().getFileName() + SegmentFormat.CORRUPT_SUFFIX);
      Files.move(
          file.path(), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      quarantined.add(target);
    }
    SegmentFormat.forceDirectory(dir);
    log.error(
        "wal corruption repaired: segment={} offset={} detail=\"{}\" laterSegmentsQuarantined={} quarantined={}; records after lsn={} are lost, check the disk and compare with replicas or backups",
        damaged,
        offset,
        detail,
        later.size(),
        quarantined,
        lastGoodLsn);
  }

  private void deleteTempFiles() throws IOException {
    try (DirectoryStream<Path> stream =
        Files.newDirectoryStream(dir, "*" + SegmentFormat.TEMP_SUFFIX)) {
      for (var temp : stream) {
        // A temp segment is renamed into place only after it is complete, so a leftover one holds
        // nothing: it is the remains of a roll cut short by a crash.
        Files.delete(temp);
      }
    }
  }

  private List<SegmentFile> listSegments() throws IOException {
    var files = new ArrayList<SegmentFile>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + SegmentFormat.SUFFIX)) {
      for (var path : stream) {
        long firstLsn = SegmentFormat.parseFirstLsn(path.getFileName().toString());
        if (firstLsn < 0) {
          throw new WalCorruptedException(
              path, 0, "unexpected file name ending in .wal; move it out of the log directory");
        }
        files.add(new SegmentFile(path, firstLsn));
      }
    }
    files.sort(Comparator.comparingLong(SegmentFile::firstLsn));
    return files;
  }
}
