package dev.hourglass.client;

import java.util.List;

/**
 * One page of the worker listing, ordered by worker id.
 *
 * @param workers the workers on this page
 * @param nextCursor pass to {@link HourglassClient#workers(String, int)} for the next page; null at
 *     the end
 */
public record WorkerPage(List<WorkerInfo> workers, String nextCursor) {
  /** The server's default page size. */
  public static final int LIMIT_DEFAULT = 100;

  /** The server's largest page. */
  public static final int LIMIT_MAX = 1000;
}
