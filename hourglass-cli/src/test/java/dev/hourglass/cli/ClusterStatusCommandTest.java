package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.cluster.Peer;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.Replication;
import dev.hourglass.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hourglass cluster status} of a replica with partitions: one row per partition. */
class ClusterStatusCommandTest {
  @TempDir Path dir;
  HourglassServer server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void everyPartitionShowsItsLeaderTermAndLag() throws Exception {
    Peer self = Peer.freeOnLoopback(1).get(0);
    server =
        HourglassServer.start(
            ServerOptions.of(dir)
                .withPort(0)
                .withPartitions(2)
                .withReplication(Replication.of(self.id(), List.of(self), Map.of())));
    String url = server.uri().toString();
    try (var client = HourglassClient.builder(url).build()) {
      await().atMost(Duration.ofSeconds(60)).until(client::ready);
    }
    Run r = Run.against(url, "cluster", "status");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("PARTITION")
        .contains("LAG BY MEMBER")
        .containsPattern("(?m)^0 +" + self.id() + " +\\d+ +\\d+ +" + self.id() + "=0")
        .containsPattern("(?m)^1 +" + self.id() + " +\\d+ +\\d+ +" + self.id() + "=0");
  }
}
