package dev.hourglass.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The example as its README runs it: the application boots against a real server (in this JVM, on
 * 127.0.0.1, a free port), takes a greeting on its REST endpoint, its handler bean runs the job,
 * and the stored result comes back from the status endpoint.
 */
class WorkerApplicationTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path dir;
  HourglassServer server;
  ConfigurableApplicationContext app;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    server =
        HourglassServer.start(
            ServerOptions.of(dir).withPort(0).withFsync(new FsyncPolicy.NeverUnsafeForTests()));
    app =
        SpringApplication.run(
            WorkerApplication.class,
            "--server.port=0",
            "--server.address=127.0.0.1",
            "--hourglass.url=" + server.uri(),
            "--hourglass.worker.poll-wait=500ms");
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
    http.close();
    server.stop();
  }

  @Test
  void aGreetingPostedToTheEndpointIsRunByTheHandlerBean() throws Exception {
    var submitted = call("POST", "/greetings", "{\"name\":\"Ada\"}");
    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
    String id = submitted.body().replaceAll(".*\"job_id\":\"([^\"]+)\".*", "$1");
    await()
        .atMost(WAIT)
        .until(() -> call("GET", "/greetings/" + id, null).body().contains("SUCCEEDED"));
    assertThat(call("GET", "/greetings/" + id, null).body())
        .contains("Hello, Ada!")
        .contains("\"attempt\":1");
    assertThat(call("GET", "/greetings/no-such-job", null).statusCode()).isEqualTo(404);
  }

  private HttpResponse<String> call(String method, String path, String json) throws Exception {
    String port = app.getEnvironment().getProperty("local.server.port");
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10));
    b =
        json == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
