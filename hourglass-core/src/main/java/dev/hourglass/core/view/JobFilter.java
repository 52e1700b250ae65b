package dev.hourglass.core.view;

/** What a job listing keeps; a null field matches everything. */
public record JobFilter(JobState state, String queue, String task) {
  public static final JobFilter ALL = new JobFilter(null, null, null);
}
