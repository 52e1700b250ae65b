package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The stage report splits each job's wait into its steps exactly, and its tail column reads the
 * jobs that waited longest in all, so a step that is slow only for those shows there.
 */
class StagesTest {
  private static final int JOBS = 1_000;

  @Test
  void splitsEachWaitIntoItsStepsAndReadsTheTailOfTheSlowestJobs() {
    Stages stages = new Stages(JOBS);
    long[] planned = new long[JOBS];
    long[] started = new long[JOBS];
    for (int i = 0; i < JOBS; i++) {
      planned[i] = 1_000_000L + 100L * i;
      // Every job: 5 µs to be handed over, 7 to run, 300 to be granted, 20 to start; the last ten
      // jobs (the slowest 1 %) wait 4,000 µs more for their grant.
      long handed = planned[i] + 5;
      long submitting = handed + 7;
      long granted = submitting + 300 + (i >= JOBS - 10 ? 4_000 : 0);
      stages.mark(Stages.Step.HANDED, i, handed);
      stages.mark(Stages.Step.SUBMITTING, i, submitting);
      stages.mark(Stages.Step.GRANTED, i, granted);
      started[i] = granted + 20;
    }
    stages.commitTook(200_000);
    stages.commitTook(400_000);

    String report = stages.report("sys", planned, started);

    assertThat(report)
        .contains("over 1,000 jobs; mean over the slowest 10")
        .containsPattern("planned -> handed .* 5 / +5 / +5; slowest +5\\n")
        .containsPattern("handed to a submitter -> submitting .* 7 / +7 / +7; slowest +7\\n")
        // Nearest rank, as in the latency tables: p99 is the 990th of 1,000, the last fast grant;
        // p99.9 the 999th, a slow one. The slowest ten are exactly the slow grants.
        .containsPattern("submitting -> granted .* 300 / +300 / +4300; slowest +4300\\n")
        .containsPattern("granted -> started .* 20 / +20 / +20; slowest +20\\n")
        .contains(
            "group commits (apply, append, fdatasync): 2, each p50 / p99 / p99.9 200 / 400 / 400"
                + " µs, longest 400 µs");
  }

  @Test
  void aSystemThatDoesNotReportAStepHasItFoldedIntoTheNext() {
    Stages stages = new Stages(JOBS);
    long[] planned = new long[JOBS];
    long[] started = new long[JOBS];
    for (int i = 0; i < JOBS; i++) {
      stages.mark(Stages.Step.HANDED, i, planned[i] + 1);
      stages.mark(Stages.Step.SUBMITTING, i, planned[i] + 2);
      started[i] = planned[i] + 50;
    }

    String report = stages.report("sys", planned, started);

    assertThat(report)
        .doesNotContain("-> granted")
        .doesNotContain("group commits")
        .containsPattern("submitting -> started .* 48 / +48 / +48; slowest +48\\n");
  }

  @Test
  void saysSoInsteadOfSplittingWhenAJobDidNotStart() {
    Stages stages = new Stages(2);
    String report = stages.report("sys", new long[] {0, 0}, new long[] {10, -1});

    assertThat(report).isEqualTo("stages of sys: not shown, as 1 of 2 jobs did not start\n");
  }
}
