package dev.hourglass.wal;

import dev.hourglass.wal.SegmentRecovery.SegmentFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes.
 *
 * Group commit with one flusher thread. Appenders take `lock`, assign the next LSN, encode the
 * frame straight into the `filling` PendingWrites (a direct buffer) and register their future.
 * The flusher swaps `filling` with its own empty batch under the lock, then, without the lock,
 * writes the whole batch with as few FileChannel.write calls as the buffer needs, calls
 * force(false) once, and completes the batch's futures in LSN order. While it writes and forces,
 * appenders fill the other buffer, so the next batch is as large as the arrivals during one
 * fsync: one writer pays about one fsync, many writers share each one.
 *
 * Invariants:
 *  - LSNs are assigned under `lock` in the same order frames enter the buffer, so the file holds
 *    LSNs contiguously and futures complete in LSN order.
 *  - A future completes only after the bytes of its record, and of every earlier record, were
 *    written and (unless the policy is NeverUnsafeForTests) forced.
 *  - Only the flusher touches the active segment's channel and rolls segments. A roll forces the
 *    old segment before creating the new one, so only the last segment can have a torn tail.
 *  - `segments` is copied and changed under its monitor. Replay holds the read side of
 *    `filesLock` and compaction the write side, so compaction never deletes a file being read;
 *    rolls only append to the list and never wait for a replay.
 *  - After an I/O error the log is failed for good: every pending and later future fails. An
 *    fsync is never retried, because after a failed fsync Linux may have dropped the dirty pages
 *    and a second fsync would report success for data that is gone.
 *
 * Completion: a batch with more than INLINE_COMPLETIONS_MAX futures is handed to a completer
 * thread, so unparking hundreds of waiting appenders overlaps with the next write and fsync
 * instead of delaying it. Small batches (the single-writer case) complete inline, saving a hop.
 * Batches are recycled through bounded queues, so the flusher can run at most
 * BATCHES_IN_COMPLETION_MAX batches ahead of completion; futures still complete in LSN order.
 *
 * Segment rolls are decided by appenders (they know frame sizes as they encode) and recorded as
 * offsets inside the batch; the flusher performs them between writes.
 *
 * Waiting: the flusher parks on `workAvailable` when there is nothing to write (appenders signal
 * only on the empty -> non-empty edge, so a busy log costs no signals), and under Batch(d) until
 * d has passed since the previous fsync. Appenders block on `spaceAvailable` only if the filling
 * buffer already holds PENDING_BYTES_MAX: this is the log's backpressure.
 */

/**
 * A segmented, append-only log of opaque byte records with group commit.
 *
 * <p>Thread-safety: all methods are safe to call from any thread. {@link #append} and {@link
 * #appendAll} never block on I/O; they may block briefly for buffer space when the disk falls
 * behind by more than {@link #PENDING_BYTES_MAX}. Futures complete on one of two internal threads,
 * {@code hourglass-wal-flusher} (small batches) or {@code hourglass-wal-completer} (large batches);
 * dependent stages should be short or use the {@code *Async} variants, because they delay the
 * completion of later records.
 */
