package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.wal.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AuthTest {
  @RegisterExtension
  static final HourglassServerExtension server =
      HourglassServerExtension.withOptions(
          o ->
              o.withFsync(new FsyncPolicy.Always())
                  .withAuth(
                      Auth.parse(
                          "client:client-secret-1, worker:worker-secret-1\nadmin:admin-secret-1")));

  static final HttpTestClient anonymous = server.http();

  @Test
  void missingOrUnknownTokenGets401AndChangesNothing() {
    var none = anonymous.post("/api/v1/jobs", "{\"task\":\"t\"}");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.str("code")).isEqualTo("UNAUTHORIZED");
    assertThat(anonymous.withToken("guess-me-please").get("/api/v1/jobs").status()).isEqualTo(401);
    assertThat(
            anonymous
                .withToken("admin-secret-1")
                .get("/api/v1/stats")
                .body()
                .get("jobs_held")
                .asInt())
        .isZero();
  }

  @Test
  void eachRoleMayMakeOnlyItsCalls() {
    var client = anonymous.withToken("client-secret-1");
    var worker = anonymous.withToken("worker-secret-1");
    var admin = anonymous.withToken("admin-secret-1");
    String id = client.post("/api/v1/jobs", "{\"task\":\"t\",\"queue\":\"auth\"}").str("job_id");
    assertThat(id).isNotNull();
    var forbidden = client.post("/api/v1/lease", "{\"worker_id\":\"w\",\"queues\":[\"auth\"]}");
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(forbidden.str("code")).isEqualTo("FORBIDDEN");
    assertThat(worker.post("/api/v1/jobs", "{\"task\":\"t\"}").status()).isEqualTo(403);
    assertThat(
            worker
                .post("/api/v1/lease", "{\"worker_id\":\"w\",\"queues\":[\"auth\"]}")
                .body()
                .get("assignments"))
        .hasSize(1);
    assertThat(worker.get("/api/v1/jobs/" + id).status()).isEqualTo(200);
    assertThat(client.post("/api/v1/queues/auth/pause", "").status()).isEqualTo(403);
    assertThat(admin.post("/api/v1/queues/auth/pause", "").status()).isEqualTo(200);
    assertThat(admin.post("/api/v1/jobs", "{\"task\":\"t\"}").status()).isEqualTo(201);
    // Health stays open for load balancers; metrics need a token.
    assertThat(anonymous.get("/healthz").status()).isEqualTo(200);
    assertThat(anonymous.get("/metrics").status()).isEqualTo(401);
  }

  @Test
  void badTokenSpecIsRefusedWithoutEchoingTheToken() {
    assertThatThrownBy(() -> Auth.parse("root:short"))
        .hasMessageContaining("entry #1")
        .hasMessageNotContaining("short");
    assertThatThrownBy(() -> Auth.parse("client:ok-long-token,admin:tiny"))
        .hasMessageContaining("entry #2")
        .hasMessageNotContaining("tiny");
    assertThat(Auth.parse("client:abcdefgh").toString()).doesNotContain("abcdefgh");
  }
}
