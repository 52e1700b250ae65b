package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.cluster.Peer;
import dev.hourglass.runtime.PartitionRouting;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a replica with partitions runs one Raft group per partition; on restart it recovers them
 * from its storage (the jobs of every partition are still there); a restart with another partition
 * count, or with partitions over a replica directory without, is refused with what to do; with
 * tokens, partitions need an admin token (replicas present it when they forward).
 */
class ReplicaPartitionsTest {
  @TempDir Path dir;
  HourglassServer server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  /** A one-member group: it leads every partition itself. */
  ServerOptions replica(Path data, Peer self, int partitions) {
    return ServerOptions.of(data)
        .withPort(0)
        .withPartitions(partitions)
        .withReplication(Replication.of(self.id(), List.of(self), Map.of()));
  }

  HttpTestClient readyClient() {
    var http = new HttpTestClient(server.uri());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> http.get("/readyz").status() == 200);
    return http;
  }

  @Test
  void groupsAreRecoveredOnRestartAndTheCountIsFixed() throws Exception {
    Peer self = Peer.freeOnLoopback(1).get(0);
    Path data = dir.resolve("s1");
    server = HourglassServer.start(replica(data, self, 2));
    var http = readyClient();
    Set<Integer> partitions = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      var r = http.post("/api/v1/jobs", "{\"task\":\"t\",\"job_id\":\"j" + i + "\"}");
      assertThat(r.status()).as(r.text()).isEqualTo(201);
      partitions.add(PartitionRouting.partitionOfId("j" + i, 2));
    }
    assertThat(partitions).containsExactlyInAnyOrder(0, 1);
    var cluster = http.get("/api/v1/cluster");
    assertThat(cluster.body().path("partitions")).hasSize(2);
    for (var p : cluster.body().path("partitions")) {
      assertThat(p.path("leader").asText()).isEqualTo(self.id());
      assertThat(p.path("term").asLong()).isPositive();
    }
    server.stop();

    server = HourglassServer.start(replica(data, self, 2));
    http = readyClient();
    for (int i = 0; i < 20; i++) {
      assertThat(http.get("/api/v1/jobs/j" + i).status()).as("j" + i).isEqualTo(200);
    }
    server.stop();
    server = null;

    assertThatThrownBy(() -> HourglassServer.start(replica(data, self, 3)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("holds 2 partitions");

    Path single = dir.resolve("single");
    server = HourglassServer.start(replica(single, self, 1));
    readyClient();
    server.stop();
    server = null;
    assertThatThrownBy(() -> HourglassServer.start(replica(single, self, 2)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("without partitions");
  }

  @Test
  void tokensWithoutAnAdminTokenAreRefused() throws Exception {
    Peer self = Peer.freeOnLoopback(1).get(0);
    var options =
        replica(dir.resolve("s1"), self, 2)
            .withAuth(Auth.parse("client:client-token-1,worker:worker-token-1"));
    assertThatThrownBy(() -> HourglassServer.start(options))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("admin token");
  }
}