public final class SegmentedLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SegmentedLog.class);

  /**
   * Why 32 MiB: at the measured ~200 MB/s this is ~150 ms of disk work, far more than any batch
   * needs to amortize an fsync, while bounding memory if the disk stalls. Beyond it appenders wait.
   * A single record or appendAll larger than this is still accepted into an empty buffer.
   */
  public static final int PENDING_BYTES_MAX = 32 << 20;

  /** Why: one appendAll is encoded into one contiguous direct buffer, which is int-indexed. */
  public static final int APPEND_ALL_BYTES_MAX = 256 << 20;

  /** Why 1 MiB: covers ~5,000 records of 200 bytes, a full batch at 1 M records/s and 5 ms. */
  static final int BUFFER_BYTES_RETAINED = 1 << 20;

  /** Why 30 s: close drains at most PENDING_BYTES_MAX, well under a second on a healthy disk. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final WalOptions options;
  private final Path dir;
  private final DataDirectoryLock dirLock;
  private final RecoveryReport report;
  private final long fsyncDelayNanos;
  private final boolean forceEachBatch;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition workAvailable = lock.newCondition();
  private final Condition spaceAvailable = lock.newCondition();
  // Guarded by lock.
  private PendingWrites filling = new PendingWrites(BUFFER_BYTES_RETAINED);
  private final CRC32C crc = new CRC32C();
  private long nextLsn;
  private long segmentBytesProjected;
  private boolean flusherIdle;
  private boolean closing;
  private Throwable failure;

  /**
   * Why 8: handing a batch to the completer costs a thread wake-up (tens of microseconds), more
   * than completing a few futures inline; only large batches, whose completions (one unpark per
   * waiting thread) would delay the next fsync, are handed off.
   */
  static final int INLINE_COMPLETIONS_MAX = 8;

  /** Why 2: one batch being completed plus one queued lets the flusher run a full fsync ahead. */
  private static final int BATCHES_IN_COMPLETION_MAX = 2;

  // Confined to the flusher thread (and to open/close before start and after join).
  private PendingWrites spare = new PendingWrites(BUFFER_BYTES_RETAINED);
  private PendingWrites flushing;

  // Hand-off of durable batches from the flusher to the completer, and back for reuse.
  private final LinkedBlockingQueue<PendingWrites> toComplete = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<PendingWrites> completed = new LinkedBlockingQueue<>();
  private static final PendingWrites STOP = new PendingWrites(1);
  private final Thread completer;
  private FileChannel active;
  private long activeSize;
  private long lastForceNanos;

  /**
   * Read side: a replay is reading segment files. Write side: compaction deletes files. A roll does
   * not take it, so a long replay never stalls appends.
   */
  private final ReentrantReadWriteLock filesLock = new ReentrantReadWriteLock();

  // Guarded by its own monitor; held only to copy or change the list.
  private final List<SegmentFile> segments;

  // Written only by the flusher; volatile so stats() can read them from any thread.
  private volatile long statBatches;
  private volatile long statFsyncs;
  private volatile long statRecords;
  private volatile long statBytes;
  private volatile long statRolls;

  private volatile long lastAssignedLsn;
  private volatile long writtenLsn;
  private volatile long durableLsn;
  private final Thread flusher;

  private SegmentedLog(
      WalOptions options, DataDirectoryLock dirLock, SegmentRecovery.Recovered recovered)
      throws IOException {
    this.options = options;
    this.dir = dirLock.directory();
    this.dirLock = dirLock;
    this.report = recovered.report();
    this.segments = new ArrayList<>(recovered.segments());
    this.nextLsn = recovered.lastLsn() + 1;
    this.lastAssignedLsn = recovered.lastLsn();
    this.writtenLsn = recovered.lastLsn();
    this.durableLsn = recovered.lastLsn();
    this.activeSize = recovered.activeSize();
    this.segmentBytesProjected = recovered.activeSize();
    this.fsyncDelayNanos =
        options.fsync() instanceof FsyncPolicy.Batch b ? b.maxDelay().toNanos() : 0;
    this.forceEachBatch = !(options.fsync() instanceof FsyncPolicy.NeverUnsafeForTests);
    this.active = FileChannel.open(segments.getLast().path(), StandardOpenOption.WRITE);
    this.active.position(activeSize);
    this.lastForceNanos = System.nanoTime();
    this.flusher =
        Thread.ofPlatform().name("hourglass-wal-flusher").daemon(true).unstarted(this::flushLoop);
    this.completer =
        Thread.ofPlatform()
            .name("hourglass-wal-completer")
            .daemon(true)
            .unstarted(this::completeLoop);
    for (int i = 0; i < BATCHES_IN_COMPLETION_MAX; i++) {
      completed.add(new PendingWrites(BUFFER_BYTES_RETAINED));
    }
  }

  /**
   * Locks {@code options.dir()}, recovers the segments (see {@link RecoveryReport}) and starts the
   * flusher thread.
   *
   * @throws DataDirectoryLockedException if another process or open log holds the directory
   * @throws WalCorruptedException if the log holds corruption and repair is off
   * @throws IOException if the directory cannot be read or written
   */
  public static SegmentedLog open(WalOptions options) throws IOException {
    Objects.requireNonNull(options, "options");
    var dirLock = DataDirectoryLock.acquire(options.dir());
    try {
      var recovered = new SegmentRecovery(options, dirLock.directory()).run();
      var r = recovered.report();
      log.info(
          "wal recovered: dir={} segments={} records={} firstLsn={} lastLsn={} bytesTruncated={} repaired={} durationMillis={} fsync={}",
          dirLock.directory(),
          r.segments(),
          r.records(),
          r.firstLsn(),
          r.lastLsn(),
          r.bytesTruncated(),
          r.repaired(),
          r.duration().toMillis(),
          options.fsync());
      var wal = new SegmentedLog(options, dirLock, recovered);
      wal.completer.start();
      wal.flusher.start();
      return wal;
    } catch (IOException | RuntimeException | Error e) {
      dirLock.close();
      throw e;
    }
  }

  /**
   * Appends one record. The future completes with its LSN once the record is durable under the
   * configured {@link FsyncPolicy}, or exceptionally with a {@link WalException} if the log failed
   * or is closing (then the record is not acknowledged and may or may not be on disk).
   *
   * @throws RecordTooLargeException if {@code record.length > recordBytesMax}; nothing written
   */
  public CompletableFuture<Long> append(byte[] record) {
    Objects.requireNonNull(record, "record");
    checkRecordSize(record.length);
    var future = new CompletableFuture<Long>();
    lock.lock();
    try {
      var refusal = awaitRoomLocked(SegmentFormat.FRAME_HEADER_BYTES + record.length);
      if (refusal != null) {
        future.completeExceptionally(refusal);
        return future;
      }
      long lsn = addLocked(record);
      filling.addWaiter(lsn, future);
      lastAssignedLsn = lsn;
      wakeFlusherLocked();
    } finally {
      lock.unlock();
    }
    return future;
  }

  /**
   * Appends records atomically with respect to other appenders (their LSNs are contiguous) and
   * returns one future that completes with the last LSN once all are durable.
   *
   * @throws IllegalArgumentException if {@code records} is empty or totals more than {@link
   *     #APPEND_ALL_BYTES_MAX}
   * @throws RecordTooLargeException if any record exceeds recordBytesMax; nothing written
   */
  public CompletableFuture<Long> appendAll(List<byte[]> records) {
    Objects.requireNonNull(records, "records");
    if (records.isEmpty()) {
      throw new IllegalArgumentException(
          "appendAll needs at least one record: records=0; nothing written");
    }
    long total = 0;
    for (var record : records) {
      checkRecordSize(Objects.requireNonNull(record, "record").length);
      total += SegmentFormat.FRAME_HEADER_BYTES + record.length;
    }
    if (total > APPEND_ALL_BYTES_MAX) {
      throw new IllegalArgumentException(
          "appendAll batch too large: batchBytes=%d bound=%d; nothing written, split the batch"
              .formatted(total, APPEND_ALL_BYTES_MAX));
    }
    var future = new CompletableFuture<Long>();
    lock.lock();
    try {
      var refusal = awaitRoomLocked((int) total);
      if (refusal != null) {
        future.completeExceptionally(refusal);
        return future;
      }
      long lsn = 0;
      for (var record : records) {
        lsn = addLocked(record);
      }
      filling.addWaiter(lsn, future);
      lastAssignedLsn = lsn;
      wakeFlusherLocked();
    } finally {
      lock.unlock();
    }
    return future;
  }

  /** LSN of the newest appended record (durable or not yet); 0 when the log has none. */
  public long lastLsn() {
    return lastAssignedLsn;
  }

  /**
   * LSN of the oldest record still on disk (it may be {@code lastLsn() + 1} when compaction left
   * only an empty active segment). Replay from below {@code firstLsn() - 1} fails.
   */
  public long firstLsn() {
    synchronized (segments) {
      return segments.getFirst().firstLsn();
    }
  }

  /** LSN of the newest record whose future has completed or is completing; 0 when none. */
  public long durableLsn() {
    return durableLsn;
  }

  /** Counters since open; cheap, any thread. */
  public WalStats stats() {
    return new WalStats(statBatches, statFsyncs, statRecords, statBytes, statRolls);
  }

  /** What recovery found when this log was opened. */
  public RecoveryReport recoveryReport() {
    return report;
  }

  /**
   * Delivers every record with {@code lsn > afterLsn} that was written when the call started, in
   * LSN order, on the calling thread. Records appended during the replay are not delivered. Safe to
   * call concurrently with appends; compaction waits until it returns.
   *
   * @throws WalException if records after {@code afterLsn} were already deleted by compaction
   * @throws WalCorruptedException if a record no longer decodes (the files changed after open)
   * @throws IOException from the consumer, or on a read error
   */
  public void replay(long afterLsn, RecordConsumer consumer) throws IOException {
    Objects.requireNonNull(consumer, "consumer");
    long limit = writtenLsn;
    filesLock.readLock().lock();
    try {
      List<SegmentFile> files;
      synchronized (segments) {
        files = List.copyOf(segments);
      }
      long oldest = files.getFirst().firstLsn();
      if (afterLsn < oldest - 1) {
        throw new WalException(
            "replay gap: afterLsn=%d but the oldest retained record is lsn=%d in %s; records were compacted away, load a snapshot with lsn >= %d"
                .formatted(afterLsn, oldest, files.getFirst().path(), oldest - 1));
      }
      long expected = oldest;
      for (int i = 0; i < files.size() && expected <= limit; i++) {
        long nextFirst = i + 1 < files.size() ? files.get(i + 1).firstLsn() : Long.MAX_VALUE;
        if (nextFirst - 1 <= afterLsn) {
          expected = nextFirst;
          continue;
        }
        expected = replaySegment(files.get(i), afterLsn, limit, consumer);
      }
      if (expected <= limit && limit > afterLsn) {
        throw new WalCorruptedException(
            files.getLast().path(),
            -1,
            "replay ended at lsn=%d but records up to lsn=%d were written"
                .formatted(expected - 1, limit));
      }
    } finally {
      filesLock.readLock().unlock();
    }
  }

  private long replaySegment(SegmentFile file, long afterLsn, long limit, RecordConsumer consumer)
      throws IOException {
    long expected = file.firstLsn();
    try (var reader = new SegmentReader(file.path(), options.recordBytesMax())) {
      long offset = SegmentFormat.SEGMENT_HEADER_BYTES;
      while (expected <= limit) {
        var status = reader.decode(offset, expected);
        if (status == FrameStatus.END) {
          break;
        }
        if (status != FrameStatus.OK) {
          throw new WalCorruptedException(
              file.path(),
              offset,
              "%s during replay at expected lsn=%d; the file changed after recovery"
                  .formatted(status.description, expected));
        }
        if (expected > afterLsn) {
          consumer.accept(expected, reader.payload(offset));
        }
        offset += reader.frameBytes();
        expected++;
      }
    }
    return expected;
  }

  /**
   * Deletes every segment whose records all have {@code lsn <= lsn}, typically after a snapshot
   * covering {@code lsn} was written. Never deletes the active (last) segment. Thread-safe; waits
   * for running replays.
   */
  public void deleteSegmentsBefore(long lsn) throws IOException {
    filesLock.writeLock().lock();
    try {
      var doomed = new ArrayList<SegmentFile>();
      synchronized (segments) {
        while (segments.size() > 1 && segments.get(1).firstLsn() - 1 <= lsn) {
          doomed.add(segments.removeFirst());
        }
      }
      for (var file : doomed) {
        Files.deleteIfExists(file.path());
      }
      if (!doomed.isEmpty()) {
        SegmentFormat.forceDirectory(dir);
        log.info(
            "wal compacted: dir={} uptoLsn={} segmentsDeleted={} oldestLsn={}",
            dir,
            lsn,
            doomed.size(),
            firstLsn());
      }
    } finally {
      filesLock.writeLock().unlock();
    }
  }

  /** Segment files currently in use, oldest first. For tests and operator tooling. */
  public List<Path> segmentFiles() {
    synchronized (segments) {
      return segments.stream().map(SegmentFile::path).toList();
    }
  }

  /**
   * Writes and forces everything appended so far (whatever the policy), completes those futures,
   * stops the flusher and releases the directory lock. Appends racing with or after close fail with
   * {@link WalClosedException}. Idempotent.
   *
   * @throws WalException if the log failed earlier or while draining; the failure is the cause
   */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      closing = true;
      workAvailable.signalAll();
      spaceAvailable.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      if (!flusher.join(CLOSE_TIMEOUT) || !completer.join(CLOSE_TIMEOUT)) {
        throw new WalException(
            "wal close timed out: dir=%s timeout=%s; flusher thread still running, pending futures may not complete"
                .formatted(dir, CLOSE_TIMEOUT));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WalException(
          "interrupted while closing wal: dir=" + dir + "; lock not released", e);
    }
    dirLock.close();
    Throwable failed;
    lock.lock();
    try {
      failed = failure;
    } finally {
      lock.unlock();
    }
    if (failed != null) {
      throw new WalException("wal had failed before close: dir=" + dir + "; see cause", failed);
    }
  }

  private void checkRecordSize(int length) {
    if (length > options.recordBytesMax()) {
      throw new RecordTooLargeException(length, options.recordBytesMax());
    }
  }

  /** Returns null once there is room for {@code bytes}, or the reason the append is refused. */
  private WalException awaitRoomLocked(int bytes) {
    while (true) {
      if (failure != null || closing) {
        return new WalClosedException(
            (failure != null ? "wal failed" : "wal closed")
                + ": dir="
                + dir
                + "; record not written",
            failure);
      }
      if (filling.isEmpty() || filling.sizeBytes() + (long) bytes <= PENDING_BYTES_MAX) {
        return null;
      }
      try {
        spaceAvailable.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new WalClosedException(
            "interrupted waiting for group-commit buffer space: dir="
                + dir
                + " pendingBytesMax="
                + PENDING_BYTES_MAX
                + "; record not written",
            e);
      }
    }
  }

  /** Assigns the next LSN and encodes the frame, marking a segment roll first if needed. */
  private long addLocked(byte[] record) {
    long lsn = nextLsn++;
    int frame = SegmentFormat.FRAME_HEADER_BYTES + record.length;
    if (segmentBytesProjected + frame > options.segmentBytesMax()
        && segmentBytesProjected > SegmentFormat.SEGMENT_HEADER_BYTES) {
      filling.addRoll(lsn);
      segmentBytesProjected = SegmentFormat.SEGMENT_HEADER_BYTES;
    }
    segmentBytesProjected += frame;
    filling.addFrame(lsn, record, crc);
    return lsn;
  }

  private void wakeFlusherLocked() {
    if (flusherIdle) {
      flusherIdle = false;
      workAvailable.signal();
    }
  }

  private void flushLoop() {
    try {
      while (takeBatch()) {
        writeBatch(flushing, forceEachBatch);
        var durable = flushing;
        flushing = null;
        // Inline only when the completer holds none of our batches: completing a later batch
        // while it still completes an earlier one would break LSN order.
        boolean completerIdle = completed.size() == BATCHES_IN_COMPLETION_MAX;
        if (durable.waiterCount() <= INLINE_COMPLETIONS_MAX && completerIdle) {
          durable.completeAndClear();
          spare = durable;
        } else {
          toComplete.add(durable);
          spare = completed.take(); // blocks only if the completer is two batches behind
        }
      }
      if (active.isOpen()) {
        active.force(false);
        active.close();
      }
    } catch (Throwable t) {
      fail(t);
    } finally {
      toComplete.add(STOP);
    }
  }

  /** Completes durable batches handed off by the flusher, in order, then recycles them. */
  private void completeLoop() {
    while (true) {
      PendingWrites batch;
      try {
        batch = toComplete.take();
      } catch (InterruptedException e) {
        // Nobody interrupts this private thread; if someone does, keep draining: the futures of
        // durable batches must still complete.
        continue;
      }
      if (batch == STOP) {
        return;
      }
      batch.completeAndClear();
      completed.add(batch);
    }
  }

  /** Waits for work, then swaps buffers. Returns false when closing with nothing left. */
  private boolean takeBatch() throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        if (filling.isEmpty()) {
          if (closing) {
            return false;
          }
          flusherIdle = true;
          workAvailable.await();
          continue;
        }
        if (fsyncDelayNanos > 0 && !closing) {
          long wait = lastForceNanos + fsyncDelayNanos - System.nanoTime();
          if (wait > 0) {
            workAvailable.awaitNanos(wait);
            continue;
          }
        }
        flushing = filling;
        filling = spare;
        spare = null;
        spaceAvailable.signalAll();
        return true;
      }
    } finally {
      flusherIdle = false;
      lock.unlock();
    }
  }

  /** Writes a batch, rolling segments where marked, then forces; runs on the flusher only. */
  private void writeBatch(PendingWrites batch, boolean force) throws IOException {
    ByteBuffer buf = batch.flipForWrite();
    int end = buf.limit();
    long firstLsn = writtenLsn + 1;
    for (int roll = 0; roll <= batch.rollCount(); roll++) {
      int stop = roll < batch.rollCount() ? batch.rollOffset(roll) : end;
      buf.limit(stop);
      while (buf.hasRemaining()) {
        activeSize += active.write(buf);
      }
      if (roll < batch.rollCount()) {
        rollTo(batch.rollLsn(roll), force);
      }
    }
    writtenLsn = batch.lastLsn();
    if (force) {
      active.force(false);
      lastForceNanos = System.nanoTime();
      statFsyncs++;
    }
    statBatches++;
    statRecords += batch.lastLsn() - firstLsn + 1;
    statBytes += end;
    durableLsn = batch.lastLsn();
  }

  private void rollTo(long firstLsn, boolean force) throws IOException {
    if (force) {
      active.force(false);
      statFsyncs++;
    }
    statRolls++;
    active.close();
    var path = SegmentFormat.createSegment(dir, firstLsn);
    active = FileChannel.open(path, StandardOpenOption.WRITE);
    active.position(SegmentFormat.SEGMENT_HEADER_BYTES);
    activeSize = SegmentFormat.SEGMENT_HEADER_BYTES;
    synchronized (segments) {
      segments.add(new SegmentFile(path, firstLsn));
    }
    log.debug("wal segment rolled: dir={} segment={} firstLsn={}", dir, path, firstLsn);
  }

  /** Fails the log for good: every pending and future append fails; fsync is never retried. */
  private void fail(Throwable cause) {
    log.error(
        "wal failed: dir={} writtenLsn={} durableLsn={} cause=\"{}\"; appends are refused from now on, restart the process to recover from the log",
        dir,
        writtenLsn,
        durableLsn,
        cause.toString(),
        cause);
    var error =
        new WalException("wal write failed: dir=" + dir + "; record not acknowledged", cause);
    PendingWrites pending;
    lock.lock();
    try {
      failure = cause;
      pending = filling;
      filling = new PendingWrites(SegmentFormat.FRAME_HEADER_BYTES);
      spaceAvailable.signalAll();
    } finally {
      lock.unlock();
    }
    if (flushing != null) {
      flushing.failAndClear(error);
    }
    pending.failAndClear(error);
    try {
      active.close();
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public String toString() {
    return "SegmentedLog[dir=%s lastLsn=%d durableLsn=%d fsync=%s]"
        .formatted(dir, lastAssignedLsn, durableLsn, options.fsync());
  }
}
