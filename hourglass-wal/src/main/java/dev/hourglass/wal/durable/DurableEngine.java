package dev.hourglass.wal.durable;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.codec.FastDataOutput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.engine.EngineSnapshot;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.wal.DataDirectoryLock;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.SegmentedLog;
import dev.hourglass.wal.SnapshotStore;
import dev.hourglass.wal.WalOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine with a write-ahead log under it: every command is written to the log and forced to
 * disk before it is applied, so nobody can learn of a decision that a crash would undo.
 *
 * <p>Implementation notes. The order is log, force, apply, answer. A command the engine then
 * rejects is in the log too, which is harmless: replay is deterministic, so it is rejected again
 * and changes nothing. Recovery is: the newest valid snapshot (or an empty engine), then every log
 * record after the snapshot's LSN, applied in order. Because the engine is deterministic this
 * rebuilds exactly the state that was acknowledged, including live leases with their expiry times
 * and the assignments whose notifications are still owed.
 *
 * <p>Snapshots are taken on the caller's thread every {@code snapshotEveryRecords} records or
 * {@code snapshotEveryMillis}, whichever comes first. Log segments are deleted only up to the
 * snapshot before the newest, so a corrupt newest snapshot falls back to the previous one with the
 * log still complete after it. A new data directory gets a snapshot at LSN 0 at once, which records
 * the engine settings the log is replayed under.
 *
 * <p>Not thread-safe: like the engine, use it from one thread (the server's apply loop).
 */
public final class DurableEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DurableEngine.class);

  /** One log record (one command, e.g. a batch submit) holds at most this many bytes. */
  public static final int RECORD_BYTES_MAX = WalOptions.RECORD_BYTES_LIMIT;

  private final DurableOptions options;
  private final DataDirectoryLock lock;
  private final SegmentedLog wal;
  private final SnapshotStore snapshots;
  private final Engine engine;
  private final RecoverySummary recovery;
  private final CommandCodec.Encoder encoder = new CommandCodec.Encoder();
  private long lastSnapshotLsn;

  /**
   * The LSN of the snapshot before the newest. Segments are deleted only up to here, so that if the
   * newest snapshot turns out corrupt, the previous one plus the log still recovers everything.
   */
  private long previousSnapshotLsn;

  private long lastSnapshotNanos = System.nanoTime();

  /** Set when applying a logged command threw: memory may be half-changed; reopen to recover. */
  private RuntimeException poisonedBy;

  /** What a start-up recovered, for the one summary log line and for tests. */
  public record RecoverySummary(
      long snapshotLsn, long recordsReplayed, long lastLsn, long durationMillis) {}

  private DurableEngine(
      DurableOptions options,
      DataDirectoryLock lock,
      SegmentedLog wal,
      SnapshotStore snapshots,
      Engine engine,
      RecoverySummary recovery) {
    this.options = options;
    this.lock = lock;
    this.wal = wal;
    this.snapshots = snapshots;
    this.engine = engine;
    this.recovery = recovery;
    this.lastSnapshotLsn = recovery.snapshotLsn();
    this.previousSnapshotLsn = recovery.snapshotLsn();
  }

  public static DurableEngine open(Path dataDir, EngineConfig config, FsyncPolicy fsync)
      throws IOException {
    return open(DurableOptions.of(dataDir, config, fsync));
  }

  /**
   * Locks the data directory and recovers the engine from it (or starts an empty one).
   *
   * @throws dev.hourglass.wal.DataDirectoryLockedException if another process uses the directory
   * @throws dev.hourglass.wal.WalCorruptedException if the log is corrupt and repair is off
   */
  public static DurableEngine open(DurableOptions options) throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(options.dataDir());
    DataDirectoryLock lock = DataDirectoryLock.acquire(options.dataDir());
    SegmentedLog wal = null;
    try {
      SnapshotStore snapshots = new SnapshotStore(options.dataDir().resolve("snapshots"));
      Files.createDirectories(options.dataDir().resolve("log"));
      Files.createDirectories(options.dataDir().resolve("snapshots"));
      forceDirectory(options.dataDir()); // the new subdirectories survive a power loss
      wal =
          SegmentedLog.open(
              WalOptions.defaults(options.dataDir().resolve("log"))
                  .withFsync(options.fsync())
                  .withRepairCorruption(options.repairCorruption())
                  .withSegmentBytesMax(options.segmentBytesMax())
                  // Above the server's largest request body plus per-job encoding overhead.
                  .withRecordBytesMax(RECORD_BYTES_MAX));
      var newest = snapshots.newestValid();
      Engine engine;
      long snapshotLsn;
      if (newest.isPresent()) {
        try (InputStream body = newest.get().openBody()) {
          engine = EngineSnapshot.read(new FastDataInput(body, 1 << 16));
        }
        snapshotLsn = newest.get().lsn();
        if (!engine.config().equals(options.engine())) {
          log.warn(
              "data directory {} keeps the engine settings it was created with ({}); the"
                  + " requested ones ({}) are ignored",
              options.dataDir(),
              engine.config(),
              options.engine());
        }
      } else {
        if (wal.lastLsn() > 0) {
          throw new IOException(
              "data directory "
                  + options.dataDir()
                  + " has a log up to lsn="
                  + wal.lastLsn()
                  + " but no valid snapshot, not even the one written at creation;"
                  + " restore the snapshots/ folder from a backup");
        }
        engine = new Engine(options.engine());
        snapshotLsn = 0;
        writeSnapshot(snapshots, engine, 0);
      }
      if (wal.lastLsn() < snapshotLsn) {
        throw new IOException(
            "data directory "
                + options.dataDir()
                + ": the log ends at lsn="
                + wal.lastLsn()
                + " but the newest snapshot covers lsn="
                + snapshotLsn
                + "; new"
                + " records would reuse covered numbers and be skipped by the next recovery. The log"
                + " was truncated or replaced; restore it from a backup or move log/ and snapshots/"
                + " aside to start empty");
      }
      long[] replayed = {0};
      Engine target = engine;
      wal.replay(
          snapshotLsn,
          (lsn, record) -> {
            applyLogged(target, CommandCodec.decode(record), lsn, options.dataDir());
            replayed[0]++;
          });
      var summary =
          new RecoverySummary(
              snapshotLsn, replayed[0], wal.lastLsn(), (System.nanoTime() - start) / 1_000_000);
      log.info(
          "engine recovered: dir={} snapshotLsn={} recordsReplayed={} lastLsn={} jobs={}"
              + " durationMillis={}",
          options.dataDir(),
          summary.snapshotLsn(),
          summary.recordsReplayed(),
          summary.lastLsn(),
          engine.queries().jobsHeld(),
          summary.durationMillis());
      return new DurableEngine(options, lock, wal, snapshots, engine, summary);
    } catch (IOException | RuntimeException | Error e) {
      if (wal != null) {
        wal.close();
      }
      lock.close();
      throw e;
    }
  }

  /** Logs the command, waits until it is durable, then applies it. */
  public Outcome apply(Command command) throws IOException {
    return applyAll(List.of(command)).get(0);
  }

  /**
   * Logs several commands with one force and applies them in order. A command whose record would
   * exceed the log's record size bound is refused ({@code INVALID_ARGUMENT}) without being logged;
   * the others go ahead.
   *
   * @throws IllegalStateException if an earlier apply threw (a bug), or the log failed after
   *     commands were applied: reopen to recover from the log
   */
  public List<Outcome> applyAll(List<Command> commands) throws IOException {
    return applyAll(commands, applied -> List.of());
  }

  /**
   * Applies {@code commands}, then the commands {@code followUp} chooses from their outcomes and
   * the state they left (a parked long poll that a just-submitted job can serve), and makes all of
   * them durable with one force: a job handed to a waiting worker costs one fsync, not two.
   *
   * <p>The commands are applied before their force. That is safe because nothing leaves this
   * method, so nobody hears of an outcome, before the force returns; and a log that fails after
   * that leaves the engine stopped ({@code poisoned}), so a state the log lacks is never built on:
   * a restart recovers from what the log holds, and nobody heard of the rest.
   *
   * @throws IllegalStateException if an earlier apply threw (a bug), or the log failed after
   *     commands were applied: reopen to recover from the log
   */
  public List<Outcome> applyAll(
      List<Command> commands, Function<List<Outcome>, List<Command>> followUp) throws IOException {
    if (poisonedBy != null) {
      throw new IllegalStateException(
          "the engine stopped after applying a command failed or the"
              + " log failed; nothing more is applied. Reopen the data directory to recover from the"
              + " log",
          poisonedBy);
    }
    if (commands.isEmpty()) {
      return List.of();
    }
    List<byte[]> records = new ArrayList<>(commands.size());
    List<Outcome> outcomes = logAndApply(commands, records);
    List<Command> more = followUp.apply(outcomes);
    if (!more.isEmpty()) {
      List<Outcome> all = new ArrayList<>(outcomes.size() + more.size());
      all.addAll(outcomes);
      all.addAll(logAndApply(more, records));
      outcomes = all;
    }
    if (!records.isEmpty()) {
      try {
        await(wal.appendAll(records));
      } catch (IOException | RuntimeException | Error e) {
        poisonedBy = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        throw e;
      }
    }
    maybeSnapshot();
    return List.copyOf(outcomes);
  }

  /** Encodes each command into {@code records} and applies it; refuses one too big to log. */
  private List<Outcome> logAndApply(List<Command> commands, List<byte[]> records) {
    List<Outcome> outcomes = new ArrayList<>(commands.size());
    for (Command command : commands) {
      byte[] record = encoder.encode(command);
      if (record.length > RECORD_BYTES_MAX) {
        outcomes.add(
            new Outcome.Rejected(
                ErrorCode.INVALID_ARGUMENT,
                "the command encodes to "
                    + record.length
                    + " bytes; one log record holds at most recordBytesMax="
                    + RECORD_BYTES_MAX
                    + "; nothing was logged. Split the batch or shrink the payloads"));
        continue;
      }
      records.add(record);
      try {
        outcomes.add(engine.apply(command));
      } catch (RuntimeException | Error e) {
        poisonedBy = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        throw e;
      }
    }
    return outcomes;
  }

  /**
   * Applies a command read back from the log. One that throws is a bug that also stopped the
   * process that logged it, after the same partial change and before it answered anyone; so it is
   * logged and passed over, and recovery goes on, instead of failing every restart.
   */
  private static void applyLogged(Engine engine, Command command, long lsn, Path dir) {
    try {
      engine.apply(command);
    } catch (RuntimeException e) {
      log.error(
          "replaying lsn={} in {} threw {}; passed over as the process that logged it did."
              + " This is a bug: please report it with the data directory",
          lsn,
          dir,
          e.toString(),
          e);
    }
  }

  /**
   * Writes a snapshot of the current state, then deletes the log segments that neither it nor the
   * previous snapshot needs.
   */
  public void snapshot() throws IOException {
    long lsn = wal.durableLsn();
    writeSnapshot(snapshots, engine, lsn);
    previousSnapshotLsn = lastSnapshotLsn;
    lastSnapshotLsn = lsn;
    lastSnapshotNanos = System.nanoTime();
    wal.deleteSegmentsBefore(previousSnapshotLsn);
  }

  private void maybeSnapshot() throws IOException {
    long records = wal.lastLsn() - lastSnapshotLsn;
    boolean byCount = records >= options.snapshotEveryRecords();
    boolean byTime =
        records > 0
            && System.nanoTime() - lastSnapshotNanos >= options.snapshotEveryMillis() * 1_000_000L;
    if (byCount || byTime) {
      snapshot();
    }
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void writeSnapshot(SnapshotStore store, Engine engine, long lsn)
      throws IOException {
    store.write(
        lsn,
        out -> {
          FastDataOutput data = new FastDataOutput(out, 1 << 16);
          EngineSnapshot.write(engine, data);
          data.flush();
        });
  }

  /**
   * Waits for records already handed to the log. Uninterruptibly: they will be forced and replayed
   * whatever this thread does, so giving up here would leave memory behind the log (and a later
   * snapshot would claim records memory never applied). The interrupt is kept for later.
   */
  private static long await(CompletableFuture<Long> durable) throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return durable.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IOException("log append failed: " + e.getCause(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public Engine engine() {
    return engine;
  }

  public EngineQueries queries() {
    return engine.queries();
  }

  public RecoverySummary recovery() {
    return recovery;
  }

  public long lastLsn() {
    return wal.lastLsn();
  }

  /** Flushes what is pending, closes the log and releases the data directory. */
  @Override
  public void close() throws IOException {
    try {
      wal.close();
    } finally {
      lock.close();
    }
  }
}
