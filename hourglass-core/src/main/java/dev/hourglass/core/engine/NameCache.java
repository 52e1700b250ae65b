package dev.hourglass.core.engine;

/**
 * Hands out one shared instance of the names that many jobs repeat: queue, task type and fairness
 * key. Each command arrives with its own copy of every name (decoded from a request's JSON or from
 * the log), and a job keeps its names for as long as it is retained, a day by default: without
 * sharing, a million retained jobs of one task type hold a million copies of its name, about 48
 * bytes each, and every young collection copies the new ones again.
 *
 * <p>Direct-mapped by hash and bounded: a name whose slot holds another name replaces it, so a
 * stream of distinct names (every job its own fairness key) costs one array write each and keeps no
 * more than {@link #SLOTS} of them alive. Which instance a job holds is never observable (names are
 * compared with {@code equals}), so the cache is not state: replay and snapshots ignore it. Called
 * only from the engine's thread.
 */
final class NameCache {
  /** Far more than the task types and queues of most deployments; 4 KB of slots. */
  static final int SLOTS = 1024;

  private final String[] slots = new String[SLOTS];

  /** {@code name} or an equal instance handed out before; null stays null. */
  String share(String name) {
    if (name == null) {
      return null;
    }
    int h = name.hashCode();
    int at = (h ^ (h >>> 16)) & (SLOTS - 1);
    String held = slots[at];
    if (name.equals(held)) {
      return held;
    }
    slots[at] = name;
    return name;
  }
}
