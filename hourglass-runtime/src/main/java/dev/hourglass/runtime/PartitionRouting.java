package dev.hourglass.runtime;

import java.nio.charset.StandardCharsets;

/**
 * Where a job, a schedule or a key lives among a fixed number of partitions: a pure function of the
 * id or key and the partition count, the same in every process and every release (changing it would
 * strand every job of an existing data directory), so any call finds its partition without a lookup
 * table.
 *
 * <p>Implementation notes.
 *
 * <p><b>The hash.</b> {@code partition(key, n) = jump(mix(fnv1a64(utf8(key))), n)}: FNV-1a 64 over
 * the key's UTF-8 bytes (offset basis {@code 0xcbf29ce484222325}, prime {@code 0x100000001b3}),
 * then MurmurHash3's 64-bit finalizer ({@code fmix64}), so that keys differing only in their last
 * character spread over all partitions, then Lamping and Veach's jump consistent hash ("A Fast,
 * Minimal Memory, Consistent Hash Algorithm", 2014). Both are a few lines written here, so no
 * library upgrade can change the mapping.
 *
 * <p><b>The routing key of an id.</b> An id is routed by a prefix of itself: the part before its
 * first {@code ~} when it has one after its first character ({@code order-7~charge} and {@code
 * order-7~ship} share the partition of the key {@code order-7}); else, for a cron firing {@code
 * <schedule_id>@<digits>}, its schedule id's routing key (a firing lives with its schedule); else
 * the whole id. So a job submitted with {@code partition_key: "order-7"} and a client-chosen id
 * must have an id that routes there ({@code order-7~...}), and ids the server generates are drawn
 * until they route to the partition chosen for the job.
 *
 * <p>Stateless and thread-safe.
 */
public final class PartitionRouting {
  private PartitionRouting() {}

  /**
   * The most partitions a node runs. Why: each partition is an apply thread, a log with its own
   * fsync stream and an engine; far beyond the cores of one machine, more only costs.
   */
  public static final int PARTITIONS_MAX = 256;

  /** The separator that ends an id's routing prefix. */
  public static final char ROUTING_SEPARATOR = '~';

  /** The partition of {@code key} among {@code partitions}: jump(mix(FNV-1a 64 of its UTF-8)). */
  public static int partitionOfKey(String key, int partitions) {
    checkCount(partitions);
    return partitions == 1 ? 0 : jump(hash(key), partitions);
  }

  /** The partition of a job or schedule id among {@code partitions}, by its routing key. */
  public static int partitionOfId(String id, int partitions) {
    checkCount(partitions);
    return partitions == 1 ? 0 : jump(hash(routingKey(id)), partitions);
  }

  /**
   * The part of an id that decides its partition: the prefix before the first {@code ~} (at an
   * index above 0), else a cron firing's schedule id's routing key, else the id.
   */
  public static String routingKey(String id) {
    int sep = id.indexOf(ROUTING_SEPARATOR);
    if (sep > 0) {
      return id.substring(0, sep);
    }
    String key = id;
    for (int at = firingSeparator(key); at > 0; at = firingSeparator(key)) {
      key = key.substring(0, at);
    }
    return key;
  }

  /** The index of the {@code @} of {@code <schedule_id>@<1 to 19 digits>}, or -1. */
  private static int firingSeparator(String id) {
    int at = id.lastIndexOf('@');
    int digits = id.length() - at - 1;
    if (at <= 0 || digits < 1 || digits > 19) {
      return -1;
    }
    for (int i = at + 1; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return at;
  }

  /** FNV-1a 64 over the UTF-8 bytes, then MurmurHash3's fmix64 finalizer. */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** Jump consistent hash: a bucket in [0, buckets) for a 64-bit key. */
  static int jump(long key, int buckets) {
    long b = -1;
    long j = 0;
    while (j < buckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  private static void checkCount(int partitions) {
    if (partitions < 1 || partitions > PARTITIONS_MAX) {
      throw new IllegalArgumentException(
          "partitions=" + partitions + " is outside [1, " + PARTITIONS_MAX + "]");
    }
  }
}
