package dev.hourglass.core.engine;

import static dev.hourglass.core.codec.Bytes.readSize;
import static dev.hourglass.core.codec.Bytes.readString;
import static dev.hourglass.core.codec.Bytes.readStrings;
import static dev.hourglass.core.codec.Bytes.writeString;
import static dev.hourglass.core.codec.Bytes.writeStrings;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataOutput;
import dev.hourglass.core.cron.CronSchedule;
import dev.hourglass.core.view.JobState;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an engine's complete state as bytes and rebuilds an engine from them.
 *
 * <p>The format is canonical: it holds the state, not the structures (heaps, lanes, counters are
 * rebuilt on read), and every ordered collection is written in its order. So two engines in the
 * same state write the same bytes, which the determinism tests use as the definition of "equal
 * state", and a read-then-write round trip is the identity.
 *
 * <p>Layout: magic, format, config, clock and sequence, queues, task limits, workers, jobs (in
 * submission order, with attempts), the ordered sets (unacknowledged assignments, dead letters,
 * retention order), schedules, then (format 3) the scheduling policies (see {@link
 * #writePolicies}). See docs/WAL_FORMAT.md.
 */
public final class EngineSnapshot {
  private static final int MAGIC = 0x48475331; // "HGS1"

  /**
   * 2 added the dead-worker retention to the config, a worker's task types (after its leases) and
   * {@code cancelledBy} to a job's extras; format 1 is still read, with the default retention, no
   * task filter and no cancelling parent recorded. 3 added a job's trace context to its extras and
   * writes schedule templates in command format 2 (with theirs), and appended the scheduling
   * policies section; formats 1 and 2 are read as jobs and templates without a trace context and an
   * engine with no policies.
   */
  public static final int FORMAT = 3;

  private static final int FORMAT_1 = 1;
  private static final int FORMAT_2 = 2;

  private EngineSnapshot() {}

  public static byte[] toBytes(Engine engine) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 12);
    try {
      FastDataOutput out = new FastDataOutput(bytes, 1 << 16);
      write(engine, out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    }
    return bytes.toByteArray();
  }

  public static void write(Engine e, DataOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(FORMAT);
    EngineConfig c = e.config();
    out.writeLong(c.retentionMillis());
    out.writeLong(c.defaultLeaseMillis());
    out.writeLong(c.defaultWorkerTimeoutMillis());
    out.writeLong(c.misfireThresholdMillis());
    out.writeInt(c.payloadBytesMax());
    out.writeInt(c.finishedJobsMax());
    out.writeLong(c.workerRetentionMillis());
    out.writeLong(e.now);
    out.writeLong(e.nextSeq);
    out.writeInt(e.queues.size());
    for (QueueState q : e.queues.values()) {
      writeString(out, q.name);
      out.writeBoolean(q.paused);
      out.writeInt(q.maxRunning);
    }
    out.writeInt(e.taskLimits.size());
    for (var entry : e.taskLimits.entrySet()) {
      writeString(out, entry.getKey());
      out.writeInt(entry.getValue().maxRunning);
    }
    out.writeInt(e.workers.size());
    for (WorkerState w : e.workers.values()) {
      writeWorker(out, w);
    }
    out.writeInt(e.jobs.size());
    IOException[] failure = new IOException[1];
    e.jobs.forEachHeldInOrder(
        job -> {
          if (failure[0] == null) {
            try {
              writeJob(out, job);
            } catch (IOException ex) {
              failure[0] = ex;
            }
          }
        },
        record -> {
          if (failure[0] == null) {
            try {
              e.jobs.archived().writeJob(record, out);
            } catch (IOException ex) {
              failure[0] = ex;
            }
          }
        });
    if (failure[0] != null) {
      throw failure[0];
    }
    writeIds(out, e.unacknowledged.jobs());
    writeIds(out, e.deadLetters.values());
    out.writeInt(e.finished.size());
    IOException[] failed = new IOException[1];
    e.finished.forEach(
        seq -> {
          try {
            if (failed[0] == null) {
              writeString(out, e.jobs.idAt(seq));
            }
          } catch (IOException ex) {
            failed[0] = ex;
          }
        });
    if (failed[0] != null) {
      throw failed[0];
    }
    out.writeInt(e.schedules.size());
    for (ScheduleState s : e.schedules.values()) {
      writeSchedule(out, s);
    }
    writePolicies(e, out);
  }

  /**
   * The scheduling policies, after everything else: jobs' and schedule templates' fairness keys;
   * queues with a weight, rate limit or fairness (and the fair ring's key order and partial turns);
   * task types with a rate limit; workers' strategy rotation and reserved slots. Each list holds
   * only the entries that differ from the defaults, in the engine's order.
   */
  private static void writePolicies(Engine e, DataOutput out) throws IOException {
    List<String> keyed = new ArrayList<>(); // id, key, id, key, ...
    ArchivedJobs archived = e.jobs.archived();
    e.jobs.forEachHeldInOrder(
        j -> {
          if (j.fairnessKey != null) {
            keyed.add(j.id);
            keyed.add(j.fairnessKey);
          }
        },
        record -> {
          String key = archived.fairnessKeyAt(record);
          if (key != null) {
            keyed.add(archived.idAt(record));
            keyed.add(key);
          }
        });
    out.writeInt(keyed.size() / 2);
    for (String s : keyed) {
      writeString(out, s);
    }
    List<ScheduleState> keyedSchedules = new ArrayList<>();
    for (ScheduleState s : e.schedules.values()) {
      if (s.spec.template().fairnessKey() != null) {
        keyedSchedules.add(s);
      }
    }
    out.writeInt(keyedSchedules.size());
    for (ScheduleState s : keyedSchedules) {
      writeString(out, s.id());
      writeString(out, s.spec.template().fairnessKey());
    }
    writeQueuePolicies(e, out);
    writeWorkerPolicies(e, out);
  }

  private static void writeQueuePolicies(Engine e, DataOutput out) throws IOException {
    List<QueueState> queues = new ArrayList<>();
    for (QueueState q : e.queues.values()) {
      if (q.weight != 1 || q.rate != null || q.fair) {
        queues.add(q);
      }
    }
    out.writeInt(queues.size());
    for (QueueState q : queues) {
      writeString(out, q.name);
      out.writeInt(q.weight);
      writeBucket(out, q.rate);
      out.writeBoolean(q.fair);
      if (q.fair) {
        out.writeInt(q.keyWeights.size());
        for (var kw : q.keyWeights.entrySet()) {
          writeString(out, kw.getKey());
          out.writeInt(kw.getValue());
        }
        List<String> order = q.fairRing.order();
        writeStrings(out, order);
        var turns = q.fairRing.partialTurns(order);
        out.writeInt(turns.size());
        for (var turn : turns.entrySet()) {
          writeString(out, turn.getKey());
          out.writeInt(turn.getValue());
        }
      }
    }
    List<String> rated = new ArrayList<>();
    e.taskLimits.forEach(
        (task, limit) -> {
          if (limit.rate != null) {
            rated.add(task);
          }
        });
    out.writeInt(rated.size());
    for (String task : rated) {
      writeString(out, task);
      writeBucket(out, e.taskLimits.get(task).rate);
    }
  }

  private static void writeWorkerPolicies(Engine e, DataOutput out) throws IOException {
    List<WorkerState> rotating = new ArrayList<>();
    for (WorkerState w : e.workers.values()) {
      if (w.lastQueue != null || !w.currentWeights.isEmpty() || !w.reserve.isEmpty()) {
        rotating.add(w);
      }
    }
    out.writeInt(rotating.size());
    for (WorkerState w : rotating) {
      writeString(out, w.id);
      writeString(out, w.lastQueue);
      out.writeInt(w.currentWeights.size());
      for (var cw : w.currentWeights.entrySet()) {
        writeString(out, cw.getKey());
        out.writeLong(cw.getValue());
      }
      out.writeInt(w.reserve.size());
      for (var r : w.reserve.entrySet()) {
        writeString(out, r.getKey());
        out.writeInt(r.getValue());
      }
    }
  }

  private static void writeBucket(DataOutput out, RateBucket b) throws IOException {
    out.writeBoolean(b != null);
    if (b != null) {
      out.writeLong(b.limit.milliPerSecond());
      out.writeInt(b.limit.burst());
      out.writeLong(b.units);
      out.writeLong(b.refilledAtMillis);
    }
  }

  private static RateBucket readBucket(DataInput in) throws IOException {
    if (!in.readBoolean()) {
      return null;
    }
    var limit = new dev.hourglass.core.command.RateLimit(in.readLong(), in.readInt());
    String problem = RateBucket.problem("snapshot", "bucket", limit);
    if (problem != null || limit.isNone()) {
      throw new IOException("corrupt engine snapshot: rate limit " + limit + ": " + problem);
    }
    RateBucket b = new RateBucket(limit, in.readLong());
    b.units = in.readLong();
    b.refilledAtMillis = in.readLong();
    return b;
  }

  private static void readPolicies(DataInput in, Engine e) throws IOException {
    int keyed = readSize(in);
    for (int i = 0; i < keyed; i++) {
      Job j = existing(e, readString(in));
      j.fairnessKey = readString(in);
    }
    int keyedSchedules = readSize(in);
    for (int i = 0; i < keyedSchedules; i++) {
      String id = readString(in);
      ScheduleState s = e.schedules.get(id);
      if (s == null) {
        throw new IOException("corrupt engine snapshot: fairness key of unknown schedule " + id);
      }
      var spec = s.spec;
      s.spec =
          new dev.hourglass.core.command.ScheduleSpec(
              spec.scheduleId(),
              spec.cron(),
              spec.timeZone(),
              spec.template().withFairnessKey(readString(in)),
              spec.overlap(),
              spec.catchUp(),
              spec.catchUpWindowMillis());
    }
    readQueuePolicies(in, e);
    readWorkerPolicies(in, e);
  }

  private static void readQueuePolicies(DataInput in, Engine e) throws IOException {
    int queues = readSize(in);
    for (int i = 0; i < queues; i++) {
      QueueState q = e.queue(readString(in));
      q.weight = in.readInt();
      q.rate = readBucket(in);
      if (in.readBoolean()) {
        int n = readSize(in);
        var weights = new java.util.LinkedHashMap<String, Integer>();
        for (int k = 0; k < n; k++) {
          weights.put(readString(in), in.readInt());
        }
        q.keyWeights = weights.isEmpty() ? java.util.Map.of() : weights;
        q.fair = true;
        Policies.fillRing(q);
        List<String> order = readStrings(in);
        int partial = readSize(in);
        var turns = new java.util.HashMap<String, Integer>();
        for (int t = 0; t < partial; t++) {
          String key = readString(in);
          int served = in.readInt();
          if (served < 1 || turns.put(key, served) != null) {
            throw new IOException(
                "corrupt engine snapshot: fair queue "
                    + q.name
                    + " key "
                    + key
                    + " has a partial turn of "
                    + served
                    + " or two of them");
          }
        }
        if (order.size() != q.fairRing.keyCount()) {
          throw new IOException(
              "corrupt engine snapshot: fair queue "
                  + q.name
                  + " names "
                  + order.size()
                  + " keys in its ring, "
                  + q.fairRing.keyCount()
                  + " hold ready jobs");
        }
        q.fairRing.restore(order, turns);
      }
    }
    int rated = readSize(in);
    for (int i = 0; i < rated; i++) {
      e.taskLimit(readString(in)).rate = readBucket(in);
    }
  }

  private static void readWorkerPolicies(DataInput in, Engine e) throws IOException {
    int rotating = readSize(in);
    for (int i = 0; i < rotating; i++) {
      String id = readString(in);
      WorkerState w = e.workers.get(id);
      if (w == null) {
        throw new IOException("corrupt engine snapshot: rotation of unknown worker " + id);
      }
      w.lastQueue = readString(in);
      int n = readSize(in);
      for (int k = 0; k < n; k++) {
        w.currentWeights.put(readString(in), in.readLong());
      }
      int reserved = readSize(in);
      var reserve = new java.util.LinkedHashMap<String, Integer>();
      for (int k = 0; k < reserved; k++) {
        reserve.put(readString(in), in.readInt());
      }
      w.setReserve(reserve, w.leases.jobs());
    }
  }

  private static void writeWorker(DataOutput out, WorkerState w) throws IOException {
    writeString(out, w.id);
    out.writeInt(w.capacity);
    writeStrings(out, w.queues);
    out.writeLong(w.heartbeatTimeoutMillis);
    out.writeLong(w.lastSeenMillis);
    out.writeBoolean(w.alive);
    writeIds(out, w.leases.jobs());
    writeStrings(out, w.tasks);
  }

  /** One job's fields; also the body of an archived job's record ({@link ArchivedJobs}). */
  static void writeJob(DataOutput out, Job j) throws IOException {
    writeString(out, j.id);
    out.writeLong(j.seq);
    writeString(out, j.queue);
    writeString(out, j.task);
    writeString(out, j.payload);
    out.writeInt(j.priority);
    out.writeLong(j.deadlineMillis);
    out.writeLong(j.createdAtMillis);
    out.writeInt(j.maxAttempts);
    CommandCodec.writeBackoff(out, j.backoff);
    out.writeLong(j.timeoutMillis);
    out.writeByte(j.state.ordinal());
    out.writeLong(j.dueAtMillis);
    out.writeInt(j.generation);
    out.writeInt(j.failures);
    // Only meaningful state is written, so that incidental differences (an extras object that
    // happens to exist, a parent count left on a job that is no longer waiting) cannot make two
    // equal states write different bytes.
    out.writeInt(j.state == JobState.PENDING ? j.unmetParents : 0);
    JobExtras x = j.extras;
    boolean hasExtras =
        x != null
            && (x.idempotencyKey != null
                || !x.parents.isEmpty()
                || x.scheduleId != null
                || x.result != null
                || x.reason != null
                || x.runAtMillis != 0
                || x.cancelledBy != null
                || x.trace != null);
    out.writeBoolean(hasExtras);
    if (hasExtras) {
      writeString(out, x.idempotencyKey);
      writeStrings(out, x.parents);
      writeString(out, x.scheduleId);
      writeString(out, x.result);
      writeString(out, x.reason);
      out.writeLong(x.runAtMillis);
      writeString(out, j.state == JobState.CANCELLED ? x.cancelledBy : null);
      CommandCodec.writeTrace(out, x.trace);
    }
    // Oldest first. Most jobs ran once: that case builds no list (every succeeded job is written
    // once as it is archived).
    Attempt last = j.lastAttempt;
    if (last == null || last.previous == null) {
      out.writeInt(last == null ? 0 : 1);
      if (last != null) {
        writeAttempt(out, last);
      }
      return;
    }
    List<Attempt> attempts = j.attemptsOldestFirst();
    out.writeInt(attempts.size());
    for (Attempt a : attempts) {
      writeAttempt(out, a);
    }
  }

  private static void writeAttempt(DataOutput out, Attempt a) throws IOException {
    writeString(out, a.workerId);
    out.writeInt(a.generation);
    out.writeLong(a.startedAtMillis);
    out.writeLong(a.leaseExpiresAtMillis);
    out.writeLong(a.endedAtMillis);
    out.writeByte(a.outcome.ordinal());
    writeString(out, a.error);
    out.writeBoolean(a.acknowledged);
  }

  private static void writeSchedule(DataOutput out, ScheduleState s) throws IOException {
    CommandCodec.writeSchedule(out, s.spec);
    out.writeBoolean(s.paused);
    out.writeLong(s.nextFireAtMillis);
    out.writeLong(s.lastFireAtMillis);
    out.writeLong(s.fired);
    out.writeLong(s.skipped);
    out.writeLong(s.queuedFireAtMillis);
    writeStrings(out, List.copyOf(s.liveJobIds));
  }

  private static void writeIds(DataOutput out, java.util.Collection<Job> jobs) throws IOException {
    out.writeInt(jobs.size());
    for (Job j : jobs) {
      writeString(out, j.id);
    }
  }

  /**
   * Rebuilds an engine from bytes written by {@link #write}.
   *
   * @throws IOException if the bytes are not a snapshot of a format this build reads
   */
  public static Engine read(DataInput in) throws IOException {
    if (in.readInt() != MAGIC) {
      throw new IOException("not an engine snapshot: bad magic number");
    }
    int format = in.readInt();
    if (format != FORMAT && format != FORMAT_1 && format != FORMAT_2) {
      throw new IOException(
          "engine snapshot format "
              + format
              + " is not readable by this build"
              + " (reads 1 to "
              + FORMAT
              + ")");
    }
    EngineConfig config =
        new EngineConfig(
            in.readLong(),
            in.readLong(),
            in.readLong(),
            in.readLong(),
            in.readInt(),
            in.readInt(),
            format == FORMAT_1 ? EngineConfig.DEFAULTS.workerRetentionMillis() : in.readLong());
    Engine e = new Engine(config);
    e.now = in.readLong();
    e.nextSeq = in.readLong();
    int queues = readSize(in);
    for (int i = 0; i < queues; i++) {
      QueueState q = e.queue(readString(in));
      q.paused = in.readBoolean();
      q.maxRunning = in.readInt();
    }
    int limits = readSize(in);
    for (int i = 0; i < limits; i++) {
      e.taskLimit(readString(in)).maxRunning = in.readInt();
    }
    List<List<String>> leaseIds = new ArrayList<>();
    int workers = readSize(in);
    for (int i = 0; i < workers; i++) {
      WorkerState w = new WorkerState(readString(in), in.readInt(), readStrings(in), in.readLong());
      w.lastSeenMillis = in.readLong();
      w.alive = in.readBoolean();
      leaseIds.add(readStrings(in));
      if (format != FORMAT_1) {
        w.setTasks(readStrings(in));
      }
      e.addWorker(w);
      if (w.alive) {
        e.liveness.add(w);
      } else {
        e.graveyard.add(w);
      }
    }
    int jobs = readSize(in);
    for (int i = 0; i < jobs; i++) {
      e.jobs.add(readJob(in, format));
    }
    rebuildStructures(e, leaseIds);
    for (String id : readStrings(in)) {
      Job j = existing(e, id);
      if (j.state != JobState.RUNNING) {
        throw new IOException(
            "corrupt engine snapshot: unacknowledged job " + id + " is " + j.state);
      }
      e.unacknowledged.add(j.liveAttempt());
    }
    for (String id : readStrings(in)) {
      e.deadLetters.put(id, existing(e, id));
    }
    java.util.IdentityHashMap<Job, Integer> entries = new java.util.IdentityHashMap<>();
    for (String id : readStrings(in)) {
      Job j = existing(e, id);
      entries.merge(j, 1, Integer::sum);
      e.finished.addLast(j.seq);
    }
    for (var entry : entries.entrySet()) {
      // A job's entries beyond its real one (the newest, while it is SUCCEEDED or CANCELLED) were
      // left behind by revivals: the engine that lived through them counts them the same way.
      Job j = entry.getKey();
      int stale = entry.getValue() - (j.state.isTerminal() ? 1 : 0);
      if (stale > 0) {
        if (j.extras == null) {
          throw new IOException(
              "corrupt engine snapshot: job "
                  + j.id
                  + " is in the retention"
                  + " order "
                  + entry.getValue()
                  + " times but was never revived");
        }
        j.extras.staleFinishedEntries = stale;
      }
    }
    int schedules = readSize(in);
    for (int i = 0; i < schedules; i++) {
      readSchedule(in, e, format == FORMAT ? CommandCodec.FORMAT : CommandCodec.FORMAT_1);
    }
    if (format == FORMAT) {
      readPolicies(in, e);
    }
    dropIdle(e);
    e.archiveFinishedJobs();
    return e;
  }

  /**
   * Format 1 kept task limits set back to 0 and queues that had become idle; this build drops them,
   * so a restored engine holds what a live one would. Done last, once the policies (which keep a
   * queue or a task entry that has no jobs) are read.
   */
  private static void dropIdle(Engine e) {
    for (var limit : List.copyOf(e.taskLimits.entrySet())) {
      e.dropIfIdle(limit.getKey(), limit.getValue());
    }
    for (QueueState q : List.copyOf(e.queues.values())) {
      e.dropIfIdle(q);
    }
  }

  static Job readJob(DataInput in, int format) throws IOException {
    Job j =
        new Job(
            readString(in),
            in.readLong(),
            readString(in),
            readString(in),
            readString(in),
            in.readInt(),
            in.readLong(),
            in.readLong(),
            in.readInt(),
            CommandCodec.readBackoff(in),
            in.readLong());
    j.state = CommandCodec.enumAt(JobState.values(), in.readUnsignedByte());
    j.dueAtMillis = in.readLong();
    j.generation = in.readInt();
    j.failures = in.readInt();
    j.unmetParents = in.readInt();
    if (in.readBoolean()) {
      JobExtras x = j.extras();
      x.idempotencyKey = readString(in);
      x.parents = readStrings(in);
      x.scheduleId = readString(in);
      x.result = readString(in);
      x.reason = readString(in);
      x.runAtMillis = in.readLong();
      x.cancelledBy = format == FORMAT_1 ? null : readString(in);
      if (format != FORMAT_1 && format != FORMAT_2) {
        x.trace = CommandCodec.readTrace(in, j.id);
      }
    }
    int attempts = readSize(in);
    for (int i = 0; i < attempts; i++) {
      Attempt a =
          new Attempt(j, j.lastAttempt, readString(in), in.readInt(), in.readLong(), in.readLong());
      a.endedAtMillis = in.readLong();
      a.outcome = CommandCodec.enumAt(Attempt.Outcome.values(), in.readUnsignedByte());
      a.error = readString(in);
      a.acknowledged = in.readBoolean();
      j.lastAttempt = a;
    }
    return j;
  }

  /** Puts every job back into the structures of its state, and recomputes all counts. */
  private static void rebuildStructures(Engine e, List<List<String>> leaseIds) throws IOException {
    e.jobs.forEachInOrder(
        j -> {
          for (String parentId : j.extras == null ? List.<String>of() : j.extras.parents) {
            Job parent = e.jobs.get(parentId);
            if (parent
                != null) { // in submit order, as when it was live: j's seq follows its parents
              Engine.addDependent(parent, j.id);
            }
          }
          e.countsByState[j.state.ordinal()]++;
          QueueState q = e.queue(j.queue);
          q.countsByState[j.state.ordinal()]++;
          switch (j.state) {
            case SCHEDULED, FAILED -> e.due.add(j);
            case READY -> {
              j.readyStamp++;
              q.lane(j.task, j.priority).add(j);
            }
            case RUNNING -> {
              e.leases.add(j);
              q.running++;
              e.taskLimit(j.task).running++;
            }
            case PENDING -> {
              int unmet = 0;
              for (String parentId : j.extras == null ? List.<String>of() : j.extras.parents) {
                Job parent = e.jobs.get(parentId);
                if (parent != null && !parent.state.isFinished()) {
                  JobExtras px = parent.extras();
                  if (px.children == null) {
                    px.children = new ArrayList<>(2);
                  }
                  px.children.add(j);
                  unmet++;
                }
              }
              Invariants.check(
                  unmet == j.unmetParents,
                  "job %s: %d unmet parents recorded, %d found",
                  j.id,
                  j.unmetParents,
                  unmet);
            }
            case SUCCEEDED, DEAD, CANCELLED -> {}
          }
        });
    int i = 0;
    for (WorkerState w : e.workers.values()) {
      for (String id : leaseIds.get(i++)) {
        Job j = existing(e, id);
        Invariants.check(j.state == JobState.RUNNING, "worker %s holds %s", w.id, j);
        w.leases.add(j.liveAttempt());
      }
    }
  }

  private static void readSchedule(DataInput in, Engine e, int commandFormat) throws IOException {
    var spec = CommandCodec.readSchedule(in, commandFormat);
    CronSchedule cron;
    try {
      cron = CronSchedule.parse(spec.cron(), spec.timeZone());
    } catch (IllegalArgumentException ex) {
      throw new IOException(
          "snapshot holds schedule "
              + spec.scheduleId()
              + " whose cron no longer parses: "
              + ex.getMessage(),
          ex);
    }
    ScheduleState s = new ScheduleState(spec, cron);
    s.paused = in.readBoolean();
    s.nextFireAtMillis = in.readLong();
    s.lastFireAtMillis = in.readLong();
    s.fired = in.readLong();
    s.skipped = in.readLong();
    s.queuedFireAtMillis = in.readLong();
    s.liveJobIds.addAll(readStrings(in));
    e.schedules.put(spec.scheduleId(), s);
    if (s.nextFireAtMillis >= 0) {
      e.firings.add(s);
    }
  }

  private static Job existing(Engine e, String id) throws IOException {
    Job j = e.jobs.get(id);
    if (j == null) {
      throw new IOException("corrupt engine snapshot: refers to job " + id + " it does not hold");
    }
    return j;
  }
}
