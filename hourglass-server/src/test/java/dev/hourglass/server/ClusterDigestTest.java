package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.cluster.Peer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: the state digest of a replica (applied index + checksum of the whole engine) is an
 * admin-only call of its own, never part of the status any reader polls, and it follows the state.
 */
class ClusterDigestTest {
  static final String TOKENS =
      "client:client-secret-1, worker:worker-secret-1, admin:admin-secret-1";

  @TempDir Path dir;
  HourglassServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void digestIsAdminOnlyFollowsTheStateAndIsNotPartOfTheStatus() throws Exception {
    List<Peer> peers = Peer.freeOnLoopback(1);
    var replication = Replication.of(peers.get(0).id(), peers, Map.of());
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("data"))
                .withPort(0)
                .withAuth(Auth.parse(TOKENS))
                .withReplication(replication));
    var anonymous = new HttpTestClient(server.uri());
    var client = anonymous.withToken("client-secret-1");
    var admin = anonymous.withToken("admin-secret-1");
    // A group of one elects itself after an election timeout; until then writes get 503.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.post("/api/v1/jobs", "{\"task\":\"t\"}").status() == 201);

    assertThat(anonymous.get("/api/v1/cluster/digest").status()).isEqualTo(401);
    var forbidden = client.get("/api/v1/cluster/digest");
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(forbidden.str("code")).isEqualTo("FORBIDDEN");
    // The old query parameter is ignored: the status any reader polls never serialises the engine.
    JsonNode status = client.get("/api/v1/cluster?digest=true").body();
    assertThat(status.get("mode").asText()).isEqualTo("cluster");
    assertThat(status.has("digest")).isFalse();

    JsonNode first = admin.get("/api/v1/cluster/digest").body();
    assertThat(first.get("node_id").asText()).isEqualTo(peers.get(0).id());
    assertThat(first.get("applied_index").asLong()).isPositive();
    assertThat(first.get("applied_term").asLong()).isPositive();
    assertThat(first.get("state_crc32c").asText()).matches("[0-9a-f]{8}");
    assertThat(first.get("state_bytes").asLong()).isPositive();
    // Idle, the same state gives the same digest.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> admin.get("/api/v1/cluster/digest").body(),
            again -> again.equals(admin.get("/api/v1/cluster/digest").body()));

    JsonNode before = admin.get("/api/v1/cluster/digest").body();
    assertThat(client.post("/api/v1/jobs", "{\"task\":\"t\"}").status()).isEqualTo(201);
    JsonNode after = admin.get("/api/v1/cluster/digest").body();
    assertThat(after.get("applied_index").asLong())
        .isGreaterThan(before.get("applied_index").asLong());
    assertThat(after.get("state_crc32c").asText())
        .isNotEqualTo(before.get("state_crc32c").asText());
    assertThat(after.get("state_bytes").asLong()).isGreaterThan(before.get("state_bytes").asLong());
  }

  @Test
  void aSingleNodeHasNoDigestToCompare() throws Exception {
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("single")).withPort(0).withAuth(Auth.parse(TOKENS)));
    var admin = new HttpTestClient(server.uri()).withToken("admin-secret-1");
    var reply = admin.get("/api/v1/cluster/digest");
    assertThat(reply.status()).isEqualTo(404);
    assertThat(reply.str("code")).isEqualTo("NOT_FOUND");
  }
}
