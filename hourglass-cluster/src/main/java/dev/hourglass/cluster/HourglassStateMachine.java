package dev.hourglass.cluster;

import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.codec.FastDataOutput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.engine.EngineSnapshot;
import dev.hourglass.core.event.Outcome;
import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes.
 *
 * What is replicated. A Raft log entry is a batch of commands (EntryCodec). Applying the entry
 * applies each command to the Engine in order; the engine is deterministic (no clock, no random,
 * ordered collections), so every replica that applies the same entries in the same order holds the
 * same state, byte for byte in EngineSnapshot form (a test checks exactly that).
 *
 * Who decides time. startTransaction runs only on the leader, before the entry is appended. It
 * overwrites every command's atMillis with the leader's clock (EntryCodec.restamp) and hands Ratis
 * the rewritten bytes as the log data. Followers never read a clock: they apply the leader's
 * stamps. A new leader whose clock is behind cannot move time back either, because the engine
 * takes now = max(now, atMillis).
 *
 * Validation. startTransaction does only stateless checks (the entry decodes, the count and size
 * are within bounds). Anything that depends on state is decided by the engine at apply time and
 * comes back as a Rejected outcome, identically on every replica; a rejected command is still a
 * log entry, which is harmless (it changes nothing) and keeps the rule "state checks happen in one
 * place".
 *
 * Threads and the engine. Ratis calls applyTransaction, takeSnapshot, pause and reinitialize from
 * its single StateMachineUpdater thread, and read() from any thread. The Engine is not thread-safe,
 * so every access goes through `engineLock`: the updater holds it per entry, and read() holds it
 * for the duration of one query function. A lock rather than routing reads through Ratis query()
 * because the HTTP server's reads (job lookups, listings, metrics) are frequent and cheap, and a
 * Ratis round trip per read would cost more than the read itself. Reads see the state as of the
 * last applied entry on this replica (see ReplicatedEngine.read for the consistency this gives).
 *
 * Snapshots. takeSnapshot writes EngineSnapshot to snapshot.<term>_<index> through
 * SimpleStateMachineStorage (tmp file, fsync, atomic rename, then MD5 and updateLatestSnapshot).
 * Ratis triggers it automatically (RaftTuning) and purges the log up to it, so a replica that is
 * too far behind is sent the snapshot file by the leader (InstallSnapshot). For that to work,
 * pause() must move the lifecycle to PAUSED and reinitialize() must reload the installed file:
 * BaseStateMachine implements neither pause nor reinitialize, and StateMachineUpdater asserts
 * PAUSED before it installs a snapshot, so without these two a lagging follower fails there.
 *
 * Failure policy. A command that fails to decode after commit, or an engine invariant violation,
 * is a bug or corruption: it propagates as an error from the applier, which stops this replica
 * (never catch and continue: the replica restarts and replays a log it can trust). The other replicas continue without it.
 */
/**
 * The scheduling engine as an Apache Ratis state machine. Thread-safety: see the implementation
 * notes; every public method is safe to call from any thread.
 */
