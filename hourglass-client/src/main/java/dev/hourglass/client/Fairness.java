package dev.hourglass.client;

import java.util.Locale;

/** How a queue serves its jobs' fairness keys ({@link HourglassClient#setQueueFairness}). */
public enum Fairness {
  /** No fairness: the queue's jobs in priority order, whatever their keys (the default). */
  NONE,
  /** The keys with ready jobs in turn, one job (or the key's weight) per turn. */
  ROUND_ROBIN;

  /** The most keys a queue names weights for. */
  public static final int KEY_WEIGHTS_MAX = 1_000;

  /** The highest weight of a key: its jobs per turn. */
  public static final int KEY_WEIGHT_MAX = 1_000;

  /**
   * The name the HTTP API uses.
   *
   * @return the lower-case name, e.g. {@code round_robin}
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
