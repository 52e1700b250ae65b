package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.HandlerProvider;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.client.worker.WorkerListener;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hourglass worker}: runs a worker until SIGTERM or Ctrl-C, then shuts down gracefully. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = {"Run a worker with the built-in demo handlers (sleep, echo, fail-n-times)"
        + " and, with --handler-jar, a user's handlers.",
        "A user's jar lists HandlerProvider classes in"
            + " META-INF/services/dev.hourglass.client.worker.HandlerProvider, or names a"
            + " HandlerProvider or JobHandler class with --handler-class."})
public final class WorkerCommand implements Callable<Integer> {
  @Mixin Connection conn;

  @Option(names = "--id", description = "Worker id (default: worker-<pid>-<random>).")
  String id;
  @Option(names = "--capacity", defaultValue = "4", description = "Jobs at once (default 4).")
  int capacity;
  @Option(names = "--queue", split = ",", description = "Queues to serve (default: all).")
  List<String> queues = List.of();
  @Option(names = "--lease-ms", defaultValue = "30000", description = "Lease length.")
  long leaseMs;
  @Option(names = "--poll-ms", defaultValue = "5000", description = "Long-poll wait.")
  long pollMs;
  @Option(names = "--heartbeat-timeout-ms", description = "Declared dead after this silence.")
  Long heartbeatTimeoutMs;
  @Option(names = "--handler-jar", paramLabel = "JAR", description = "A jar with handlers.")
  Path handlerJar;
  @Option(names = "--handler-class", paramLabel = "CLASS",
      description = "A HandlerProvider, or a JobHandler for the task named by --task.")
  String handlerClass;
  @Option(names = "--task", description = "The task type of a --handler-class JobHandler.")
  String task;
  @Option(names = "--no-builtins", description = "Leave out sleep, echo and fail-n-times.")
  boolean noBuiltins;
  @Option(names = "--quiet", description = "Print no line per job.") boolean quiet;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    try (HourglassClient client = conn.client()) {
      var b = Worker.builder(client).capacity(capacity).queues(queues)
          .lease(Duration.ofMillis(leaseMs)).pollWait(Duration.ofMillis(pollMs));
      if (id != null) {
        b.workerId(id);
      }
      if (heartbeatTimeoutMs != null) {
        b.heartbeatTimeout(Duration.ofMillis(heartbeatTimeoutMs));
      }
      if (!noBuiltins) {
        b.handlers(new BuiltinHandlers());
      }
      loadUserHandlers(b);
      if (!quiet) {
        b.listener(new Printer(out));
      }
      Worker worker = b.build();
      var stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        worker.close();
        stopped.countDown();
      }, "hourglass-worker-shutdown"));
      worker.start();
      out.printf("hourglass worker %s started: server %s, capacity %d%n", worker.workerId(),
          conn.server(), capacity);
      out.flush();
      stopped.await();
      return 0;
    }
  }

  private void loadUserHandlers(Worker.Builder b) throws Exception {
    if (handlerJar == null && handlerClass == null) {
      return;
    }
    ClassLoader loader = getClass().getClassLoader();
    if (handlerJar != null) {
      if (!Files.isReadable(handlerJar)) {
        throw new IllegalArgumentException("--handler-jar " + handlerJar + " is not a readable"
            + " file");
      }
      loader = new URLClassLoader(new URL[] {handlerJar.toUri().toURL()}, loader);
    }
    if (handlerClass != null) {
      Object h;
      try {
        h = Class.forName(handlerClass, true, loader).getDeclaredConstructor().newInstance();
      } catch (ClassNotFoundException | NoSuchMethodException e) {
        throw new IllegalArgumentException("--handler-class " + handlerClass + " was not found"
            + (handlerJar == null ? " on the classpath" : " in " + handlerJar) + ", or has no"
            + " public no-argument constructor; check the name (package included) and the jar");
      }
      switch (h) {
        case HandlerProvider p -> b.handlers(p);
        case JobHandler j -> {
          if (task == null) {
            throw new IllegalArgumentException("--handler-class " + handlerClass + " is a"
                + " JobHandler: name its task type with --task");
          }
          b.handler(task, j);
        }
        default -> throw new IllegalArgumentException("--handler-class " + handlerClass
            + " implements neither HandlerProvider nor JobHandler");
      }
      return;
    }
    int found = 0;
    for (HandlerProvider p : ServiceLoader.load(HandlerProvider.class, loader)) {
      if (!(p instanceof BuiltinHandlers)) {
        b.handlers(p);
        found++;
      }
    }
    if (found == 0) {
      throw new IllegalArgumentException("--handler-jar " + handlerJar + " lists no"
          + " HandlerProvider in META-INF/services/" + HandlerProvider.class.getName()
          + "; add one, or name the class with --handler-class");
    }
  }

  /** One line per job event. */
  private record Printer(PrintStream out) implements WorkerListener {
    @Override
    public void onLeased(JobContext ctx) {
      out.printf("%s started %s (%s, generation %d)%n", ctx.workerId(), ctx.jobId(), ctx.task(),
          ctx.generation());
    }

    @Override
    public void onCompleted(JobContext ctx, Object result) {
      out.printf("%s completed %s%n", ctx.workerId(), ctx.jobId());
    }

    @Override
    public void onFailed(JobContext ctx, Throwable error, JobState state) {
      out.printf("%s failed %s: %s -> %s%n", ctx.workerId(), ctx.jobId(), error.getMessage(),
          state);
    }

    @Override
    public void onLeaseLost(JobContext ctx, HourglassException refusal) {
      out.printf("%s lost the lease of %s: %s%n", ctx.workerId(), ctx.jobId(), refusal.code());
    }

    @Override
    public void onReleased(JobContext ctx) {
      out.printf("%s released %s at shutdown%n", ctx.workerId(), ctx.jobId());
    }
  }
}
