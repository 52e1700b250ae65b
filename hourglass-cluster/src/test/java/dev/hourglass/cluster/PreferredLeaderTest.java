package dev.hourglass.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.cluster.StuckFollowers.Observation;
import org.junit.jupiter.api.Test;

/**
 * Goal: leadership goes back to the preferred member only once it answers and has stayed caught up
 * for a while; never while it is down, replaying far behind, or just back; and at most once per
 * cooldown.
 */
class PreferredLeaderTest {
  private final PreferredLeader preferred = new PreferredLeader(5_000, 1_000, 1_000, 30_000);

  @Test
  void aPreferredMemberThatStaysCaughtUpGetsLeadershipBackAfterTheWindow() {
    assertThat(preferred.observe(0, 10_000, new Observation("s1", 9_990, 100))).isFalse();
    assertThat(preferred.observe(4_999, 12_000, new Observation("s1", 11_500, 100))).isFalse();
    assertThat(preferred.observe(5_000, 12_100, new Observation("s1", 12_090, 100))).isTrue();
  }

  @Test
  void aMemberThatIsDownFarBehindOrSelfNeverGetsIt() {
    for (long t = 0; t <= 60_000; t += 1_000) {
      assertThat(preferred.observe(t, 10_000, new Observation("s1", 9_990, 5_000))).isFalse();
      assertThat(preferred.observe(t, 10_000, new Observation("s1", 2_000, 100))).isFalse();
      assertThat(preferred.observe(t, 10_000, null)).isFalse();
    }
  }

  @Test
  void fallingBehindOrSilentRestartsTheWindow() {
    preferred.observe(0, 10_000, new Observation("s1", 9_990, 100));
    preferred.observe(4_000, 10_000, new Observation("s1", 8_000, 100)); // 2,000 behind
    assertThat(preferred.observe(6_000, 10_000, new Observation("s1", 9_990, 100))).isFalse();
    assertThat(preferred.observe(10_999, 10_000, new Observation("s1", 9_990, 100))).isFalse();
    assertThat(preferred.observe(11_000, 10_000, new Observation("s1", 9_990, 100))).isTrue();
  }

  @Test
  void aTransferIsStartedAtMostOncePerCooldown() {
    preferred.observe(0, 10_000, new Observation("s1", 9_990, 100));
    assertThat(preferred.observe(5_000, 10_000, new Observation("s1", 9_990, 100))).isTrue();
    // The transfer did not happen (this replica still leads): wait out the cooldown.
    for (long t = 6_000; t < 35_000; t += 1_000) {
      assertThat(preferred.observe(t, 10_000, new Observation("s1", 9_990, 100))).isFalse();
    }
    assertThat(preferred.observe(35_000, 10_000, new Observation("s1", 9_990, 100))).isTrue();
  }
}
