package dev.hourglass.wal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * One group-commit batch: encoded frames in a direct buffer (so FileChannel.write does not copy
 * them again), the futures to complete once they are durable, and the points where the batch
 * crosses into a new segment.
 *
 * <p>Not thread-safe. SegmentedLog owns two instances: appenders fill one under the log's lock
 * while the flusher thread writes the other without a lock; they swap under the lock.
 */
final class PendingWrites {
  private ByteBuffer bytes;
  private final byte[] crcScratch = new byte[SegmentFormat.FRAME_HEADER_BYTES];

  private long[] waiterLsns = new long[256];
  private CompletableFuture<?>[] waiters = new CompletableFuture<?>[256];
  private int waiterCount;

  private int[] rollOffsets = new int[4];
  private long[] rollLsns = new long[4];
  private int rollCount;

  private long lastLsn;

  PendingWrites(int initialBytes) {
    bytes = ByteBuffer.allocateDirect(initialBytes);
  }

  boolean isEmpty() {
    return bytes.position() == 0;
  }

  int sizeBytes() {
    return bytes.position();
  }

  long lastLsn() {
    return lastLsn;
  }

  /** Marks that the frame about to be added starts segment {@code firstLsn}. */
  void addRoll(long firstLsn) {
    if (rollCount == rollOffsets.length) {
      rollOffsets = Arrays.copyOf(rollOffsets, rollCount * 2);
      rollLsns = Arrays.copyOf(rollLsns, rollCount * 2);
    }
    rollOffsets[rollCount] = bytes.position();
    rollLsns[rollCount] = firstLsn;
    rollCount++;
  }

  /** Encodes one frame; the CRC covers version, LSN and payload. */
  void addFrame(long lsn, byte[] payload, CRC32C crc) {
    int frame = SegmentFormat.FRAME_HEADER_BYTES + payload.length;
    ensureRoom(frame);
    var scratch = ByteBuffer.wrap(crcScratch);
    scratch
        .putInt(0, payload.length)
        .putInt(4, 0)
        .put(8, SegmentFormat.RECORD_VERSION)
        .putLong(9, lsn);
    crc.reset();
    crc.update(
        crcScratch,
        SegmentFormat.CRC_COVERED_OFFSET,
        SegmentFormat.FRAME_HEADER_BYTES - SegmentFormat.CRC_COVERED_OFFSET);
    crc.update(payload, 0, payload.length);
    scratch.putInt(4, (int) crc.getValue());
    bytes.put(crcScratch).put(payload);
    lastLsn = lsn;
  }

  void addWaiter(long lsn, CompletableFuture<Long> future) {
    if (waiterCount == waiters.length) {
      waiters = Arrays.copyOf(waiters, waiterCount * 2);
      waiterLsns = Arrays.copyOf(waiterLsns, waiterCount * 2);
    }
    waiters[waiterCount] = future;
    waiterLsns[waiterCount] = lsn;
    waiterCount++;
  }

  int waiterCount() {
    return waiterCount;
  }

  int rollCount() {
    return rollCount;
  }

  int rollOffset(int i) {
    return rollOffsets[i];
  }

  long rollLsn(int i) {
    return rollLsns[i];
  }

  /** Switches the buffer to reading: position 0, limit at the end of the last frame. */
  ByteBuffer flipForWrite() {
    return bytes.flip();
  }

  /** Completes every future in LSN order, then clears the batch for reuse. */
  @SuppressWarnings("unchecked")
  void completeAndClear() {
    for (int i = 0; i < waiterCount; i++) {
      try {
        ((CompletableFuture<Long>) waiters[i]).complete(waiterLsns[i]);
      } catch (Throwable t) {
        // complete() already captures what dependent stages throw; this guards the rest of the
        // batch (and the completer thread) against anything that still escapes.
      }
      waiters[i] = null;
    }
    clear();
  }

  void failAndClear(Throwable cause) {
    for (int i = 0; i < waiterCount; i++) {
      waiters[i].completeExceptionally(cause);
      waiters[i] = null;
    }
    clear();
  }

  private void clear() {
    waiterCount = 0;
    rollCount = 0;
    bytes.clear();
    // Why shrink: one burst of large records should not pin a large direct buffer forever.
    if (bytes.capacity() > SegmentedLog.BUFFER_BYTES_RETAINED) {
      bytes = ByteBuffer.allocateDirect(SegmentedLog.BUFFER_BYTES_RETAINED);
    }
  }

  private void ensureRoom(int frame) {
    if (bytes.remaining() >= frame) {
      return;
    }
    long needed = (long) bytes.position() + frame;
    long capacity = Math.max(needed, (long) bytes.capacity() * 2);
    // Direct buffers are int-indexed; callers bound a batch well below this.
    var bigger = ByteBuffer.allocateDirect((int) Math.min(capacity, Integer.MAX_VALUE - 8));
    bytes.flip();
    bigger.put(bytes);
    bytes = bigger;
  }
}
