package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Calls beyond {@link Limits#requestsInFlightMax()} are refused at once with 503 OVERLOADED and
 * Retry-After, nothing applied; long polls and cluster status are not counted; a permit comes back
 * when its call ends. A call is held in flight by sending its headers and only half its body.
 */
class AdmissionTest {
  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(
          o -> o.withLimits(Limits.DEFAULTS.withRequestsInFlightMax(1)));

  final HttpTestClient http = server.http();
  String refusalId;

  @Test
  void excessCallsAreRefusedAtOnceAndAdmittedAgainWhenACallEnds() throws Exception {
    String body = "{\"job_id\":\"held\",\"task\":\"t\"}";
    try (Socket held = new Socket("127.0.0.1", server.port())) {
      held.setSoTimeout(10_000);
      OutputStream out = held.getOutputStream();
      out.write(
          ("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length()
                  + "\r\n\r\n"
                  + body.substring(0, 10))
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();

      Refusal refusal = awaitRefusal();
      refusalId = refusal.jobId();
      var refused = refusal.reply();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.str("code")).isEqualTo("OVERLOADED");
      assertThat(refused.str("detail")).contains("requestsInFlightMax=1", "nothing was applied");
      assertThat(refused.raw().headers().firstValue("Retry-After")).hasValue("1");
      // Not counted: status for operators, and long polls (bounded by parkedLeasesMax).
      assertThat(http.get("/api/v1/cluster").status()).isEqualTo(200);
      assertThat(
              http.post("/api/v1/lease", "{\"worker_id\":\"w\",\"max\":1,\"wait_ms\":0}").status())
          .isEqualTo(200);

      out.write(body.substring(10).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readStatusLine(held.getInputStream())).startsWith("HTTP/1.1 201");
    }
    assertThat(awaitAdmitted("{\"job_id\":\"after\",\"task\":\"t\"}").status())
        .as("the permit came back")
        .isEqualTo(201);
    assertThat(http.get("/api/v1/jobs/held").status()).isEqualTo(200);
    assertThat(http.get("/api/v1/jobs/" + refusalId).status())
        .as("the refused submit changed nothing")
        .isEqualTo(404);
  }

  /** A refused submit and the job id it carried. */
  private record Refusal(HttpTestClient.Reply reply, String jobId) {}

  /**
   * The held call takes its permit on a server thread shortly after its headers arrive: submit
   * fresh jobs until one is refused.
   */
  private Refusal awaitRefusal() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (int i = 0; ; i++) {
      String id = "probe-" + i;
      var r = http.post("/api/v1/jobs", "{\"job_id\":\"" + id + "\",\"task\":\"t\"}");
      if (r.status() != 201 || System.nanoTime() > deadline) {
        return new Refusal(r, id);
      }
      Thread.sleep(5);
    }
  }

  /**
   * The server gives a call's permit back when its handler returns, just after the answer is
   * written, so the client can read the answer a moment before the permit is free: submit until the
   * call is admitted (a refused submit changes nothing, so the same job id is sent again), or the
   * deadline passes with the last refusal.
   */
  private HttpTestClient.Reply awaitAdmitted(String body) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      var r = http.post("/api/v1/jobs", body);
      if (r.status() != 503 || System.nanoTime() > deadline) {
        return r;
      }
      Thread.sleep(5);
    }
  }

  private static String readStatusLine(InputStream in) throws Exception {
    var line = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\r'; ) {
      line.append((char) c);
    }
    return line.toString();
  }
}
