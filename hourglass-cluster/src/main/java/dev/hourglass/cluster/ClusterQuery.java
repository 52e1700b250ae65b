package dev.hourglass.cluster;

import static dev.hourglass.core.codec.Bytes.readSize;
import static dev.hourglass.core.codec.Bytes.readString;
import static dev.hourglass.core.codec.Bytes.readStrings;
import static dev.hourglass.core.codec.Bytes.writeString;
import static dev.hourglass.core.codec.Bytes.writeStrings;

import dev.hourglass.core.view.JobState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Read-only requests that a process outside the replica (an admin tool, a test, the benchmark)
 * sends through Ratis {@code sendReadOnly} (linearizable, on the leader) or {@code sendStaleRead}
 * (any replica, once it applied at least a given index). The HTTP server, which runs inside the
 * replica, reads through {@link ReplicatedEngine#read} instead. Stateless and thread-safe.
 */
public final class ClusterQuery {
  private static final int STATUS = 1;
  private static final int JOB_STATES = 2;
  /** Bounds the ids in one JOB_STATES request, so that one query cannot hold the engine long. */
  public static final int JOB_IDS_MAX = 100_000;

  private ClusterQuery() {}

  /** What a replica has applied, and a checksum of its whole engine state. */
  public record Status(long lastAppliedIndex, long jobsHeld, Map<JobState, Long> counts,
      long stateCrc) {}

  public static byte[] statusRequest() {
    return new byte[] {STATUS};
  }

  public static byte[] jobStatesRequest(List<String> jobIds) {
    if (jobIds.size() > JOB_IDS_MAX) {
      throw new IllegalArgumentException("too many ids: " + jobIds.size() + " max=" + JOB_IDS_MAX);
    }
    return write(out -> {
      out.writeByte(JOB_STATES);
      writeStrings(out, jobIds);
    });
  }

  static byte[] answer(byte[] request, HourglassStateMachine sm) throws IOException {
    var in = new DataInputStream(new ByteArrayInputStream(request));
    int op = in.readUnsignedByte();
    return switch (op) {
      case STATUS -> {
        var digest = sm.digest();
        Map<JobState, Long> counts = sm.read(q -> new EnumMap<>(q.countsByState()));
        long held = sm.read(q -> (long) q.jobsHeld());
        yield write(out -> {
          out.writeLong(digest.appliedIndex());
          out.writeLong(held);
          out.writeLong(digest.crc32c());
          out.writeInt(counts.size());
          for (var e : counts.entrySet()) {
            writeString(out, e.getKey().name());
            out.writeLong(e.getValue());
          }
        });
      }
      case JOB_STATES -> {
        List<String> ids = readStrings(in);
        List<String> states = sm.read(q -> {
          List<String> s = new ArrayList<>(ids.size());
          for (String id : ids) {
            JobState st = q.state(id);
            s.add(st == null ? null : st.name());
          }
          return s;
        });
        yield write(out -> writeStrings(out, states));
      }
      default -> throw new IOException("unknown cluster query op=" + op);
    };
  }

  public static Status decodeStatus(byte[] reply) throws IOException {
    var in = new DataInputStream(new ByteArrayInputStream(reply));
    long applied = in.readLong();
    long held = in.readLong();
    long crc = in.readLong();
    int n = readSize(in);
    Map<JobState, Long> counts = new EnumMap<>(JobState.class);
    for (int i = 0; i < n; i++) {
      counts.put(JobState.valueOf(readString(in)), in.readLong());
    }
    return new Status(applied, held, counts, crc);
  }

  /** One state per requested id, in order; null where the replica has no such job. */
  public static List<JobState> decodeJobStates(byte[] reply) throws IOException {
    List<String> names = readStrings(new DataInputStream(new ByteArrayInputStream(reply)));
    List<JobState> states = new ArrayList<>(names.size());
    for (String n : names) {
      states.add(n == null ? null : JobState.valueOf(n));
    }
    return states;
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] write(Writer w) {
    var bytes = new ByteArrayOutputStream();
    try {
      w.write(new DataOutputStream(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    }
    return bytes.toByteArray();
  }
}
