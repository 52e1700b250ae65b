package dev.hourglass.core.codec;

import static dev.hourglass.core.codec.Bytes.readString;
import static dev.hourglass.core.codec.Bytes.readStrings;
import static dev.hourglass.core.codec.Bytes.writeString;
import static dev.hourglass.core.codec.Bytes.writeStrings;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.AcknowledgeAssignment;
import dev.hourglass.core.command.Command.AssignJob;
import dev.hourglass.core.command.Command.CancelJob;
import dev.hourglass.core.command.Command.CompleteJob;
import dev.hourglass.core.command.Command.DeleteSchedule;
import dev.hourglass.core.command.Command.DeregisterWorker;
import dev.hourglass.core.command.Command.FailJob;
import dev.hourglass.core.command.Command.HeartbeatJob;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.Command.PutSchedule;
import dev.hourglass.core.command.Command.RedriveJob;
import dev.hourglass.core.command.Command.RegisterWorker;
import dev.hourglass.core.command.Command.ReleaseJob;
import dev.hourglass.core.command.Command.RunJobNow;
import dev.hourglass.core.command.Command.SetQueueConcurrency;
import dev.hourglass.core.command.Command.SetQueueFairness;
import dev.hourglass.core.command.Command.SetQueuePaused;
import dev.hourglass.core.command.Command.SetQueueRate;
import dev.hourglass.core.command.Command.SetQueueWeight;
import dev.hourglass.core.command.Command.SetSchedulePaused;
import dev.hourglass.core.command.Command.SetTaskConcurrency;
import dev.hourglass.core.command.Command.SetTaskRate;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.Command.WorkerHeartbeat;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.TraceContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of commands, as written to the write-ahead log and replicated through Raft.
 *
 * <p>Layout: one format byte ({@link #FORMAT}), one type tag byte, the command's time as a long,
 * then the command's fields in declaration order. Tags are never reused: a new command gets a new
 * tag, and a changed layout gets a new format number, so that old logs stay readable. Stateless and
 * thread-safe.
 *
 * <p>A worker's task set: {@code RegisterWorker} and {@code LeaseJobs} without one (any task) keep
 * their original tags 5 and 8 and layouts; with one, they are tags 23 and 24, the same fields
 * followed by the task names. So logs written before task sets existed read unchanged, and a fleet
 * that names no tasks writes the bytes it always wrote.
 *
 * <p>Format 2 appends the job's trace context to every job spec (in submits and in schedule
 * templates): {@code traceparent} and {@code tracestate} as strings, null when absent. Format 1
 * records are still read, as specs without a trace context.
 *
 * <p>Scheduling policies follow the same rule. A lease with a strategy other than priority is tag
 * 25 (the fields of tag 24, its task set possibly empty, then the strategy's ordinal byte). A job
 * spec with a fairness key is written with its key after the other fields, under new tags for the
 * three commands that carry specs: 30 (submit one), 31 (submit a batch, used when any spec has a
 * key), 32 (put schedule). Tags 26 to 29 set a queue's weight, a queue's and a task type's rate
 * limit, and a queue's fairness. Tag 33 is a {@code RegisterWorker} that reserves capacity (tag
 * 23's fields, its task set possibly empty, then the reservations).
 */
public final class CommandCodec {
  public static final int FORMAT = 2;

  /** Job specs without a trace context. */
  public static final int FORMAT_1 = 1;

  private CommandCodec() {}

  /** One command's record; a caller that logs many, one after another, keeps an {@link Encoder}. */
  public static byte[] encode(Command command) {
    return new Encoder().encode(command);
  }

  /**
   * Encodes commands one after another into one reused buffer, each handed out as an exact-size
   * array: one allocation per command, where a new encoder per command makes a stream, a buffer
   * that grows by copying and the final copy (a sixth of what the embedded engine allocated per job
   * at 10,000 jobs/s). For the one thread that logs the commands: not thread-safe.
   */
  public static final class Encoder {
    /** Why 1 MiB: a rare huge batch's buffer is then dropped rather than kept for good. */
    private static final int RETAINED_BYTES_MAX = 1 << 20;

    private ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    private DataOutputStream out = new DataOutputStream(bytes);

    public byte[] encode(Command command) {
      bytes.reset();
      try {
        CommandCodec.encode(command, out);
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot happen writing to memory", e);
      } finally {
        if (bytes.size() > RETAINED_BYTES_MAX) {
          bytes = new ByteArrayOutputStream(256);
          out = new DataOutputStream(bytes);
        }
      }
    }
  }

  public static Command decode(byte[] record) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(record));
    Command c = decode(in);
    if (in.available() != 0) {
      throw new IOException(
          "corrupt command record: "
              + in.available()
              + " trailing bytes after "
              + c.getClass().getSimpleName());
    }
    return c;
  }

  public static void encode(Command command, DataOutput out) throws IOException {
    out.writeByte(FORMAT);
    out.writeByte(tag(command));
    out.writeLong(command.atMillis());
    switch (command) {
      case SubmitJob c -> writeSpec(out, c.spec(), keyed(c.spec()));
      case SubmitJobs c -> {
        boolean keyed = keyed(c.specs());
        out.writeInt(c.specs().size());
        for (JobSpec spec : c.specs()) {
          writeSpec(out, spec, keyed);
        }
      }
      case CancelJob c -> {
        writeString(out, c.jobId());
        writeString(out, c.reason());
      }
      case RedriveJob c -> writeString(out, c.jobId());
      case RunJobNow c -> writeString(out, c.jobId());
      case RegisterWorker c -> {
        writeString(out, c.workerId());
        out.writeInt(c.capacity());
        writeStrings(out, c.queues());
        out.writeLong(c.heartbeatTimeoutMillis());
        if (!c.reserve().isEmpty()) {
          writeStrings(out, c.tasks());
          writeIntMap(out, c.reserve());
        } else if (!c.tasks().isEmpty()) {
          writeStrings(out, c.tasks());
        }
      }
      case WorkerHeartbeat c -> writeString(out, c.workerId());
      case DeregisterWorker c -> writeString(out, c.workerId());
      case LeaseJobs c -> {
        writeString(out, c.workerId());
        out.writeInt(c.max());
        writeStrings(out, c.queues());
        out.writeLong(c.leaseMillis());
        if (c.strategy() != LeaseStrategy.PRIORITY) {
          writeStrings(out, c.tasks());
          out.writeByte(c.strategy().ordinal());
        } else if (!c.tasks().isEmpty()) {
          writeStrings(out, c.tasks());
        }
      }
      case AssignJob c -> {
        writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
        out.writeLong(c.leaseMillis());
      }
      case AcknowledgeAssignment c -> writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
      case HeartbeatJob c -> {
        writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
        out.writeLong(c.leaseMillis());
      }
      case CompleteJob c -> {
        writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
        writeString(out, c.result());
      }
      case FailJob c -> {
        writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
        writeString(out, c.error());
        out.writeBoolean(c.retryable());
      }
      case ReleaseJob c -> writeLeaseRef(out, c.jobId(), c.workerId(), c.generation());
      case Tick c -> {}
      case SetQueuePaused c -> {
        writeString(out, c.queue());
        out.writeBoolean(c.paused());
      }
      case SetQueueConcurrency c -> {
        writeString(out, c.queue());
        out.writeInt(c.maxRunning());
      }
      case SetTaskConcurrency c -> {
        writeString(out, c.task());
        out.writeInt(c.maxRunning());
      }
      case PutSchedule c -> writeSchedule(out, c.spec(), keyed(c.spec().template()));
      case SetQueueWeight c -> {
        writeString(out, c.queue());
        out.writeInt(c.weight());
      }
      case SetQueueRate c -> {
        writeString(out, c.queue());
        writeRate(out, c.rate());
      }
      case SetTaskRate c -> {
        writeString(out, c.task());
        writeRate(out, c.rate());
      }
      case SetQueueFairness c -> {
        writeString(out, c.queue());
        out.writeBoolean(c.fair());
        writeIntMap(out, c.keyWeights());
      }
      case SetSchedulePaused c -> {
        writeString(out, c.scheduleId());
        out.writeBoolean(c.paused());
      }
      case DeleteSchedule c -> writeString(out, c.scheduleId());
    }
  }

  private static int tag(Command command) {
    return switch (command) {
      case SubmitJob c -> keyed(c.spec()) ? 30 : 1;
      case SubmitJobs c -> keyed(c.specs()) ? 31 : 2;
      case CancelJob c -> 3;
      case RedriveJob c -> 4;
      case RegisterWorker c -> !c.reserve().isEmpty() ? 33 : c.tasks().isEmpty() ? 5 : 23;
      case WorkerHeartbeat c -> 6;
      case DeregisterWorker c -> 7;
      case LeaseJobs c ->
          c.strategy() != LeaseStrategy.PRIORITY ? 25 : c.tasks().isEmpty() ? 8 : 24;
      case AssignJob c -> 9;
      case AcknowledgeAssignment c -> 10;
      case HeartbeatJob c -> 11;
      case CompleteJob c -> 12;
      case FailJob c -> 13;
      case ReleaseJob c -> 14;
      case Tick c -> 15;
      case SetQueuePaused c -> 16;
      case SetQueueConcurrency c -> 17;
      case SetTaskConcurrency c -> 18;
      case PutSchedule c -> keyed(c.spec().template()) ? 32 : 19;
      case SetQueueWeight c -> 26;
      case SetQueueRate c -> 27;
      case SetTaskRate c -> 28;
      case SetQueueFairness c -> 29;
      case SetSchedulePaused c -> 20;
      case DeleteSchedule c -> 21;
      case RunJobNow c -> 22;
    };
  }

  public static Command decode(DataInput in) throws IOException {
    int format = in.readUnsignedByte();
    if (format != FORMAT && format != FORMAT_1) {
      throw new IOException(
          "unknown command format "
              + format
              + "; this build reads formats 1"
              + " to "
              + FORMAT
              + " (was the log written by a newer Hourglass?)");
    }
    int tag = in.readUnsignedByte();
    long at = in.readLong();
    return switch (tag) {
      case 1 -> new SubmitJob(at, readSpec(in, format));
      case 2 -> {
        int n = Bytes.readSize(in);
        List<JobSpec> specs = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
          specs.add(readSpec(in, format));
        }
        yield new SubmitJobs(at, specs);
      }
      case 3 -> new CancelJob(at, readString(in), readString(in));
      case 4 -> new RedriveJob(at, readString(in));
      case 5 ->
          new RegisterWorker(at, readString(in), in.readInt(), readStrings(in), in.readLong());
      case 6 -> new WorkerHeartbeat(at, readString(in));
      case 7 -> new DeregisterWorker(at, readString(in));
      case 8 -> new LeaseJobs(at, readString(in), in.readInt(), readStrings(in), in.readLong());
      case 9 -> new AssignJob(at, readString(in), readString(in), in.readInt(), in.readLong());
      case 10 -> new AcknowledgeAssignment(at, readString(in), readString(in), in.readInt());
      case 11 -> new HeartbeatJob(at, readString(in), readString(in), in.readInt(), in.readLong());
      case 12 -> new CompleteJob(at, readString(in), readString(in), in.readInt(), readString(in));
      case 13 ->
          new FailJob(
              at, readString(in), readString(in), in.readInt(), readString(in), in.readBoolean());
      case 14 -> new ReleaseJob(at, readString(in), readString(in), in.readInt());
      case 15 -> new Tick(at);
      case 16 -> new SetQueuePaused(at, readString(in), in.readBoolean());
      case 17 -> new SetQueueConcurrency(at, readString(in), in.readInt());
      case 18 -> new SetTaskConcurrency(at, readString(in), in.readInt());
      case 19 -> new PutSchedule(at, readSchedule(in, format));
      case 20 -> new SetSchedulePaused(at, readString(in), in.readBoolean());
      case 21 -> new DeleteSchedule(at, readString(in));
      case 22 -> new RunJobNow(at, readString(in));
      case 23 ->
          new RegisterWorker(
              at,
              readString(in),
              in.readInt(),
              readStrings(in),
              in.readLong(),
              nonEmpty(readStrings(in), tag));
      case 24 ->
          new LeaseJobs(
              at,
              readString(in),
              in.readInt(),
              readStrings(in),
              in.readLong(),
              nonEmpty(readStrings(in), tag));
      case 25 ->
          new LeaseJobs(
              at,
              readString(in),
              in.readInt(),
              readStrings(in),
              in.readLong(),
              readStrings(in),
              strategy(in));
      case 26 -> new SetQueueWeight(at, readString(in), in.readInt());
      case 27 -> new SetQueueRate(at, readString(in), readRate(in));
      case 28 -> new SetTaskRate(at, readString(in), readRate(in));
      case 29 -> new SetQueueFairness(at, readString(in), in.readBoolean(), readKeyWeights(in));
      case 30 -> new SubmitJob(at, readSpec(in, format, true));
      case 31 -> {
        int n = Bytes.readSize(in);
        List<JobSpec> specs = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
          specs.add(readSpec(in, format, true));
        }
        yield new SubmitJobs(at, specs);
      }
      case 32 -> new PutSchedule(at, readSchedule(in, format, true));
      case 33 ->
          new RegisterWorker(
              at,
              readString(in),
              in.readInt(),
              readStrings(in),
              in.readLong(),
              readStrings(in),
              readKeyWeights(in));
      default -> throw new IOException("corrupt command record: unknown command tag " + tag);
    };
  }

  /** Tags 23 and 24 exist only for a non-empty task set; an empty one is written as 5 or 8. */
  private static List<String> nonEmpty(List<String> tasks, int tag) throws IOException {
    if (tasks.isEmpty()) {
      throw new IOException("corrupt command record: tag " + tag + " with an empty task set");
    }
    return tasks;
  }

  private static void writeLeaseRef(DataOutput out, String jobId, String workerId, int generation)
      throws IOException {
    writeString(out, jobId);
    writeString(out, workerId);
    out.writeInt(generation);
  }

  private static boolean keyed(JobSpec s) {
    return s != null && s.fairnessKey() != null;
  }

  private static boolean keyed(List<JobSpec> specs) {
    for (JobSpec s : specs) {
      if (keyed(s)) {
        return true;
      }
    }
    return false;
  }

  private static LeaseStrategy strategy(DataInput in) throws IOException {
    LeaseStrategy s = enumAt(LeaseStrategy.values(), in.readUnsignedByte());
    if (s == LeaseStrategy.PRIORITY) {
      throw new IOException("corrupt command record: tag 25 with the default strategy");
    }
    return s;
  }

  private static void writeRate(DataOutput out, RateLimit r) throws IOException {
    out.writeLong(r.milliPerSecond());
    out.writeInt(r.burst());
  }

  private static RateLimit readRate(DataInput in) throws IOException {
    return new RateLimit(in.readLong(), in.readInt());
  }

  private static void writeIntMap(DataOutput out, Map<String, Integer> map) throws IOException {
    out.writeInt(map.size());
    for (var e : map.entrySet()) {
      writeString(out, e.getKey());
      out.writeInt(e.getValue());
    }
  }

  private static Map<String, Integer> readKeyWeights(DataInput in) throws IOException {
    int n = Bytes.readSize(in);
    Map<String, Integer> weights = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      weights.put(readString(in), in.readInt());
    }
    return weights;
  }

  /** A spec, with its fairness key after the other fields when {@code keyed}. */
  public static void writeSpec(DataOutput out, JobSpec s, boolean keyed) throws IOException {
    writeSpec(out, s);
    if (keyed) {
      writeString(out, s.fairnessKey());
    }
  }

  /** Reads a spec written in {@code format}, with its fairness key after it when {@code keyed}. */
  public static JobSpec readSpec(DataInput in, int format, boolean keyed) throws IOException {
    JobSpec s = readSpec(in, format);
    return keyed ? s.withFairnessKey(readString(in)) : s;
  }

  public static void writeSpec(DataOutput out, JobSpec s) throws IOException {
    writeString(out, s.jobId());
    writeString(out, s.queue());
    writeString(out, s.task());
    writeString(out, s.payload());
    out.writeInt(s.priority());
    out.writeLong(s.deadlineMillis());
    out.writeLong(s.runAtMillis());
    writeStrings(out, s.dependsOn());
    out.writeInt(s.maxAttempts());
    writeBackoff(out, s.backoff());
    out.writeLong(s.timeoutMillis());
    writeString(out, s.idempotencyKey());
    writeTrace(out, s.trace());
  }

  /** Reads a spec written in {@code format} (a spec of format 1 has no trace context). */
  public static JobSpec readSpec(DataInput in, int format) throws IOException {
    JobSpec spec =
        new JobSpec(
            readString(in),
            readString(in),
            readString(in),
            readString(in),
            in.readInt(),
            in.readLong(),
            in.readLong(),
            readStrings(in),
            in.readInt(),
            readBackoff(in),
            in.readLong(),
            readString(in),
            null,
            null);
    if (format == FORMAT_1) {
      return spec;
    }
    TraceContext trace = readTrace(in, spec.jobId());
    return trace == null ? spec : spec.withTrace(trace);
  }

  /** A trace context as two strings, {@code traceparent} and {@code tracestate}; none: nulls. */
  public static void writeTrace(DataOutput out, TraceContext t) throws IOException {
    writeString(out, t == null ? null : t.traceparent());
    writeString(out, t == null ? null : t.tracestate());
  }

  /** Reads what {@link #writeTrace} wrote; {@code jobId} names the job in the message. */
  public static TraceContext readTrace(DataInput in, String jobId) throws IOException {
    String traceparent = readString(in);
    String tracestate = readString(in);
    if (traceparent == null && tracestate != null) {
      throw new IOException(
          "corrupt record: job " + jobId + " has a tracestate without a" + " traceparent");
    }
    return traceparent == null ? null : new TraceContext(traceparent, tracestate);
  }

  public static void writeBackoff(DataOutput out, Backoff b) throws IOException {
    out.writeLong(b.baseMillis());
    out.writeLong(b.capMillis());
    out.writeBoolean(b.jitter());
  }

  public static Backoff readBackoff(DataInput in) throws IOException {
    long base = in.readLong();
    long cap = in.readLong();
    boolean jitter = in.readBoolean();
    if (base < 0 || cap < 0) {
      throw new IOException("corrupt record: negative backoff base=" + base + " cap=" + cap);
    }
    return Backoff.of(base, cap, jitter);
  }

  public static void writeSchedule(DataOutput out, ScheduleSpec s) throws IOException {
    writeSchedule(out, s, false);
  }

  /** A schedule, its template's fairness key included when {@code keyed}. */
  public static void writeSchedule(DataOutput out, ScheduleSpec s, boolean keyed)
      throws IOException {
    writeString(out, s.scheduleId());
    writeString(out, s.cron());
    writeString(out, s.timeZone());
    writeSpec(out, s.template(), keyed);
    out.writeByte(s.overlap().ordinal());
    out.writeByte(s.catchUp().ordinal());
    out.writeLong(s.catchUpWindowMillis());
  }

  /** Reads a schedule whose template was written in command {@code format}. */
  public static ScheduleSpec readSchedule(DataInput in, int format) throws IOException {
    return readSchedule(in, format, false);
  }

  /** Reads a schedule, its template's fairness key included when {@code keyed}. */
  public static ScheduleSpec readSchedule(DataInput in, int format, boolean keyed)
      throws IOException {
    String id = readString(in);
    String cron = readString(in);
    String zone = readString(in);
    JobSpec template = readSpec(in, format, keyed);
    ScheduleSpec.Overlap overlap = enumAt(ScheduleSpec.Overlap.values(), in.readUnsignedByte());
    ScheduleSpec.CatchUp catchUp = enumAt(ScheduleSpec.CatchUp.values(), in.readUnsignedByte());
    return new ScheduleSpec(id, cron, zone, template, overlap, catchUp, in.readLong());
  }

  public static <E extends Enum<E>> E enumAt(E[] values, int ordinal) throws IOException {
    if (ordinal >= values.length) {
      throw new IOException(
          "corrupt record: ordinal "
              + ordinal
              + " outside "
              + values[0].getDeclaringClass().getSimpleName());
    }
    return values[ordinal];
  }
}
