package dev.hourglass.cluster;

import static dev.hourglass.core.codec.Bytes.readSize;
import static dev.hourglass.core.codec.Bytes.readString;
import static dev.hourglass.core.codec.Bytes.writeString;

import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.FiringSkipped;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Event.JobEvicted;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.event.Event.ScheduleFired;
import dev.hourglass.core.event.Event.WorkerDied;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
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
 * The reply to one committed entry, sent by the leader's applier back to the proposer: the Raft
 * term and index at which the entry committed, then one outcome per command.
 *
 * <p>Every event is carried, not only the ones a worker needs (LeaseGranted, JobDeduplicated): the
 * server wakes long polls and counts metrics from the same outcomes it got from the single-node
 * {@code DurableEngine}, so the integration changes nothing downstream. Enum values travel by name,
 * so reordering an enum cannot silently change a decoded reply. Only the leader encodes replies
 * (followers have no one to answer). Stateless and thread-safe.
 */
public final class ReplyCodec {
  public static final int FORMAT = 1;

  private ReplyCodec() {}

  /** An entry's result: where it committed and what each of its commands did. */
  public record Committed(long term, long index, List<Outcome> outcomes) {
    public Committed {
      outcomes = List.copyOf(outcomes);
    }
  }

  public static byte[] encode(Committed c) {
    var bytes = new ByteArrayOutputStream(64 + 32 * c.outcomes().size());
    var out = new DataOutputStream(bytes);
    try {
      out.writeByte(FORMAT);
      out.writeLong(c.term());
      out.writeLong(c.index());
      out.writeInt(c.outcomes().size());
      for (Outcome o : c.outcomes()) {
        writeOutcome(out, o);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    }
    return bytes.toByteArray();
  }

  public static Committed decode(byte[] reply) throws IOException {
    var in = new DataInputStream(new ByteArrayInputStream(reply));
    int format = in.readUnsignedByte();
    if (format != FORMAT) {
      throw new IOException("unknown reply format=" + format + " expected=" + FORMAT);
    }
    long term = in.readLong();
    long index = in.readLong();
    int n = readSize(in);
    List<Outcome> outcomes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      outcomes.add(readOutcome(in));
    }
    if (in.available() != 0) {
      throw new IOException("corrupt reply: " + in.available() + " trailing bytes");
    }
    return new Committed(term, index, outcomes);
  }

  private static void writeOutcome(DataOutput out, Outcome o) throws IOException {
    switch (o) {
      case Applied a -> {
        out.writeByte(1);
        out.writeInt(a.events().size());
        for (Event e : a.events()) {
          writeEvent(out, e);
        }
      }
      case Rejected r -> {
        out.writeByte(0);
        writeString(out, r.code().name());
        writeString(out, r.detail());
        Assignment x = r.existing();
        out.writeBoolean(x != null);
        if (x != null) {
          writeString(out, x.jobId());
          writeString(out, x.workerId());
          out.writeInt(x.generation());
        }
      }
    }
  }

  private static Outcome readOutcome(DataInput in) throws IOException {
    int kind = in.readUnsignedByte();
    if (kind == 1) {
      int n = readSize(in);
      if (n == 0) {
        return Applied.NOTHING;
      }
      List<Event> events = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        events.add(readEvent(in));
      }
      return new Applied(events);
    }
    if (kind != 0) {
      throw new IOException("corrupt reply: outcome kind=" + kind);
    }
    ErrorCode code = ErrorCode.valueOf(readString(in));
    String detail = readString(in);
    Assignment existing =
        in.readBoolean() ? new Assignment(readString(in), readString(in), in.readInt()) : null;
    return new Rejected(code, detail, existing);
  }

  private static void writeEvent(DataOutput out, Event e) throws IOException {
    switch (e) {
      case JobTransitioned t -> {
        out.writeByte(1);
        writeString(out, t.jobId());
        writeString(out, t.from() == null ? null : t.from().name());
        writeString(out, t.to().name());
        writeString(out, t.reason());
        writeString(out, t.queue());
        writeString(out, t.task());
      }
      case JobDeduplicated d -> {
        out.writeByte(2);
        writeString(out, d.jobId());
        writeString(out, d.idempotencyKey());
      }
      case LeaseGranted g -> {
        out.writeByte(3);
        writeString(out, g.jobId());
        writeString(out, g.workerId());
        out.writeInt(g.generation());
        out.writeLong(g.leaseExpiresAtMillis());
        writeString(out, g.task());
      }
      case LeaseLost l -> {
        out.writeByte(4);
        writeString(out, l.jobId());
        writeString(out, l.workerId());
        out.writeInt(l.generation());
        writeString(out, l.cause());
        writeString(out, l.reason().name());
      }
      case WorkerDied w -> {
        out.writeByte(5);
        writeString(out, w.workerId());
        out.writeInt(w.leasesReclaimed());
      }
      case ScheduleFired f -> {
        out.writeByte(6);
        writeString(out, f.scheduleId());
        out.writeLong(f.fireAtMillis());
        writeString(out, f.jobId());
      }
      case FiringSkipped s -> {
        out.writeByte(7);
        writeString(out, s.scheduleId());
        out.writeLong(s.fireAtMillis());
        writeString(out, s.reason());
      }
      case JobEvicted v -> {
        out.writeByte(8);
        writeString(out, v.jobId());
      }
    }
  }

  private static Event readEvent(DataInput in) throws IOException {
    int tag = in.readUnsignedByte();
    return switch (tag) {
      case 1 -> {
        String job = readString(in);
        String from = readString(in);
        yield new JobTransitioned(
            job,
            from == null ? null : JobState.valueOf(from),
            JobState.valueOf(readString(in)),
            readString(in),
            readString(in),
            readString(in));
      }
      case 2 -> new JobDeduplicated(readString(in), readString(in));
      case 3 ->
          new LeaseGranted(
              readString(in), readString(in), in.readInt(), in.readLong(), readString(in));
      case 4 ->
          new LeaseLost(
              readString(in),
              readString(in),
              in.readInt(),
              readString(in),
              LeaseLost.Reason.valueOf(readString(in)));
      case 5 -> new WorkerDied(readString(in), in.readInt());
      case 6 -> new ScheduleFired(readString(in), in.readLong(), readString(in));
      case 7 -> new FiringSkipped(readString(in), in.readLong(), readString(in));
      case 8 -> new JobEvicted(readString(in));
      default -> throw new IOException("corrupt reply: event tag=" + tag);
    };
  }
}
