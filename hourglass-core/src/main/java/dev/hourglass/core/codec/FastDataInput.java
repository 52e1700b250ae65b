package dev.hourglass.core.codec;

import java.io.DataInput;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A buffered {@link DataInput} over a stream, without the per-byte locking of {@code
 * DataInputStream} over {@code BufferedInputStream} (each {@code readInt} there is four
 * synchronized reads). Reading a ten-million-job snapshot is dominated by this difference.
 * Big-endian, like {@code DataInputStream}. Not thread-safe.
 */
public final class FastDataInput implements DataInput {
  private final InputStream in;
  private final byte[] buf;
  private int pos;
  private int limit;

  public FastDataInput(InputStream in, int bufferBytes) {
    this.in = in;
    this.buf = new byte[bufferBytes];
  }

  private void require(int n) throws IOException {
    if (limit - pos >= n) {
      return;
    }
    System.arraycopy(buf, pos, buf, 0, limit - pos);
    limit -= pos;
    pos = 0;
    while (limit < n) {
      int read = in.read(buf, limit, buf.length - limit);
      if (read < 0) {
        throw new EOFException("snapshot ends early: needed " + n + " more bytes");
      }
      limit += read;
    }
  }

  @Override
  public void readFully(byte[] b) throws IOException {
    readFully(b, 0, b.length);
  }

  @Override
  public void readFully(byte[] b, int off, int len) throws IOException {
    int buffered = Math.min(len, limit - pos);
    System.arraycopy(buf, pos, b, off, buffered);
    pos += buffered;
    int done = buffered;
    while (done < len) {
      int read = in.read(b, off + done, len - done);
      if (read < 0) {
        throw new EOFException("snapshot ends early inside a " + len + "-byte field");
      }
      done += read;
    }
  }

  @Override
  public int skipBytes(int n) throws IOException {
    readFully(new byte[n]);
    return n;
  }

  @Override
  public boolean readBoolean() throws IOException {
    return readByte() != 0;
  }

  @Override
  public byte readByte() throws IOException {
    require(1);
    return buf[pos++];
  }

  @Override
  public int readUnsignedByte() throws IOException {
    return readByte() & 0xFF;
  }

  @Override
  public short readShort() throws IOException {
    require(2);
    short v = (short) (((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF));
    pos += 2;
    return v;
  }

  @Override
  public int readUnsignedShort() throws IOException {
    return readShort() & 0xFFFF;
  }

  @Override
  public char readChar() throws IOException {
    return (char) readShort();
  }

  @Override
  public int readInt() throws IOException {
    require(4);
    int v =
        ((buf[pos] & 0xFF) << 24)
            | ((buf[pos + 1] & 0xFF) << 16)
            | ((buf[pos + 2] & 0xFF) << 8)
            | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  @Override
  public long readLong() throws IOException {
    require(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (buf[pos + i] & 0xFF);
    }
    pos += 8;
    return v;
  }

  @Override
  public float readFloat() throws IOException {
    return Float.intBitsToFloat(readInt());
  }

  @Override
  public double readDouble() throws IOException {
    return Double.longBitsToDouble(readLong());
  }

  /** Reads {@code n} bytes as UTF-8 straight from the buffer when they fit. */
  String readUtf8(int n) throws IOException {
    if (n <= buf.length) {
      require(n);
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }
    byte[] b = new byte[n];
    readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public String readLine() {
    throw new UnsupportedOperationException("snapshots hold no text lines");
  }

  @Override
  public String readUTF() {
    throw new UnsupportedOperationException("snapshots use length-prefixed UTF-8 (Bytes)");
  }
}
