package dev.hourglass.core.codec;

import java.io.DataOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A buffered {@link DataOutput} over a stream, without the per-byte locking of {@code
 * DataOutputStream} over {@code BufferedOutputStream}. Big-endian. Call {@link #flush} at the end.
 * Not thread-safe.
 */
public final class FastDataOutput implements DataOutput {
  private final OutputStream out;
  private final byte[] buf;
  private int pos;

  public FastDataOutput(OutputStream out, int bufferBytes) {
    this.out = out;
    this.buf = new byte[bufferBytes];
  }

  private void room(int n) throws IOException {
    if (buf.length - pos < n) {
      flushBuffer();
    }
  }

  private void flushBuffer() throws IOException {
    out.write(buf, 0, pos);
    pos = 0;
  }

  public void flush() throws IOException {
    flushBuffer();
    out.flush();
  }

  @Override
  public void write(int b) throws IOException {
    room(1);
    buf[pos++] = (byte) b;
  }

  @Override
  public void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len > buf.length - pos) {
      flushBuffer();
      if (len > buf.length) {
        out.write(b, off, len);
        return;
      }
    }
    System.arraycopy(b, off, buf, pos, len);
    pos += len;
  }

  @Override
  public void writeBoolean(boolean v) throws IOException {
    write(v ? 1 : 0);
  }

  @Override
  public void writeByte(int v) throws IOException {
    write(v);
  }

  @Override
  public void writeShort(int v) throws IOException {
    room(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
  }

  @Override
  public void writeChar(int v) throws IOException {
    writeShort(v);
  }

  @Override
  public void writeInt(int v) throws IOException {
    room(4);
    buf[pos++] = (byte) (v >>> 24);
    buf[pos++] = (byte) (v >>> 16);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
  }

  @Override
  public void writeLong(long v) throws IOException {
    room(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buf[pos++] = (byte) (v >>> shift);
    }
  }

  @Override
  public void writeFloat(float v) throws IOException {
    writeInt(Float.floatToIntBits(v));
  }

  @Override
  public void writeDouble(double v) throws IOException {
    writeLong(Double.doubleToLongBits(v));
  }

  /**
   * {@code s} as {@link Bytes#writeString} writes it (length, then UTF-8), an ASCII string straight
   * into the buffer: ids, queue and task names are ASCII, and this spares their byte arrays.
   */
  void writeLengthPrefixedUtf8(String s) throws IOException {
    int n = s.length();
    if (n <= buf.length - 4 && isAscii(s)) {
      room(4 + n);
      writeInt(n);
      for (int i = 0; i < n; i++) {
        buf[pos++] = (byte) s.charAt(i);
      }
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeInt(b.length);
    write(b);
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void writeBytes(String s) {
    throw new UnsupportedOperationException("use Bytes.writeString (length-prefixed UTF-8)");
  }

  @Override
  public void writeChars(String s) {
    throw new UnsupportedOperationException("use Bytes.writeString (length-prefixed UTF-8)");
  }

  @Override
  public void writeUTF(String s) {
    throw new UnsupportedOperationException("use Bytes.writeString (length-prefixed UTF-8)");
  }
}
