package dev.hourglass.client;

/**
 * Filters and paging for {@link HourglassClient#jobs(JobQuery)}. Immutable; each wither returns a
 * copy.
 *
 * @param state only jobs in this state, or null for any
 * @param queue only jobs of this queue, or null
 * @param task only jobs of this task type, or null
 * @param limit page size, 1 to 1000
 * @param cursor the previous page's next cursor, or null for the first page
 */
public record JobQuery(JobState state, String queue, String task, int limit, String cursor) {
  /** The server's default and this query's default page size. */
  public static final int LIMIT_DEFAULT = 100;

  /** The server's largest page. */
  public static final int LIMIT_MAX = 1000;

  /**
   * Checks the page size.
   *
   * @throws IllegalArgumentException if limit is outside [1, 1000]
   */
  public JobQuery {
    if (limit < 1 || limit > LIMIT_MAX) {
      throw new IllegalArgumentException(
          "limit=" + limit + " is outside [1, " + LIMIT_MAX + "]; follow nextCursor for more");
    }
  }

  /**
   * Every job, first page of 100.
   *
   * @return the query
   */
  public static JobQuery all() {
    return new JobQuery(null, null, null, LIMIT_DEFAULT, null);
  }

  /**
   * Only jobs in this state.
   *
   * @param s the state, or null for any
   * @return a copy
   */
  public JobQuery withState(JobState s) {
    return new JobQuery(s, queue, task, limit, cursor);
  }

  /**
   * Only jobs of this queue.
   *
   * @param q the queue, or null for any
   * @return a copy
   */
  public JobQuery withQueue(String q) {
    return new JobQuery(state, q, task, limit, cursor);
  }

  /**
   * Only jobs of this task type.
   *
   * @param t the task type, or null for any
   * @return a copy
   */
  public JobQuery withTask(String t) {
    return new JobQuery(state, queue, t, limit, cursor);
  }

  /**
   * Another page size.
   *
   * @param n 1 to 1000
   * @return a copy
   * @throws IllegalArgumentException if n is outside [1, 1000]
   */
  public JobQuery withLimit(int n) {
    return new JobQuery(state, queue, task, n, cursor);
  }

  /**
   * The page after the one that returned this cursor.
   *
   * @param c a {@link JobPage#nextCursor()}, or null for the first page
   * @return a copy
   */
  public JobQuery withCursor(String c) {
    return new JobQuery(state, queue, task, limit, c);
  }
}
