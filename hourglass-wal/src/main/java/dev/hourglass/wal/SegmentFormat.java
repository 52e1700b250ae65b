package dev.hourglass.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Byte layout of segments and record frames (see docs/WAL_FORMAT.md). All integers big-endian.
 *
 * <pre>
 * segment header (20 bytes): magic u32 "HGWL" | version u16 | flags u16 (0) | firstLsn u64 | crc32c u32 of bytes 0..15
 * record frame (17 + n):     length u32 (n) | crc32c u32 of bytes 8..17+n | version u8 | lsn u64 | payload n
 * </pre>
 *
 * <p>Stateless; thread-safe.
 */
final class SegmentFormat {
  static final int MAGIC = 0x4847574C; // "HGWL"
  static final short SEGMENT_VERSION = 1;
  static final int SEGMENT_HEADER_BYTES = 20;
  static final byte RECORD_VERSION = 1;
  static final int FRAME_HEADER_BYTES = 17;

  /** Offset within a frame where the CRC-covered bytes (version, lsn, payload) start. */
  static final int CRC_COVERED_OFFSET = 8;

  static final String SUFFIX = ".wal";
  static final String TEMP_SUFFIX = ".wal.tmp";
  static final String CORRUPT_SUFFIX = ".corrupt";

  private SegmentFormat() {}

  /** Segment file name: the first LSN zero-padded to 20 digits, so names sort like LSNs. */
  static String fileName(long firstLsn) {
    return String.format("%020d%s", firstLsn, SUFFIX);
  }

  /** The first LSN encoded in a segment file name, or -1 if the name is not a segment name. */
  static long parseFirstLsn(String name) {
    if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
      return -1;
    }
    for (int i = 0; i < 20; i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return -1;
      }
    }
    long lsn = Long.parseLong(name, 0, 20, 10);
    return lsn >= 1 ? lsn : -1;
  }

  static ByteBuffer encodeHeader(long firstLsn) {
    var header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
    header.putInt(MAGIC).putShort(SEGMENT_VERSION).putShort((short) 0).putLong(firstLsn);
    var crc = new CRC32C();
    crc.update(header.array(), 0, 16);
    header.putInt((int) crc.getValue());
    return header.flip();
  }

  /**
   * Checks a segment header. Returns null when valid, else a description of the problem.
   *
   * @param header exactly {@link #SEGMENT_HEADER_BYTES} bytes
   */
  static String checkHeader(byte[] header, long expectedFirstLsn) {
    var buf = ByteBuffer.wrap(header);
    int magic = buf.getInt(0);
    short version = buf.getShort(4);
    long firstLsn = buf.getLong(8);
    var crc = new CRC32C();
    crc.update(header, 0, 16);
    if (magic != MAGIC) {
      return "bad segment magic: found=0x%08x expected=0x%08x".formatted(magic, MAGIC);
    }
    if ((int) crc.getValue() != buf.getInt(16)) {
      return "segment header checksum mismatch: stored=0x%08x computed=0x%08x"
          .formatted(buf.getInt(16), (int) crc.getValue());
    }
    if (version != SEGMENT_VERSION) {
      return "unknown segment format version: found=%d supported=%d"
          .formatted(version, SEGMENT_VERSION);
    }
    if (firstLsn != expectedFirstLsn) {
      return "segment header firstLsn=%d does not match file name firstLsn=%d"
          .formatted(firstLsn, expectedFirstLsn);
    }
    return null;
  }

  /**
   * Creates a segment holding only its header, atomically: written to a temp file, forced, renamed,
   * and the directory forced. A crash therefore never leaves a half-written header under a segment
   * name.
   */
  static Path createSegment(Path dir, long firstLsn) throws IOException {
    var target = dir.resolve(fileName(firstLsn));
    var temp = dir.resolve(String.format("%020d%s", firstLsn, TEMP_SUFFIX));
    try (var ch =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeFully(ch, encodeHeader(firstLsn), 0);
      ch.force(true);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    forceDirectory(dir);
    return target;
  }

  static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }

  /** Makes a create, rename or delete in {@code dir} durable (Linux: fsync on the directory). */
  static void forceDirectory(Path dir) throws IOException {
    try (var ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
