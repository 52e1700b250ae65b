package dev.hourglass.wal;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes.
 *
 * File: snapshot-<lsn, 20 digits>.snap, written as <name>.tmp, forced, atomically renamed, and the
 * directory forced. A reader therefore sees either no file or a complete one; the checksums guard
 * against media damage, not against partial writes.
 *
 * Layout (big-endian): header 24 bytes = magic u32 "HGSN" | version u16 | flags u16 | lsn u64 |
 * reserved u32 (0) | crc32c u32 of bytes 0..19; body n bytes; trailer 16 bytes = body length u64
 * | crc32c u32 of the body | magic u32 "HGSE". The length and CRC go in a trailer because the body
 * is streamed: neither is known until it has been written.
 *
 * Loading verifies the header, that the header LSN matches the file name, that the trailer length
 * matches the file size, and the body CRC. If the newest file fails any check it is skipped with a
 * WARN and the next older one is tried: a snapshot is only an optimization over replaying the log,
 * provided the log still holds the records after the older snapshot. Compaction must therefore
 * never delete records newer than the OLDEST retained snapshot's LSN if that fallback should work;
 * the integrator chooses (see docs/WAL_FORMAT.md).
 */

/**
 * Writes and loads snapshots: opaque bodies tagged with the last LSN they cover.
 *
 * <p>Thread-safety: {@link #write} calls must not run concurrently with each other (the server has
 * one snapshotting thread); {@link #loadNewestValid} may run concurrently with a write and sees
 * either the old or the new newest snapshot.
 */
