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
import dev.hourglass.core.command.Command.RunJobNow;
import dev.hourglass.core.command.Command.ReleaseJob;
import dev.hourglass.core.command.Command.SetQueueConcurrency;
import dev.hourglass.core.command.Command.SetQueuePaused;
import dev.hourglass.core.command.Command.SetSchedulePaused;
import dev.hourglass.core.command.Command.SetTaskConcurrency;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.Command.WorkerHeartbeat;
import dev.hourglass.core.command.JobSpec;
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
import java.util.List;

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
 * followed by the task names. So logs written before task sets existed read unchanged, and a
 * fleet that names no tasks writes the bytes it always wrote.
 *
 * <p>Format 2 appends the job's trace context to every job spec (in submits and in schedule
 * templates): {@code traceparent} and {@code tracestate} as strings, null when absent. Format 1
 * records are still read, as specs without a trace context.
 */
public final class CommandCodec {
  public static final int FORMAT = 2;
  /** Job specs without a trace context. */
  public static final int FORMAT_1 = 1;

  private CommandCodec() {}

  public static byte[] encode(Command command) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try {
      encode(command, new DataOutputStream(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    }
    return bytes.toByteArray();
  }

  public static Command decode(byte[] record) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(record));
    Command c = decode(in);
    if (in.available() != 0) {
      throw new IOException("corrupt command record: " + in.available() + " trailing bytes after "
          + c.getClass().getSimpleName());
    }
    return c;
  }

  public static void encode(Command command, DataOutput out) throws IOException {
    out.writeByte(FORMAT);
    out.writeByte(tag(command));
    out.writeLong(command.atMillis());
    switch (command) {
      case SubmitJob c -> writeSpec(out, c.spec());
      case SubmitJobs c -> {
        out.writeInt(c.specs().size());
        for (JobSpec spec : c.specs()) {
          writeSpec(out, spec);
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
        if (!c.tasks().isEmpty()) {
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
        if (!c.tasks().isEmpty()) {
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
      case PutSchedule c -> writeSchedule(out, c.spec());
      case SetSchedulePaused c -> {
        writeString(out, c.scheduleId());
        out.writeBoolean(c.paused());
      }
      case DeleteSchedule c -> writeString(out, c.scheduleId());
    }
  }

  private static int tag(Command command) {
    return switch (command) {
      case SubmitJob c -> 1;
      case SubmitJobs c -> 2;
      case CancelJob c -> 3;
      case RedriveJob c -> 4;
      case RegisterWorker c -> c.tasks().isEmpty() ? 5 : 23;
      case WorkerHeartbeat c -> 6;
      case DeregisterWorker c -> 7;
      case LeaseJobs c -> c.tasks().isEmpty() ? 8 : 24;
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
      case PutSchedule c -> 19;
      case SetSchedulePaused c -> 20;
      case DeleteSchedule c -> 21;
      case RunJobNow c -> 22;
    };
  }

  public static Command decode(DataInput in) throws IOException {
    int format = in.readUnsignedByte();
    if (format != FORMAT && format != FORMAT_1) {
      throw new IOException("unknown command format " + format + "; this build reads formats 1"
          + " to " + FORMAT + " (was the log written by a newer Hourglass?)");
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
      case 5 -> new RegisterWorker(at, readString(in), in.readInt(), readStrings(in), in.readLong());
      case 6 -> new WorkerHeartbeat(at, readString(in));
      case 7 -> new DeregisterWorker(at, readString(in));
      case 8 -> new LeaseJobs(at, readString(in), in.readInt(), readStrings(in), in.readLong());
      case 9 -> new AssignJob(at, readString(in), readString(in), in.readInt(), in.readLong());
      case 10 -> new AcknowledgeAssignment(at, readString(in), readString(in), in.readInt());
      case 11 -> new HeartbeatJob(at, readString(in), readString(in), in.readInt(), in.readLong());
      case 12 -> new CompleteJob(at, readString(in), readString(in), in.readInt(), readString(in));
      case 13 -> new FailJob(at, readString(in), readString(in), in.readInt(), readString(in),
          in.readBoolean());
      case 14 -> new ReleaseJob(at, readString(in), readString(in), in.readInt());
      case 15 -> new Tick(at);
      case 16 -> new SetQueuePaused(at, readString(in), in.readBoolean());
      case 17 -> new SetQueueConcurrency(at, readString(in), in.readInt());
      case 18 -> new SetTaskConcurrency(at, readString(in), in.readInt());
      case 19 -> new PutSchedule(at, readSchedule(in, format));
      case 20 -> new SetSchedulePaused(at, readString(in), in.readBoolean());
      case 21 -> new DeleteSchedule(at, readString(in));
      case 22 -> new RunJobNow(at, readString(in));
      case 23 -> new RegisterWorker(at, readString(in), in.readInt(), readStrings(in),
          in.readLong(), nonEmpty(readStrings(in), tag));
      case 24 -> new LeaseJobs(at, readString(in), in.readInt(), readStrings(in), in.readLong(),
          nonEmpty(readStrings(in), tag));
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
    JobSpec spec = new JobSpec(readString(in), readString(in), readString(in), readString(in),
        in.readInt(), in.readLong(), in.readLong(), readStrings(in), in.readInt(),
        readBackoff(in), in.readLong(), readString(in));
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
      throw new IOException("corrupt record: job " + jobId + " has a tracestate without a"
          + " traceparent");
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
    writeString(out, s.scheduleId());
    writeString(out, s.cron());
    writeString(out, s.timeZone());
    writeSpec(out, s.template());
    out.writeByte(s.overlap().ordinal());
    out.writeByte(s.catchUp().ordinal());
    out.writeLong(s.catchUpWindowMillis());
  }

  /** Reads a schedule whose template was written in command {@code format}. */
  public static ScheduleSpec readSchedule(DataInput in, int format) throws IOException {
    String id = readString(in);
    String cron = readString(in);
    String zone = readString(in);
    JobSpec template = readSpec(in, format);
    ScheduleSpec.Overlap overlap = enumAt(ScheduleSpec.Overlap.values(), in.readUnsignedByte());
    ScheduleSpec.CatchUp catchUp = enumAt(ScheduleSpec.CatchUp.values(), in.readUnsignedByte());
    return new ScheduleSpec(id, cron, zone, template, overlap, catchUp, in.readLong());
  }

  public static <E extends Enum<E>> E enumAt(E[] values, int ordinal) throws IOException {
    if (ordinal >= values.length) {
      throw new IOException("corrupt record: ordinal " + ordinal + " outside "
          + values[0].getDeclaringClass().getSimpleName());
    }
    return values[ordinal];
  }
}
