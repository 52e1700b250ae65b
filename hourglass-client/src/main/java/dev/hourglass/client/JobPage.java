package dev.hourglass.client;

import java.util.List;

/**
 * One page of a job listing, newest first.
 *
 * @param jobs the jobs on this page (possibly fewer than the limit even when more follow)
 * @param nextCursor pass to {@link JobQuery#cursor} for the next page; null at the end
 */
public record JobPage(List<Job> jobs, String nextCursor) {}