public final class SnapshotStore {
  private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);

  static final int MAGIC = 0x4847534E; // "HGSN"
  static final int TRAILER_MAGIC = 0x48475345; // "HGSE"
  static final short VERSION = 1;
  static final int HEADER_BYTES = 24;
  static final int TRAILER_BYTES = 16;
  static final String PREFIX = "snapshot-";
  static final String SUFFIX = ".snap";

  /** Why 2: the newest may turn out corrupt on load; one older valid snapshot is the fallback. */
  public static final int RETAIN_DEFAULT = 2;

  /**
   * Why: {@link LoadedSnapshot} holds the body as one byte[]; Java arrays stop just below 2 GiB.
   * Use {@link #newestValid()} and stream {@link VerifiedSnapshot#openBody()} for larger bodies.
   */
  public static final long LOADED_BODY_BYTES_MAX = Integer.MAX_VALUE - 8;

  /** Why 64 KiB: large sequential writes for a GB-sized body with a small, fixed buffer. */
  private static final int WRITE_BUFFER_BYTES = 64 << 10;

  private final Path dir;
  private final int retain;

  /** A store keeping the newest {@link #RETAIN_DEFAULT} snapshots in {@code dir}. */
  public SnapshotStore(Path dir) {
    this(dir, RETAIN_DEFAULT);
  }

  /**
   * @param retain how many newest snapshots to keep after each write, at least 1
   */
  public SnapshotStore(Path dir, int retain) {
    this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    if (retain < 1) {
      throw new IllegalArgumentException(
          "invalid snapshot retention: retain=" + retain + " bound=[1, )");
    }
    this.retain = retain;
  }

  /** A snapshot file whose checksums were verified; the body is streamed on demand. */
  public record VerifiedSnapshot(long lsn, Path file, long bodyBytes) {
    /** Opens the body (without header and trailer). The caller closes the stream. */
    public InputStream openBody() throws IOException {
      var ch = FileChannel.open(file, StandardOpenOption.READ);
      ch.position(HEADER_BYTES);
      return new BoundedInputStream(Channels.newInputStream(ch), bodyBytes);
    }
  }

  /**
   * Writes a snapshot covering records up to {@code lsn}, atomically and durably, then deletes all
   * but the newest {@code retain} snapshots.
   *
   * @throws IOException if writing fails; no partial snapshot becomes visible
   */
  public void write(long lsn, SnapshotBody body) throws IOException {
    if (lsn < 0) {
      throw new IllegalArgumentException("invalid snapshot lsn: lsn=" + lsn + " bound=[0, )");
    }
    Objects.requireNonNull(body, "body");
    Files.createDirectories(dir);
    var target = dir.resolve(fileName(lsn));
    var temp = dir.resolve(fileName(lsn) + ".tmp");
    long started = System.nanoTime();
    long bodyBytes;
    try (var ch =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      SegmentFormat.writeFully(ch, header(lsn), 0);
      ch.position(HEADER_BYTES);
      var counting =
          new ChecksummingOutputStream(
              new BufferedOutputStream(Channels.newOutputStream(ch), WRITE_BUFFER_BYTES));
      body.writeTo(counting);
      counting.flush();
      bodyBytes = counting.count;
      var trailer = ByteBuffer.allocate(TRAILER_BYTES);
      trailer.putLong(bodyBytes).putInt((int) counting.crc.getValue()).putInt(TRAILER_MAGIC).flip();
      SegmentFormat.writeFully(ch, trailer, HEADER_BYTES + bodyBytes);
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    SegmentFormat.forceDirectory(dir);
    log.info(
        "snapshot written: file={} lsn={} bodyBytes={} durationMillis={}",
        target,
        lsn,
        bodyBytes,
        (System.nanoTime() - started) / 1_000_000);
    prune();
  }

  /**
   * Loads the newest snapshot that passes verification, falling back to older ones (WARN per
   * skipped file).
   *
   * @throws WalException if the newest valid body exceeds {@link #LOADED_BODY_BYTES_MAX}
   */
  public Optional<LoadedSnapshot> loadNewestValid() throws IOException {
    var found = newestValid();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    var snapshot = found.get();
    if (snapshot.bodyBytes() > LOADED_BODY_BYTES_MAX) {
      throw new WalException(
          "snapshot too large to load into memory: file=%s bodyBytes=%d bound=%d; use newestValid().openBody() to stream it"
              .formatted(snapshot.file(), snapshot.bodyBytes(), LOADED_BODY_BYTES_MAX));
    }
    byte[] body;
    try (var in = snapshot.openBody()) {
      body = in.readAllBytes();
    }
    // The file was verified a moment ago; a mismatch now means it changed under us.
    var crc = new CRC32C();
    crc.update(body);
    if (body.length != snapshot.bodyBytes() || (int) crc.getValue() != storedBodyCrc(snapshot)) {
      throw new WalException(
          "snapshot changed while loading: file=" + snapshot.file() + "; retry the load");
    }
    return Optional.of(new LoadedSnapshot(snapshot.lsn(), body, snapshot.file()));
  }

  /** Like {@link #loadNewestValid()} but verifies by streaming and leaves the body on disk. */
  public Optional<VerifiedSnapshot> newestValid() throws IOException {
    for (var file : listNewestFirst()) {
      String problem;
      VerifiedSnapshot verified = null;
      try {
        verified = verify(file);
        problem = null;
      } catch (NoSuchFileException e) {
        continue; // pruned by a concurrent write
      } catch (InvalidSnapshot e) {
        problem = e.getMessage();
      }
      if (problem == null) {
        return Optional.of(verified);
      }
      log.warn(
          "snapshot skipped: file={} problem=\"{}\"; falling back to the next older snapshot",
          file,
          problem);
    }
    return Optional.empty();
  }

  /** Snapshot files, newest first. */
  public List<Path> files() throws IOException {
    return listNewestFirst();
  }

  static String fileName(long lsn) {
    return String.format("%s%020d%s", PREFIX, lsn, SUFFIX);
  }

  private static long parseLsn(Path file) {
    var name = file.getFileName().toString();
    if (!name.startsWith(PREFIX)
        || !name.endsWith(SUFFIX)
        || name.length() != PREFIX.length() + 20 + SUFFIX.length()) {
      return -1;
    }
    try {
      return Long.parseLong(name, PREFIX.length(), PREFIX.length() + 20, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static ByteBuffer header(long lsn) {
    var header = ByteBuffer.allocate(HEADER_BYTES);
    header.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(lsn).putInt(0);
    var crc = new CRC32C();
    crc.update(header.array(), 0, 20);
    header.putInt((int) crc.getValue());
    return header.flip();
  }

  /** Thrown internally for a file that fails verification; never escapes this class. */
  private static final class InvalidSnapshot extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidSnapshot(String message) {
      super(message, null, false, false);
    }
  }

  private static VerifiedSnapshot verify(Path file) throws IOException, InvalidSnapshot {
    long nameLsn = parseLsn(file);
    try (var ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER_BYTES + TRAILER_BYTES) {
        throw new InvalidSnapshot(
            "file too short: size=" + size + " minimum=" + (HEADER_BYTES + TRAILER_BYTES));
      }
      var header = ByteBuffer.allocate(HEADER_BYTES);
      readFully(ch, header, 0);
      var crc = new CRC32C();
      crc.update(header.array(), 0, 20);
      if (header.getInt(0) != MAGIC || (int) crc.getValue() != header.getInt(20)) {
        throw new InvalidSnapshot("bad header magic or header checksum");
      }
      if (header.getShort(4) != VERSION) {
        throw new InvalidSnapshot(
            "unknown snapshot version=" + header.getShort(4) + " supported=" + VERSION);
      }
      long lsn = header.getLong(8);
      if (lsn != nameLsn) {
        throw new InvalidSnapshot("header lsn=" + lsn + " does not match file name lsn=" + nameLsn);
      }
      var trailer = ByteBuffer.allocate(TRAILER_BYTES);
      readFully(ch, trailer, size - TRAILER_BYTES);
      long bodyBytes = trailer.getLong(0);
      if (trailer.getInt(12) != TRAILER_MAGIC || bodyBytes != size - HEADER_BYTES - TRAILER_BYTES) {
        throw new InvalidSnapshot(
            "bad trailer: bodyBytes=%d fileSize=%d; file truncated or damaged"
                .formatted(bodyBytes, size));
      }
      long computed = bodyCrc(ch, bodyBytes);
      if ((int) computed != trailer.getInt(8)) {
        throw new InvalidSnapshot(
            "body checksum mismatch: stored=0x%08x computed=0x%08x"
                .formatted(trailer.getInt(8), (int) computed));
      }
      return new VerifiedSnapshot(lsn, file, bodyBytes);
    }
  }

  private static int storedBodyCrc(VerifiedSnapshot snapshot) throws IOException {
    try (var ch = FileChannel.open(snapshot.file(), StandardOpenOption.READ)) {
      var trailer = ByteBuffer.allocate(TRAILER_BYTES);
      readFully(ch, trailer, ch.size() - TRAILER_BYTES);
      return trailer.getInt(8);
    }
  }

  private static long bodyCrc(FileChannel ch, long bodyBytes) throws IOException {
    var crc = new CRC32C();
    var buf = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
    long pos = HEADER_BYTES;
    long end = HEADER_BYTES + bodyBytes;
    while (pos < end) {
      buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of snapshot body at offset " + pos);
      }
      buf.flip();
      crc.update(buf);
      pos += n;
    }
    return crc.getValue();
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at offset " + pos);
      }
      pos += n;
    }
    buf.flip();
  }

  private List<Path> listNewestFirst() throws IOException {
    var files = new ArrayList<Path>();
    if (!Files.isDirectory(dir)) {
      return files;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (var file : stream) {
        if (parseLsn(file) >= 0) {
          files.add(file);
        }
      }
    }
    files.sort(Comparator.comparingLong(SnapshotStore::parseLsn).reversed());
    return files;
  }

  private void prune() throws IOException {
    var files = listNewestFirst();
    for (int i = retain; i < files.size(); i++) {
      Files.deleteIfExists(files.get(i));
      log.info("snapshot deleted: file={} retain={}", files.get(i), retain);
    }
    if (files.size() > retain) {
      SegmentFormat.forceDirectory(dir);
    }
  }

  /** Buffers, counts and checksums the body; ignores close so a body cannot close the file. */
  private static final class ChecksummingOutputStream extends FilterOutputStream {
    final CRC32C crc = new CRC32C();
    long count;

    ChecksummingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      crc.update(b, off, len);
      count += len;
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /** Reads at most {@code remaining} bytes, so callers never see the trailer. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInputStream(InputStream in, long limit) {
      this.in = in;
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
