package dev.hourglass.cluster;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.command.Command;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one Raft log entry: a batch of commands applied in order as one unit of replication
 * (one fsync, one round trip, however many commands).
 *
 * <p>Layout (big-endian): {@code byte FORMAT, int count, count x (int length, CommandCodec
 * record)}. Each command keeps the engine's own record format, so the entry codec adds no second
 * encoding of any field and a new command type needs no change here.
 *
 * <p><b>Leader time.</b> A {@link CommandCodec} record is {@code byte format, byte tag, long
 * atMillis, ...}; {@link #restamp} overwrites that long in place with the leader's clock, which is
 * how "time is decided by the leader" is enforced without re-encoding anything. Stateless and
 * thread-safe.
 */
public final class EntryCodec {
  public static final int FORMAT = 1;

  /**
   * Bounds the commands in one entry. The server's group commit produces batches far below this;
   * the bound keeps one entry's apply (and its reply) from stalling the applier for long.
   */
  public static final int COMMANDS_MAX = 100_000;

  /** Bounds one entry's bytes, well below gRPC's default 64 MiB message limit. */
  public static final int ENTRY_BYTES_MAX = 32 << 20;

  private static final int AT_MILLIS_OFFSET = 2;

  private EntryCodec() {}

  public static byte[] encode(List<Command> commands) {
    if (commands.isEmpty() || commands.size() > COMMANDS_MAX) {
      throw new IllegalArgumentException(
          "entry must hold 1.." + COMMANDS_MAX + " commands: count=" + commands.size());
    }
    List<byte[]> records = new ArrayList<>(commands.size());
    int bytes = 5;
    for (Command c : commands) {
      byte[] r = CommandCodec.encode(c);
      records.add(r);
      bytes += 4 + r.length;
    }
    if (bytes > ENTRY_BYTES_MAX) {
      throw new IllegalArgumentException(
          "entry too large: bytes=" + bytes + " max=" + ENTRY_BYTES_MAX + "; split the batch");
    }
    ByteBuffer out = ByteBuffer.allocate(bytes);
    out.put((byte) FORMAT).putInt(records.size());
    for (byte[] r : records) {
      out.putInt(r.length).put(r);
    }
    return out.array();
  }

  /** Decodes and validates an entry; any structural problem is an IOException. */
  public static List<Command> decode(ByteBuffer entry) throws IOException {
    ByteBuffer in = entry.duplicate();
    int count = header(in);
    List<Command> commands = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] r = new byte[recordLength(in)];
      in.get(r);
      commands.add(CommandCodec.decode(r));
    }
    if (in.hasRemaining()) {
      throw new IOException(
          "corrupt entry: " + in.remaining() + " trailing bytes after " + count + " commands");
    }
    return commands;
  }

  /**
   * Overwrites every command's time in the (array-backed, writable) entry with {@code atMillis}.
   *
   * @throws IOException if the entry is not a well-formed batch
   */
  public static void restamp(byte[] entry, long atMillis) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(entry);
    int count = header(in);
    for (int i = 0; i < count; i++) {
      int len = recordLength(in);
      int at = in.position();
      if (len < AT_MILLIS_OFFSET + 8 || entry[at] != CommandCodec.FORMAT) {
        throw new IOException(
            "corrupt entry: command "
                + i
                + " has length="
                + len
                + " format="
                + entry[at]
                + "; expected format "
                + CommandCodec.FORMAT);
      }
      in.putLong(at + AT_MILLIS_OFFSET, atMillis);
      in.position(at + len);
    }
  }

  private static int header(ByteBuffer in) throws IOException {
    if (in.remaining() < 5 || in.get() != FORMAT) {
      throw new IOException(
          "corrupt entry: missing header or unknown format; expected format "
              + FORMAT
              + " bytes="
              + entry(in));
    }
    int count = in.getInt();
    if (count < 1 || count > COMMANDS_MAX) {
      throw new IOException("corrupt entry: count=" + count + " outside [1, " + COMMANDS_MAX + "]");
    }
    return count;
  }

  private static int recordLength(ByteBuffer in) throws IOException {
    if (in.remaining() < 4) {
      throw new IOException("corrupt entry: truncated record length at " + in.position());
    }
    int len = in.getInt();
    if (len < 0 || len > in.remaining()) {
      throw new IOException("corrupt entry: record length=" + len + " remaining=" + in.remaining());
    }
    return len;
  }

  private static int entry(ByteBuffer in) {
    return in.limit();
  }
}
