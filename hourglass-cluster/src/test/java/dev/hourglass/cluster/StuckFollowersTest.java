package dev.hourglass.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.cluster.StuckFollowers.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal: the leader hands over leadership only for a follower that answers and yet has not caught up
 * for a while; never for one that is down, one that is moving, or one that is caught up; and at
 * most once per cooldown.
 */
class StuckFollowersTest {
  private final StuckFollowers stuck = new StuckFollowers(10_000, 10_000, 60_000);

  @Test
  void aFollowerThatAnswersButWhoseMatchIndexStaysBehindIsStuckAfterTheThreshold() {
    assertThat(stuck.observe(0, 1_342, List.of(new Observation("s2", 1_064, 200)))).isEmpty();
    assertThat(stuck.observe(9_999, 1_400, List.of(new Observation("s2", 1_064, 5_000)))).isEmpty();
    assertThat(stuck.observe(10_000, 1_450, List.of(new Observation("s2", 1_064, 5_000))))
        .containsExactly("s2");
  }

  @Test
  void aFollowerThatIsDownIsNeverStuck() {
    stuck.observe(0, 1_342, List.of(new Observation("s2", 1_064, 200)));
    assertThat(stuck.observe(30_000, 2_000, List.of(new Observation("s2", 1_064, 30_200))))
        .isEmpty();
  }

  @Test
  void aSlowFollowerWhoseMatchIndexMovesIsNotStuck() {
    for (int second = 0; second <= 60; second++) {
      assertThat(
              stuck.observe(
                  second * 1_000L, 100_000, List.of(new Observation("s2", second * 100L, 100))))
          .isEmpty();
    }
  }

  @Test
  void aCaughtUpFollowerIsNotStuckHoweverLongNothingIsWritten() {
    stuck.observe(0, 500, List.of(new Observation("s2", 500, 100)));
    assertThat(stuck.observe(120_000, 500, List.of(new Observation("s2", 500, 100)))).isEmpty();
  }

  @Test
  void aCaughtUpFollowerOneFreshEntryBehindAfterAQuietSpellIsNotStuck() {
    stuck.observe(0, 500, List.of(new Observation("s2", 500, 100)));
    // Nothing written for a minute, then one entry the follower has not acknowledged yet.
    assertThat(stuck.observe(60_000, 501, List.of(new Observation("s2", 500, 100)))).isEmpty();
    assertThat(stuck.observe(61_000, 502, List.of(new Observation("s2", 502, 100)))).isEmpty();
  }

  @Test
  void aFollowerThatWasDownIsTimedFromWhenItAnswersAgain() {
    stuck.observe(0, 1_000, List.of(new Observation("s2", 900, 200)));
    stuck.observe(5_000, 1_500, List.of(new Observation("s2", 900, 5_200)));
    assertThat(stuck.observe(30_000, 3_000, List.of(new Observation("s2", 900, 30_200))))
        .as("down")
        .isEmpty();
    assertThat(stuck.observe(31_000, 3_100, List.of(new Observation("s2", 900, 100))))
        .as("answering again: a fresh count starts")
        .isEmpty();
    assertThat(stuck.observe(40_000, 3_900, List.of(new Observation("s2", 900, 100)))).isEmpty();
    assertThat(stuck.observe(41_000, 4_000, List.of(new Observation("s2", 900, 100))))
        .containsExactly("s2");
  }

  @Test
  void afterActingItWaitsACooldownAndThenAFreshThreshold() {
    stuck.observe(0, 1_342, List.of(new Observation("s2", 1_064, 200)));
    assertThat(stuck.observe(10_000, 1_342, List.of(new Observation("s2", 1_064, 200))))
        .containsExactly("s2");
    stuck.acted(10_000);
    assertThat(stuck.observe(30_000, 1_342, List.of(new Observation("s2", 1_064, 200))))
        .as("within the cooldown")
        .isEmpty();
    assertThat(stuck.observe(70_000, 1_342, List.of(new Observation("s2", 1_064, 200))))
        .as("the stall is timed again from the action")
        .containsExactly("s2");
  }

  @Test
  void leadershipLostForgetsWhatWasSeen() {
    stuck.observe(0, 1_342, List.of(new Observation("s2", 1_064, 200)));
    stuck.reset();
    assertThat(stuck.observe(10_000, 1_342, List.of(new Observation("s2", 1_064, 200))))
        .as("the stall is timed from the first observation after the reset")
        .isEmpty();
  }
}
