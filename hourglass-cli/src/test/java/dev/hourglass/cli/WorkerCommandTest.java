package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.WorkerInfo;
import dev.hourglass.client.worker.JobHandler;
import dev.hourglass.server.HourglassServerExtension;
import dev.hourglass.wal.FsyncPolicy;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hourglass worker --handler-jar}: a user's handler, compiled here from source into a jar
 * that is on no classpath, runs the job in a real worker process against a real server.
 */
class WorkerCommandTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.NeverUnsafeForTests()));

  HourglassClient client;
  final List<Process> procs = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    client = HourglassClient.builder(server.uri().toString()).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : procs) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    client.close();
  }

  /** A JobHandler and a HandlerProvider (listed for ServiceLoader), in package {@code userland}. */
  private Path userJar() throws IOException, URISyntaxException {
    Path src = Files.createDirectories(dir.resolve("src/userland"));
    Files.writeString(
        src.resolve("Shout.java"),
        """
        package userland;
        import dev.hourglass.client.worker.JobContext;
        import dev.hourglass.client.worker.JobHandler;
        public final class Shout implements JobHandler {
          @Override public Object handle(JobContext ctx) {
            return java.util.Map.of("shouted", ctx.payloadAs(String.class).toUpperCase(),
                "by", ctx.workerId(), "loader", getClass().getClassLoader().getClass().getName());
          }
        }
        """);
    Files.writeString(
        src.resolve("Provided.java"),
        """
        package userland;
        import dev.hourglass.client.worker.HandlerProvider;
        import dev.hourglass.client.worker.JobHandler;
        import java.util.Map;
        public final class Provided implements HandlerProvider {
          @Override public Map<String, JobHandler> handlers() {
            return Map.of("count-words", ctx -> ctx.payloadAs(String.class).split(" ").length);
          }
        }
        """);
    Files.writeString(
        src.resolve("Broken.java"),
        """
        package userland;
        import dev.hourglass.client.worker.JobContext;
        import dev.hourglass.client.worker.JobHandler;
        public final class Broken implements JobHandler {
          public Broken() { throw new IllegalStateException("no config file"); }
          @Override public Object handle(JobContext ctx) { return null; }
        }
        """);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    // What a user compiles against: the SDK jar and Jackson, its one dependency.
    String cp =
        String.join(
            File.pathSeparator,
            where(JobHandler.class),
            where(JsonNode.class),
            where(com.fasterxml.jackson.core.TreeNode.class));
    var err = new ByteArrayOutputStream();
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                null,
                err,
                "-d",
                classes.toString(),
                "-classpath",
                cp,
                src.resolve("Shout.java").toString(),
                src.resolve("Provided.java").toString(),
                src.resolve("Broken.java").toString());
    assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
    Path jar = dir.resolve("user-handlers.jar");
    try (var out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (String name :
          List.of("userland/Shout.class", "userland/Provided.class", "userland/Broken.class")) {
        out.putNextEntry(new JarEntry(name));
        out.write(Files.readAllBytes(classes.resolve(name)));
        out.closeEntry();
      }
      out.putNextEntry(
          new JarEntry("META-INF/services/" + "dev.hourglass.client.worker.HandlerProvider"));
      out.write("userland.Provided\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  private static String where(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  /** {@code hourglass worker ARGS} as a separate JVM; its output goes to a file. */
  private Process worker(String id, String... args) throws IOException {
    var cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.hourglass.cli.Main",
                "worker",
                "--server",
                server.uri().toString(),
                "--id",
                id,
                "--poll-ms",
                "1000"));
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(id + ".log").toFile())
            .start();
    procs.add(p);
    return p;
  }

  private String log(String id) throws IOException {
    return Files.readString(dir.resolve(id + ".log"));
  }

  @Test
  void aHandlerClassFromTheUsersJarRunsTheJobAndSigtermStopsTheWorkerGracefully() throws Exception {
    Path jar = userJar();
    Process p =
        worker(
            "user-1",
            "--handler-jar",
            jar.toString(),
            "--handler-class",
            "userland.Shout",
            "--task",
            "shout",
            "--no-builtins");
    String id = client.submit(JobRequest.builder("shout").payloadJson("\"hello\"").build()).jobId();
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.SUCCEEDED);
    Job job = client.job(id);
    assertThat(job.result())
        .contains("\"shouted\":\"HELLO\"")
        .contains("\"by\":\"user-1\"")
        .contains("URLClassLoader");
    assertThat(job.attempts())
        .singleElement()
        .satisfies(a -> assertThat(a.workerId()).isEqualTo("user-1"));
    assertThat(log("user-1")).contains("user-1 completed " + id);
    assertThat(client.workers())
        .filteredOn(w -> w.workerId().equals("user-1"))
        .singleElement()
        .satisfies(
            w ->
                assertThat(w.tasks()).as("the handler set it registered").containsExactly("shout"));

    p.destroy(); // SIGTERM: the shutdown hook closes the worker, which deregisters
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as(log("user-1")).isTrue();
    assertThat(client.workers()).extracting(WorkerInfo::workerId).doesNotContain("user-1");
  }

  @Test
  void aJarListingAHandlerProviderIsLoadedWithoutNamingAClass() throws Exception {
    Path jar = userJar();
    worker("user-2", "--handler-jar", jar.toString());
    String words =
        client
            .submit(JobRequest.builder("count-words").payloadJson("\"one two three\"").build())
            .jobId();
    String builtin =
        client.submit(JobRequest.builder("echo").payload(Map.of("x", 1)).build()).jobId();
    await()
        .atMost(WAIT)
        .until(
            () ->
                client.job(words).state() == JobState.SUCCEEDED
                    && client.job(builtin).state() == JobState.SUCCEEDED);
    assertThat(client.job(words).result()).isEqualTo("3");
    assertThat(client.job(builtin).attempts().get(0).workerId()).isEqualTo("user-2");
    assertThat(client.workers())
        .filteredOn(w -> w.workerId().equals("user-2"))
        .singleElement()
        .satisfies(
            w ->
                assertThat(w.tasks())
                    .as("built-in and loaded handlers")
                    .contains("count-words", "echo", "sleep", "fail-n-times"));
  }

  @Test
  void mistakesInTheHandlerOptionsAreMessagesWithExitCode2() throws Exception {
    Path jar = userJar();
    Path empty = dir.resolve("empty.jar");
    new JarOutputStream(Files.newOutputStream(empty)).close();
    assertThat(runInProcess("--handler-jar", jar.toString(), "--handler-class", "userland.Nope"))
        .contains("--handler-class userland.Nope was not found in " + jar);
    assertThat(runInProcess("--handler-jar", jar.toString(), "--handler-class", "userland.Shout"))
        .contains("is a JobHandler: name its task type with --task");
    assertThat(runInProcess("--handler-jar", empty.toString()))
        .contains("lists no HandlerProvider");
    assertThat(runInProcess("--handler-jar", dir.resolve("missing.jar").toString()))
        .contains("is not a readable file");
    assertThat(runInProcess("--handler-class", "java.lang.String"))
        .contains("implements neither HandlerProvider nor JobHandler");
    assertThat(
            runInProcess(
                "--handler-jar",
                jar.toString(),
                "--handler-class",
                "userland.Broken",
                "--task",
                "b"))
        .contains("its constructor threw")
        .contains("no config file");
    assertThat(
            runInProcess(
                "--handler-jar",
                jar.toString(),
                "--handler-class",
                "userland.Shout",
                "--task",
                "echo"))
        .contains("task \"echo\" from userland.Shout has" + " the name of a built-in demo handler")
        .contains("--no-builtins");
    assertThat(runInProcess("--no-builtins")).contains("leaves this worker without handlers");
    assertThat(runInProcess("--task", "shout")).contains("give --handler-class too");
  }

  /** Runs {@code hourglass worker ARGS} here; every case must fail before the worker starts. */
  private String runInProcess(String... args) {
    var err = new ByteArrayOutputStream();
    var all = new ArrayList<>(List.of("worker", "--server", server.uri().toString()));
    all.addAll(List.of(args));
    var cl = Main.commandLine();
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    PrintStream oldOut = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      assertThat(cl.execute(all.toArray(String[]::new))).isEqualTo(2);
    } finally {
      System.setOut(oldOut);
    }
    return err.toString(StandardCharsets.UTF_8);
  }
}
