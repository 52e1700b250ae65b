package dev.hourglass.core.codec;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Primitive encodings shared by the command and snapshot codecs. Strings are length-prefixed UTF-8
 * (not {@code writeUTF}, which is limited to 64 KiB and is not standard UTF-8), with length -1 for
 * null.
 */
public final class Bytes {
  /** Bounds a decoded string; larger means a corrupt or hostile record, not a real job. */
  public static final int STRING_BYTES_MAX = 64 << 20;

  /** Bounds a decoded list length for the same reason. */
  public static final int LIST_SIZE_MAX = 10_000_000;

  private Bytes() {}

  public static void writeString(DataOutput out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    if (out instanceof FastDataOutput fast) {
      fast.writeLengthPrefixedUtf8(s);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  public static String readString(DataInput in) throws IOException {
    int n = in.readInt();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > STRING_BYTES_MAX) {
      throw new IOException(
          "corrupt record: string length " + n + " outside [0, " + STRING_BYTES_MAX + "]");
    }
    if (in instanceof FastDataInput fast) {
      return fast.readUtf8(n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  public static void writeStrings(DataOutput out, List<String> list) throws IOException {
    out.writeInt(list.size());
    for (String s : list) {
      writeString(out, s);
    }
  }

  public static List<String> readStrings(DataInput in) throws IOException {
    int n = readSize(in);
    List<String> list = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      list.add(readString(in));
    }
    return List.copyOf(list);
  }

  public static int readSize(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > LIST_SIZE_MAX) {
      throw new IOException("corrupt record: size " + n + " outside [0, " + LIST_SIZE_MAX + "]");
    }
    return n;
  }
}
