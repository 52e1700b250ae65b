package dev.hourglass.core.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Succeeded jobs kept as bytes instead of objects, in the order they finished.
 *
 * <p>Why: a finished job is kept for its retention (a day and up to a million jobs by default) only
 * to be shown and to refuse its id a second time. As objects (the job, its id and payload, its
 * attempt, its map entry) each one is copied by young collections until it is tenured: at ten
 * thousand jobs a second the pauses grow to tens of milliseconds within seconds, and the jobs that
 * are running wait them out. As records in a few arrays of a megabyte they cost the collector next
 * to nothing.
 *
 * <p>A record is the job as the engine snapshot writes it ({@link EngineSnapshot#writeJob}), plus
 * its fairness key, behind a header of its own. Records arrive in finish order and leave in finish
 * order (retention and the cap both evict the oldest finished job first), so the store is a queue
 * of chunks: appended at the tail, released whole from the head. A job taken back out as an object
 * ({@link #remove}) leaves its record behind as a tombstone until the head passes it.
 *
 * <p>Ids are found through an open-addressing table of (hash, position). The hash is keyed per
 * process: job ids come from clients, and ids crafted to collide would make linear probing linear
 * in the table. The key changes only where records sit in the table, never what the engine decides,
 * so replay and replicas stay deterministic. Not thread-safe.
 */
final class ArchivedJobs {
  private static final int CHUNK_BITS = 20;
  private static final int CHUNK_BYTES = 1 << CHUNK_BITS;

  /** A job whose record is larger stays an object: a chunk should hold a few records at least. */
  static final int RECORD_BYTES_MAX = CHUNK_BYTES / 4;

  // Header: length (whole record), flags, seq, finish time, id hash.
  private static final int AT_FLAGS = 4;
  private static final int AT_SEQ = 5;
  private static final int AT_FINISHED = 13;
  private static final int AT_HASH = 21;
  private static final int HEADER_BYTES = 29;
  private static final byte TOMBSTONE = 1;

  private static final long HASH_KEY = new SecureRandom().nextLong();

  /** Chunk number {@code baseChunk + i} is {@code chunks[i]}; released chunks are null. */
  private byte[][] chunks = new byte[4][];

  private long baseChunk;

  /** Position of the oldest record (live or tombstone); equal to {@link #tail} when empty. */
  private long head;

  /** Where the next record goes. */
  private long tail;

  private int live;

  private long[] hashes = new long[16];

  /** Record position + 1 per slot; 0 is an empty slot. */
  private long[] positions = new long[16];

  private final RecordBuffer buffer = new RecordBuffer();

  int size() {
    return live;
  }

  boolean isEmpty() {
    return live == 0;
  }

  /** Chunks allocated and not yet released: what the store costs, a megabyte each. */
  int chunksHeld() {
    int held = 0;
    for (byte[] c : chunks) {
      held += c == null ? 0 : 1;
    }
    return held;
  }

  /**
   * Stores a finished job; returns its record's position, or -1 when the record would be too large
   * (the caller keeps the object).
   */
  long add(Job job) {
    buffer.reset();
    try {
      DataOutputStream out = buffer.data;
      out.writeInt(0); // length, patched below
      out.writeByte(0);
      out.writeLong(job.seq);
      out.writeLong(job.dueAtMillis);
      long hash = hash(job.id);
      out.writeLong(hash);
      EngineSnapshot.writeJob(out, job);
      dev.hourglass.core.codec.Bytes.writeString(out, job.fairnessKey);
      int length = buffer.size();
      if (length > RECORD_BYTES_MAX) {
        return -1;
      }
      buffer.patchInt(0, length);
      long at = reserve(length);
      System.arraycopy(buffer.bytes(), 0, chunk(at), offset(at), length);
      tail = at + length;
      insert(hash, at);
      live++;
      return at;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen writing to memory", e);
    } finally {
      buffer.dropIfLarge();
    }
  }

  /** The position of the job's record, or -1 when it is not here. */
  long find(String id) {
    if (live == 0) {
      return -1;
    }
    long hash = hash(id);
    int mask = hashes.length - 1;
    for (int i = (int) hash & mask; positions[i] != 0; i = (i + 1) & mask) {
      if (hashes[i] == hash && idAt(positions[i] - 1).equals(id)) {
        return positions[i] - 1;
      }
    }
    return -1;
  }

  /** The job at {@code at}, as a new object detached from the store. */
  Job read(long at) {
    byte[] c = chunk(at);
    int off = offset(at);
    var in =
        new DataInputStream(
            new ByteArrayInputStream(c, off + HEADER_BYTES, intAt(c, off) - HEADER_BYTES));
    try {
      Job job = EngineSnapshot.readJob(in, EngineSnapshot.FORMAT);
      job.fairnessKey = dev.hourglass.core.codec.Bytes.readString(in);
      return job;
    } catch (IOException e) {
      throw new AssertionError("invariant violated: archived record at " + at + " unreadable", e);
    }
  }

  long seqAt(long at) {
    return longAt(chunk(at), offset(at) + AT_SEQ);
  }

  long finishedAtMillis(long at) {
    return longAt(chunk(at), offset(at) + AT_FINISHED);
  }

  /** Takes a job out that is not the oldest (it goes back to being an object): a tombstone. */
  void remove(long at) {
    byte[] c = chunk(at);
    int off = offset(at);
    Invariants.check(c[off + AT_FLAGS] != TOMBSTONE, "archived record at %d removed twice", at);
    c[off + AT_FLAGS] = TOMBSTONE;
    unindex(longAt(c, off + AT_HASH), at);
    live--;
  }

  /**
   * Evicts the oldest live record, which must be the one at {@code at}: the engine evicts finished
   * jobs in the order they finished, the same order they were stored in.
   */
  void evictOldest(long at) {
    skipTombstones();
    Invariants.check(
        head == at, "evicting archived record at %d but the oldest is at %d", at, head);
    byte[] c = chunk(at);
    int off = offset(at);
    unindex(longAt(c, off + AT_HASH), at);
    live--;
    head = at + intAt(c, off);
    skipTombstones();
  }

  // ---------------------------------------------------------------------------------------------
  // The chunk queue

  private long reserve(int length) {
    long at = tail;
    if (offset(at) + length > CHUNK_BYTES) {
      at = (chunkNumber(at) + 1) << CHUNK_BITS; // the rest of the chunk stays zero: unused
    }
    int index = (int) (chunkNumber(at) - baseChunk);
    if (index >= chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
    }
    if (chunks[index] == null) {
      chunks[index] = new byte[CHUNK_BYTES];
    }
    if (head == tail && live == 0) {
      head = at; // nothing older is kept: the store restarts where this record goes
      releaseBelow(chunkNumber(at));
    }
    return at;
  }

  /** Moves the head past tombstones and unused chunk tails, releasing chunks it leaves. */
  private void skipTombstones() {
    while (head != tail) {
      int off = offset(head);
      byte[] c = chunk(head);
      if (off + HEADER_BYTES > CHUNK_BYTES || intAt(c, off) == 0) {
        head = (chunkNumber(head) + 1) << CHUNK_BITS;
        releaseBelow(chunkNumber(head));
        continue;
      }
      if (c[off + AT_FLAGS] != TOMBSTONE) {
        return;
      }
      head += intAt(c, off);
    }
    releaseBelow(chunkNumber(head));
  }

  private void releaseBelow(long chunkNumber) {
    int drop = (int) Math.min(chunks.length, chunkNumber - baseChunk);
    if (drop <= 0) {
      return;
    }
    // Shift the directory so chunk numbers keep mapping to indexes from zero; a few entries.
    chunks = Arrays.copyOfRange(chunks, drop, Math.max(drop + 4, chunks.length));
    baseChunk += drop;
  }

  private byte[] chunk(long at) {
    return chunks[(int) (chunkNumber(at) - baseChunk)];
  }

  private static long chunkNumber(long at) {
    return at >>> CHUNK_BITS;
  }

  private static int offset(long at) {
    return (int) (at & (CHUNK_BYTES - 1));
  }

  private String idAt(long at) {
    byte[] c = chunk(at);
    int off = offset(at) + HEADER_BYTES;
    return new String(c, off + 4, intAt(c, off), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // The id table: linear probing, at most half full, deletion by backward shift (no tombstones).

  private void insert(long hash, long at) {
    if (2 * (live + 1) > hashes.length) {
      resize(hashes.length * 2);
    }
    int mask = hashes.length - 1;
    int i = (int) hash & mask;
    while (positions[i] != 0) {
      i = (i + 1) & mask;
    }
    hashes[i] = hash;
    positions[i] = at + 1;
  }

  private void unindex(long hash, long at) {
    int mask = hashes.length - 1;
    int i = (int) hash & mask;
    while (positions[i] != at + 1) {
      Invariants.check(positions[i] != 0, "archived record at %d is not in the id table", at);
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the same probe run into the hole.
    int hole = i;
    for (int j = (hole + 1) & mask; positions[j] != 0; j = (j + 1) & mask) {
      int home = (int) hashes[j] & mask;
      boolean movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (movable) {
        hashes[hole] = hashes[j];
        positions[hole] = positions[j];
        hole = j;
      }
    }
    positions[hole] = 0;
    hashes[hole] = 0;
  }

  private void resize(int capacity) {
    long[] oldHashes = hashes;
    long[] oldPositions = positions;
    hashes = new long[capacity];
    positions = new long[capacity];
    int mask = capacity - 1;
    for (int k = 0; k < oldPositions.length; k++) {
      if (oldPositions[k] != 0) {
        int i = (int) oldHashes[k] & mask;
        while (positions[i] != 0) {
          i = (i + 1) & mask;
        }
        hashes[i] = oldHashes[k];
        positions[i] = oldPositions[k];
      }
    }
  }

  /** A keyed hash of the id's characters, mixed so that its low bits are usable as an index. */
  static long hash(String id) {
    long h = HASH_KEY ^ id.length();
    for (int i = 0; i < id.length(); i++) {
      h = (h ^ id.charAt(i)) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 32;
    }
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }

  private static int intAt(byte[] c, int off) {
    return (c[off] & 0xFF) << 24
        | (c[off + 1] & 0xFF) << 16
        | (c[off + 2] & 0xFF) << 8
        | (c[off + 3] & 0xFF);
  }

  private static long longAt(byte[] c, int off) {
    return (long) intAt(c, off) << 32 | (intAt(c, off + 4) & 0xFFFFFFFFL);
  }

  /** A reusable encoding buffer whose bytes can be copied out without a copy of their own. */
  private static final class RecordBuffer extends ByteArrayOutputStream {
    private static final int RETAINED_BYTES_MAX = 64 << 10;
    final DataOutputStream data = new DataOutputStream(this);

    RecordBuffer() {
      super(512);
    }

    byte[] bytes() {
      return buf;
    }

    void patchInt(int at, int value) {
      buf[at] = (byte) (value >>> 24);
      buf[at + 1] = (byte) (value >>> 16);
      buf[at + 2] = (byte) (value >>> 8);
      buf[at + 3] = (byte) value;
    }

    void dropIfLarge() {
      if (buf.length > RETAINED_BYTES_MAX) {
        buf = new byte[512];
        count = 0;
      }
    }
  }
}
