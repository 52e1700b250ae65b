package dev.hourglass.wal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/*
 * Implementation notes.
 *
 * The reader decodes frames through a sliding window over the file (positional reads, never
 * mmap: an unmapped-late MappedByteBuffer over a file that recovery then truncates can SIGBUS).
 * The window is refilled from the requested offset whenever a request falls outside it, so a
 * sequential scan costs one read per WINDOW_BYTES and the forward search for "is anything valid
 * after this damage" reuses the same window.
 *
 * Every decode checks, in order: room for a frame header, all-zero header (preallocated or
 * never-written space), length bound, room for the payload, CRC32C, record version, and the LSN
 * expected by position. A CRC alone is not trusted: a stale but intact frame left from an earlier
 * life of the file would pass it, the LSN check catches that.
 */

/** Decodes record frames of one segment file. Not thread-safe: one reader per thread. */
final class SegmentReader implements Closeable {
  /** Why 1 MiB: amortizes syscalls over ~5,000 typical records without a large heap footprint. */
  private static final int WINDOW_BYTES = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final int recordBytesMax;
  private final CRC32C crc = new CRC32C();
  private byte[] window = new byte[WINDOW_BYTES];
  private long windowStart;
  private int windowLength;

  // Fields of the last successful decode.
  private int payloadLength;
  private long frameLsn;

  SegmentReader(Path path, int recordBytesMax) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
    this.size = channel.size();
    this.recordBytesMax = recordBytesMax;
  }

  Path path() {
    return path;
  }

  long size() {
    return size;
  }

  /** The header bytes, or null when the file is shorter than a header. */
  byte[] header() throws IOException {
    if (available(0, SegmentFormat.SEGMENT_HEADER_BYTES) < SegmentFormat.SEGMENT_HEADER_BYTES) {
      return null;
    }
    return Arrays.copyOfRange(window, 0, SegmentFormat.SEGMENT_HEADER_BYTES);
  }

  /** Whether every byte in [offset, size) is zero. */
  boolean zerosFrom(long offset) throws IOException {
    for (long pos = offset; pos < size; ) {
      int n = available(pos, (int) Math.min(WINDOW_BYTES, size - pos));
      int base = (int) (pos - windowStart);
      for (int i = 0; i < n; i++) {
        if (window[base + i] != 0) {
          return false;
        }
      }
      pos += n;
    }
    return true;
  }

  /**
   * Decodes the frame at {@code offset}, expecting it to carry {@code expectedLsn}. On {@link
   * FrameStatus#OK}, {@link #payloadLength()} and {@link #frameBytes()} describe it.
   */
  FrameStatus decode(long offset, long expectedLsn) throws IOException {
    if (offset == size) {
      return FrameStatus.END;
    }
    int h = available(offset, SegmentFormat.FRAME_HEADER_BYTES);
    if (h < SegmentFormat.FRAME_HEADER_BYTES) {
      return FrameStatus.SHORT_HEADER;
    }
    int base = (int) (offset - windowStart);
    var buf = ByteBuffer.wrap(window);
    long length = Integer.toUnsignedLong(buf.getInt(base));
    int storedCrc = buf.getInt(base + 4);
    byte version = window[base + 8];
    long lsn = buf.getLong(base + 9);
    if (length == 0 && storedCrc == 0 && version == 0 && lsn == 0) {
      return FrameStatus.ZEROS;
    }
    if (length > recordBytesMax) {
      return FrameStatus.BAD_LENGTH;
    }
    int frame = SegmentFormat.FRAME_HEADER_BYTES + (int) length;
    if (available(offset, frame) < frame) {
      return FrameStatus.SHORT_PAYLOAD;
    }
    base = (int) (offset - windowStart);
    crc.reset();
    crc.update(
        window, base + SegmentFormat.CRC_COVERED_OFFSET, frame - SegmentFormat.CRC_COVERED_OFFSET);
    if ((int) crc.getValue() != storedCrc) {
      return FrameStatus.BAD_CRC;
    }
    if (version != SegmentFormat.RECORD_VERSION) {
      return FrameStatus.BAD_VERSION;
    }
    payloadLength = (int) length;
    frameLsn = lsn;
    if (lsn != expectedLsn) {
      return FrameStatus.BAD_LSN;
    }
    return FrameStatus.OK;
  }

  int payloadLength() {
    return payloadLength;
  }

  int frameBytes() {
    return SegmentFormat.FRAME_HEADER_BYTES + payloadLength;
  }

  /** LSN stored in the last frame that passed its checksum. */
  long frameLsn() {
    return frameLsn;
  }

  /** A copy of the payload of the frame just decoded at {@code offset}. */
  byte[] payload(long offset) throws IOException {
    int frame = frameBytes();
    available(offset, frame);
    int start = (int) (offset - windowStart) + SegmentFormat.FRAME_HEADER_BYTES;
    return Arrays.copyOfRange(window, start, start + payloadLength);
  }

  /**
   * Whether a whole, checksummed frame with an LSN in [minLsn, maxLsn] starts anywhere in (offset,
   * size). Used to tell a torn tail (nothing valid follows) from corruption (valid records follow
   * damage). Candidates are filtered by version byte and LSN range before the CRC is computed, so
   * the search is linear in practice.
   */
  long findValidFrameAfter(long offset, long minLsn, long maxLsn) throws IOException {
    for (long pos = offset + 1; pos + SegmentFormat.FRAME_HEADER_BYTES <= size; pos++) {
      available(pos, SegmentFormat.FRAME_HEADER_BYTES);
      int base = (int) (pos - windowStart);
      if (window[base + 8] != SegmentFormat.RECORD_VERSION) {
        continue;
      }
      long lsn = ByteBuffer.wrap(window).getLong(base + 9);
      if (lsn < minLsn || lsn > maxLsn) {
        continue;
      }
      if (decode(pos, lsn) == FrameStatus.OK) {
        return pos;
      }
    }
    return -1;
  }

  /**
   * Ensures [offset, offset + length) is in the window as far as the file allows; returns how many
   * of the requested bytes are available.
   */
  private int available(long offset, int length) throws IOException {
    long end = Math.min(offset + length, size);
    if (offset >= windowStart && end <= windowStart + windowLength) {
      return (int) (end - offset);
    }
    if (length > window.length) {
      window = new byte[Math.max(length, window.length * 2)];
    }
    windowStart = offset;
    windowLength = 0;
    var buf = ByteBuffer.wrap(window);
    int want = (int) Math.min(window.length, size - offset);
    while (windowLength < want) {
      int n = channel.read(buf, offset + windowLength);
      if (n < 0) {
        break;
      }
      windowLength += n;
    }
    return (int) (Math.min(end, windowStart + windowLength) - offset);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
