package dev.hourglass.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Shared helpers for WAL tests. */
final class WalTesting {
  private WalTesting() {}

  /** Small segments so tests cross many segment boundaries quickly. */
  static WalOptions smallSegments(Path dir) {
    return WalOptions.defaults(dir).withSegmentBytesMax(WalOptions.SEGMENT_BYTES_MIN);
  }

  /** A record whose content identifies its index, so a misplaced record is detected. */
  static byte[] record(Random random, int index, int maxBytes) {
    int length = random.nextInt(maxBytes + 1);
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    if (length >= 4) {
      bytes[0] = (byte) (index >>> 24);
      bytes[1] = (byte) (index >>> 16);
      bytes[2] = (byte) (index >>> 8);
      bytes[3] = (byte) index;
    }
    return bytes;
  }

  record Entry(long lsn, byte[] bytes) {}

  static List<Entry> replayAll(SegmentedLog wal, long afterLsn) throws IOException {
    var out = new ArrayList<Entry>();
    wal.replay(afterLsn, (lsn, bytes) -> out.add(new Entry(lsn, bytes)));
    return out;
  }

  static List<byte[]> replayPayloads(SegmentedLog wal) throws IOException {
    return replayAll(wal, 0).stream().map(Entry::bytes).toList();
  }

  static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".wal")).sorted().toList();
    }
  }

  static Path lastSegment(Path dir) throws IOException {
    return segments(dir).getLast();
  }
}
