package dev.hourglass.core.engine;

import dev.hourglass.core.codec.Bytes;
import dev.hourglass.core.codec.FastDataOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
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
 * <p>A record is a header of its own, the job's fairness key, then the job as the engine snapshot
 * writes it ({@link EngineSnapshot#writeJob}), so that a snapshot copies those bytes as they are.
 * Records arrive in finish order and leave in finish order (retention and the cap both evict the
 * oldest finished job first), so the store is a queue of chunks: appended at the tail, released
 * whole from the head. A job taken back out as an object ({@link #remove}) leaves its record behind
 * as a tombstone until the head passes it.
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

  // Header: length (whole record), flags, finish time, id hash.
  private static final int AT_FLAGS = 4;
  private static final int AT_FINISHED = 5;
  private static final int AT_HASH = 13;
  private static final int HEADER_BYTES = 21;
  private static final byte TOMBSTONE = 1;
  private static final int SPARE_CHUNKS_MAX = 2;

  private static final long HASH_KEY = new SecureRandom().nextLong();

  /** Chunk number {@code baseChunk + i} is {@code chunks[i]}; released chunks are null. */
  private byte[][] chunks = new byte[4][];

  private long baseChunk;

  /**
   * Chunks released at the head, kept for the tail: once retention is full, as many records leave
   * as arrive, and the same chunks go round instead of a megabyte allocated (and copied by young
   * collections until tenured) every few thousand jobs.
   */
  private final ArrayDeque<byte[]> spare = new ArrayDeque<>(SPARE_CHUNKS_MAX);

  /** Position of the oldest record (live or tombstone); equal to {@link #tail} when empty. */
  private long head;

  /** Where the next record goes. */
  private long tail;

  private int live;

  /** The id table: (hash, record position + 1) per slot; see {@link #insert}. */
  private long[] table = new long[32];

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
      FastDataOutput out = buffer.data;
      out.writeInt(0); // the length, set in the chunk once known
      out.writeByte(0);
      out.writeLong(job.dueAtMillis);
      long hash = hash(job.id);
      out.writeLong(hash);
      Bytes.writeString(out, job.fairnessKey);
      EngineSnapshot.writeJob(out, job);
      out.flush();
      int length = buffer.size();
      if (length > RECORD_BYTES_MAX) {
        return -1;
      }
      long at = reserve(length);
      System.arraycopy(buffer.bytes(), 0, chunk(at), offset(at), length);
      writeInt(chunk(at), offset(at), length);
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
    int mask = slots() - 1;
    for (int i = (int) hash & mask; table[2 * i + 1] != 0; i = (i + 1) & mask) {
      if (table[2 * i] == hash && idAt(table[2 * i + 1] - 1).equals(id)) {
        return table[2 * i + 1] - 1;
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
      String fairnessKey = Bytes.readString(in);
      Job job = EngineSnapshot.readJob(in, EngineSnapshot.FORMAT);
      job.fairnessKey = fairnessKey;
      return job;
    } catch (IOException e) {
      throw new AssertionError("invariant violated: archived record at " + at + " unreadable", e);
    }
  }

  /** The job's fields at {@code at}, written as {@link EngineSnapshot#writeJob} writes them. */
  void writeJob(long at, DataOutput out) throws IOException {
    byte[] c = chunk(at);
    int off = offset(at);
    int job = jobOffset(c, off);
    out.write(c, job, off + intAt(c, off) - job);
  }

  String fairnessKeyAt(long at) {
    byte[] c = chunk(at);
    int key = offset(at) + HEADER_BYTES;
    int length = intAt(c, key);
    return length < 0 ? null : new String(c, key + 4, length, StandardCharsets.UTF_8);
  }

  String idAt(long at) {
    byte[] c = chunk(at);
    int id = jobOffset(c, offset(at));
    return new String(c, id + 4, intAt(c, id), StandardCharsets.UTF_8);
  }

  /**
   * The job's queue, read without decoding the rest (the job's id, then its sequence, come first).
   */
  String queueAt(long at) {
    byte[] c = chunk(at);
    int id = jobOffset(c, offset(at));
    int queue = id + 4 + intAt(c, id) + 8;
    return new String(c, queue + 4, intAt(c, queue), StandardCharsets.UTF_8);
  }

  /** Where the job's own bytes start in the record at {@code off}: past the fairness key. */
  private static int jobOffset(byte[] c, int off) {
    int keyLength = intAt(c, off + HEADER_BYTES);
    return off + HEADER_BYTES + 4 + Math.max(0, keyLength);
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
    if (head != at) {
      throw Invariants.violated("evicting archived record at %d but the oldest is at %d", at, head);
    }
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
      if (offset(at) + 4 <= CHUNK_BYTES && offset(at) > 0) {
        writeInt(chunk(at), offset(at), 0); // a zero length: the rest of the chunk is unused
      }
      at = (chunkNumber(at) + 1) << CHUNK_BITS;
    }
    int index = (int) (chunkNumber(at) - baseChunk);
    if (index >= chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
    }
    if (chunks[index] == null) {
      chunks[index] = spare.isEmpty() ? new byte[CHUNK_BYTES] : spare.pop();
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
    for (int i = 0; i < drop; i++) {
      if (chunks[i] != null && spare.size() < SPARE_CHUNKS_MAX) {
        spare.push(chunks[i]);
      }
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

  // ---------------------------------------------------------------------------------------------
  // The id table: linear probing, at most half full, deletion by backward shift (no tombstones).
  // Slot i is table[2i] (the hash) and table[2i + 1] (the record position + 1, 0 for empty): one
  // cache line holds a slot's both halves and its neighbours, so a probe costs one miss.

  private int slots() {
    return table.length >>> 1;
  }

  private void insert(long hash, long at) {
    if (2 * (live + 1) > slots()) {
      resize(slots() * 2);
    }
    int mask = slots() - 1;
    int i = (int) hash & mask;
    while (table[2 * i + 1] != 0) {
      i = (i + 1) & mask;
    }
    table[2 * i] = hash;
    table[2 * i + 1] = at + 1;
  }

  private void unindex(long hash, long at) {
    int mask = slots() - 1;
    int i = (int) hash & mask;
    while (table[2 * i + 1] != at + 1) {
      if (table[2 * i + 1] == 0) {
        throw Invariants.violated("archived record at %d is not in the id table", at);
      }
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the same probe run into the hole.
    int hole = i;
    for (int j = (hole + 1) & mask; table[2 * j + 1] != 0; j = (j + 1) & mask) {
      int home = (int) table[2 * j] & mask;
      boolean movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (movable) {
        table[2 * hole] = table[2 * j];
        table[2 * hole + 1] = table[2 * j + 1];
        hole = j;
      }
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
  }

  private void resize(int slots) {
    long[] old = table;
    table = new long[2 * slots];
    int mask = slots - 1;
    for (int k = 0; k < old.length; k += 2) {
      if (old[k + 1] != 0) {
        int i = (int) old[k] & mask;
        while (table[2 * i + 1] != 0) {
          i = (i + 1) & mask;
        }
        table[2 * i] = old[k];
        table[2 * i + 1] = old[k + 1];
      }
    }
  }

  /** A keyed hash of the id's characters, mixed so that its low bits are usable as an index. */
  static long hash(String id) {
    int n = id.length();
    long h = HASH_KEY ^ n;
    int i = 0;
    for (; i + 4 <= n; i += 4) { // four chars a round: a UUID is nine rounds, not thirty-six
      long block =
          id.charAt(i)
              | (long) id.charAt(i + 1) << 16
              | (long) id.charAt(i + 2) << 32
              | (long) id.charAt(i + 3) << 48;
      h = (h ^ block) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 32;
    }
    for (; i < n; i++) {
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

  private static void writeInt(byte[] c, int off, int value) {
    c[off] = (byte) (value >>> 24);
    c[off + 1] = (byte) (value >>> 16);
    c[off + 2] = (byte) (value >>> 8);
    c[off + 3] = (byte) value;
  }

  private static long longAt(byte[] c, int off) {
    return (long) intAt(c, off) << 32 | (intAt(c, off + 4) & 0xFFFFFFFFL);
  }

  /** A reusable encoding buffer whose bytes can be copied out without a copy of their own. */
  private static final class RecordBuffer extends ByteArrayOutputStream {
    private static final int RETAINED_BYTES_MAX = 64 << 10;
    final FastDataOutput data = new FastDataOutput(this, 4096);

    RecordBuffer() {
      super(512);
    }

    byte[] bytes() {
      return buf;
    }

    void dropIfLarge() {
      if (buf.length > RETAINED_BYTES_MAX) {
        buf = new byte[512];
        count = 0;
      }
    }
  }
}