public final class HourglassStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(HourglassStateMachine.class);

  /** Buffer for snapshot streams; large enough that a snapshot is not syscall-bound. */
  private static final int SNAPSHOT_BUFFER_BYTES = 1 << 20;

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final EngineConfig engineConfig;
  private final LongSupplier leaderClockMillis;
  private final ReentrantLock engineLock = new ReentrantLock();
  private Engine engine; // guarded by engineLock
  private final java.util.concurrent.atomic.AtomicLong snapshotsInstalled =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile Throwable applyFailure;
  private volatile long failApplyingAt = Long.MIN_VALUE;

  /** Hears every applied command's events, on the applier thread; see {@link #onApplied}. */
  private volatile AppliedListener appliedListener;

  /** Signalled after each applied entry, for {@link #awaitApplied}. */
  private final Object appliedMonitor = new Object();

  /**
   * @param engineConfig must be identical on every replica, or their states diverge
   * @param leaderClockMillis the wall clock used to stamp commands while this replica leads
   */
  public HourglassStateMachine(EngineConfig engineConfig, LongSupplier leaderClockMillis) {
    this.engineConfig = engineConfig;
    this.leaderClockMillis = leaderClockMillis;
    this.engine = new Engine(engineConfig);
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(this::loadLatestSnapshot);
  }

  /** Called by Ratis before it installs a snapshot sent by the leader. */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Called by Ratis after it installed a snapshot: load it and resume. */
  @Override
  public void reinitialize() throws IOException {
    loadLatestSnapshot();
    snapshotsInstalled.incrementAndGet();
    synchronized (appliedMonitor) {
      appliedMonitor.notifyAll();
    }
    log.info(
        "node={} installed snapshot from the leader: lastApplied={}",
        getId(),
        getLastAppliedTermIndex());
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    if (snapshot == null) {
      log.info("node={} no snapshot; starting from an empty engine", getId());
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    MD5Hash md5 = snapshot.getFile().getFileDigest();
    if (md5 != null) {
      MD5FileUtil.verifySavedMD5(file, md5);
    }
    TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
    long started = System.nanoTime();
    Engine loaded;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16)) {
      loaded = EngineSnapshot.read(new FastDataInput(in, SNAPSHOT_BUFFER_BYTES));
    }
    engineLock.lock();
    try {
      engine = loaded;
      setLastAppliedTermIndex(last);
    } finally {
      engineLock.unlock();
    }
    log.info(
        "node={} loaded snapshot term={} index={} bytes={} millis={}",
        getId(),
        last.getTerm(),
        last.getIndex(),
        file.length(),
        (System.nanoTime() - started) / 1_000_000);
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    var content = request.getMessage().getContent();
    if (content.size() > EntryCodec.ENTRY_BYTES_MAX) {
      throw new IOException(
          "entry too large: bytes="
              + content.size()
              + " max="
              + EntryCodec.ENTRY_BYTES_MAX
              + "; split the batch");
    }
    byte[] entry = content.toByteArray();
    EntryCodec.restamp(entry, leaderClockMillis.getAsLong());
    List<Command> commands = EntryCodec.decode(ByteBuffer.wrap(entry));
    return TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request)
        .setLogData(UnsafeByteOperations.unsafeWrap(entry))
        .setStateMachineContext(commands)
        .build();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    try {
      return apply(trx, entry);
    } catch (RuntimeException | Error e) {
      // Ratis's updater catches this, logs it and closes the Raft server, but leaves the process
      // running: remembered here so that the replica reports it (readyz, status) and exits
      // instead of lingering at a frozen applied index while the group moves on.
      applyFailure =
          new IllegalStateException(
              "node="
                  + getId()
                  + " failed to apply committed"
                  + " entry term="
                  + entry.getTerm()
                  + " index="
                  + entry.getIndex()
                  + ": "
                  + e,
              e);
      log.error(
          "node={} failed to apply committed entry term={} index={}; this replica applies"
              + " nothing more until restarted (it replays its log)",
          getId(),
          entry.getTerm(),
          entry.getIndex(),
          e);
      throw e;
    }
  }

  private CompletableFuture<Message> apply(TransactionContext trx, LogEntryProto entry) {
    if (entry.getIndex() == failApplyingAt) {
      throw new IllegalStateException("injected apply failure at index=" + entry.getIndex());
    }
    List<Command> commands;
    try {
      commands =
          trx.getStateMachineContext() instanceof List<?> decoded
              ? castCommands(decoded)
              : EntryCodec.decode(
                  entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    } catch (IOException e) {
      // Committed but undecodable: the log is corrupt or a newer format was written. Stop here.
      throw new IllegalStateException(
          "node="
              + getId()
              + " cannot decode committed entry term="
              + entry.getTerm()
              + " index="
              + entry.getIndex(),
          e);
    }
    List<Outcome> outcomes = new ArrayList<>(commands.size());
    AppliedListener listener = appliedListener;
    engineLock.lock();
    try {
      for (Command c : commands) {
        Outcome o = engine.apply(c);
        outcomes.add(o);
        if (listener != null && o instanceof Outcome.Applied a && !a.events().isEmpty()) {
          listener.applied(a.events(), engine.queries());
        }
      }
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    } finally {
      engineLock.unlock();
    }
    synchronized (appliedMonitor) {
      appliedMonitor.notifyAll();
    }
    if (trx.getServerRole() != RaftPeerRole.LEADER) {
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    byte[] reply = ReplyCodec.encode(new Committed(entry.getTerm(), entry.getIndex(), outcomes));
    return CompletableFuture.completedFuture(
        Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
  }

  @SuppressWarnings("unchecked")
  private static List<Command> castCommands(List<?> decoded) {
    return (List<Command>) decoded;
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last;
    File tmp;
    File file;
    long started = System.nanoTime();
    engineLock.lock();
    try {
      last = getLastAppliedTermIndex();
      if (last == null || last.getIndex() <= 0) {
        return RaftLog.INVALID_LOG_INDEX;
      }
      file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
      tmp = new File(file.getParentFile(), file.getName() + ".tmp");
      try (OutputStream os = Files.newOutputStream(tmp.toPath())) {
        var out = new FastDataOutput(os, SNAPSHOT_BUFFER_BYTES);
        EngineSnapshot.write(engine, out);
        out.flush();
      }
    } finally {
      engineLock.unlock();
    }
    try (var ch =
        java.nio.channels.FileChannel.open(tmp.toPath(), java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(
        new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    log.info(
        "node={} took snapshot term={} index={} bytes={} millis={}",
        getId(),
        last.getTerm(),
        last.getIndex(),
        file.length(),
        (System.nanoTime() - started) / 1_000_000);
    return last.getIndex();
  }

  /**
   * Runs {@code query} against this replica's engine, under the lock that the applier holds while
   * it applies an entry. Keep the function short: it delays replication on this replica while it
   * runs. Do not let the EngineQueries (or views that reference live engine objects) escape it.
   */
  public <T> T read(Function<EngineQueries, T> query) {
    engineLock.lock();
    try {
      return query.apply(engine.queries());
    } finally {
      engineLock.unlock();
    }
  }

  /**
   * Hears the events of every command this replica applies, whoever proposed it, on the applier
   * thread and under the applier's lock: so that a replica wakes its parked long polls for jobs
   * that became ready through another replica. Must be quick and must not throw.
   */
  public interface AppliedListener {
    void applied(List<dev.hourglass.core.event.Event> events, EngineQueries queries);
  }

  /** Sets the one {@link AppliedListener}; null removes it. */
  public void onApplied(AppliedListener listener) {
    this.appliedListener = listener;
  }

  /**
   * Waits until this replica has applied the entry at {@code index}, at most {@code timeoutMillis};
   * answers whether it has.
   */
  public boolean awaitApplied(long index, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    synchronized (appliedMonitor) {
      while (appliedIndex() < index) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        appliedMonitor.wait(left);
      }
      return true;
    }
  }

  private long appliedIndex() {
    TermIndex last = getLastAppliedTermIndex();
    return last == null ? -1 : last.getIndex();
  }

  /** The engine's canonical snapshot bytes, for comparing replicas in this package's tests. */
  byte[] snapshotBytes() {
    engineLock.lock();
    try {
      return EngineSnapshot.toBytes(engine);
    } finally {
      engineLock.unlock();
    }
  }

  /**
   * What this replica has applied and a checksum of the engine state it produced: two replicas that
   * report the same {@code appliedIndex} must report the same {@code crc32c}, or they have
   * diverged.
   *
   * @param appliedTerm the term of the last entry applied, 0 before any
   * @param appliedIndex the index of the last entry applied, 0 before any
   * @param crc32c CRC32C of the engine's canonical snapshot form (EngineSnapshot)
   * @param bytes the length of that form
   */
  public record StateDigest(long appliedTerm, long appliedIndex, long crc32c, long bytes) {}

  /**
   * Computes the {@link StateDigest}, streaming the snapshot form through the checksum (no copy of
   * the state is held). The applied index and the state are read under the applier's lock, so they
   * belong together; that also means this replica applies nothing while the digest is computed,
   * about 1 s per million jobs held. Call it rarely (an operator's check, a test).
   */
  public StateDigest digest() {
    var sink = new ChecksumSink();
    engineLock.lock();
    try {
      TermIndex applied = getLastAppliedTermIndex();
      var out = new FastDataOutput(sink, DIGEST_BUFFER_BYTES);
      EngineSnapshot.write(engine, out);
      out.flush();
      return new StateDigest(
          applied == null ? 0 : applied.getTerm(),
          applied == null ? 0 : Math.max(0, applied.getIndex()),
          sink.crc.getValue(),
          sink.bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to a checksum", e);
    } finally {
      engineLock.unlock();
    }
  }

  /** Buffer for digest streams: small, because the sink only checksums what it is given. */
  private static final int DIGEST_BUFFER_BYTES = 1 << 16;

  /** An output stream that keeps only a CRC32C and a byte count of what is written to it. */
  private static final class ChecksumSink extends OutputStream {
    final CRC32C crc = new CRC32C();
    long bytes;

    @Override
    public void write(int b) {
      crc.update(b);
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      crc.update(b, off, len);
      bytes += len;
    }
  }

  /**
   * Why this replica stopped applying (an entry failed to decode or apply; Ratis has closed its
   * Raft server), or null while it applies normally.
   */
  public Throwable applyFailure() {
    return applyFailure;
  }

  /** Tests: makes applying the entry at {@code index} fail on this replica only. */
  void failApplyingAt(long index) {
    failApplyingAt = index;
  }

  /** How many snapshots the leader installed here since start (InstallSnapshot catch-ups). */
  public long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  EngineConfig engineConfig() {
    return engineConfig;
  }
}
