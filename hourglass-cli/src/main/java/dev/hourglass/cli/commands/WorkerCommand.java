package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import dev.hourglass.client.LeaseStrategy;
import dev.hourglass.client.worker.Cancellation;
import dev.hourglass.client.worker.HandlerProvider;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.client.worker.WorkerListener;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hourglass worker}: runs a worker until SIGTERM or Ctrl-C, then shuts down gracefully. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a worker with the built-in demo handlers (sleep, echo, fail-n-times)"
          + " and, with --handler-jar, a user's handlers.",
      "A user's jar lists HandlerProvider classes in"
          + " META-INF/services/dev.hourglass.client.worker.HandlerProvider, or names a"
          + " HandlerProvider or JobHandler class with --handler-class."
    })
public final class WorkerCommand implements Callable<Integer> {
  @Mixin Connection conn;

  @Option(names = "--id", description = "Worker id (default: worker-<pid>-<random>).")
  String id;

  @Option(names = "--capacity", defaultValue = "4", description = "Jobs at once (default 4).")
  int capacity;

  @Option(names = "--queue", split = ",", description = "Queues to serve (default: all).")
  List<String> queues = List.of();

  @Option(
      names = "--strategy",
      defaultValue = "PRIORITY",
      converter = StrategyName.class,
      description =
          "How leases divide capacity over the queues: priority (default), fifo,"
              + " round_robin, weighted.")
  LeaseStrategy strategy;

  @Option(
      names = "--reserve",
      split = ",",
      paramLabel = "QUEUE=SLOTS",
      description = "Slots only that queue's jobs may take, e.g. light=2 (default: none).")
  Map<String, Integer> reserve = new LinkedHashMap<>();

  @Option(names = "--lease-ms", defaultValue = "30000", description = "Lease length.")
  long leaseMs;

  @Option(names = "--poll-ms", defaultValue = "5000", description = "Long-poll wait.")
  long pollMs;

  @Option(names = "--heartbeat-timeout-ms", description = "Declared dead after this silence.")
  Long heartbeatTimeoutMs;

  @Option(names = "--handler-jar", paramLabel = "JAR", description = "A jar with handlers.")
  Path handlerJar;

  @Option(
      names = "--handler-class",
      paramLabel = "CLASS",
      description = "A HandlerProvider, or a JobHandler for the task named by --task.")
  String handlerClass;

  @Option(names = "--task", description = "The task type of a --handler-class JobHandler.")
  String task;

  @Option(names = "--no-builtins", description = "Leave out sleep, echo and fail-n-times.")
  boolean noBuiltins;

  @Option(names = "--quiet", description = "Print no line per job.")
  boolean quiet;

  /** The strategy by its API name ({@code round_robin}), as the HTTP API and docs spell it. */
  static final class StrategyName implements picocli.CommandLine.ITypeConverter<LeaseStrategy> {
    @Override
    public LeaseStrategy convert(String value) {
      for (LeaseStrategy s : LeaseStrategy.values()) {
        if (s.wireName().equals(value) || s.name().equals(value)) {
          return s;
        }
      }
      throw new picocli.CommandLine.TypeConversionException(
          "--strategy " + value + " is not one of priority, fifo, round_robin, weighted");
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    try (HourglassClient client = conn.client()) {
      var b =
          Worker.builder(client)
              .capacity(capacity)
              .queues(queues)
              .strategy(strategy)
              .reserve(reserve)
              .lease(Duration.ofMillis(leaseMs))
              .pollWait(Duration.ofMillis(pollMs));
      if (id != null) {
        b.workerId(id);
      }
      if (heartbeatTimeoutMs != null) {
        b.heartbeatTimeout(Duration.ofMillis(heartbeatTimeoutMs));
      }
      register(b, userHandlers());
      if (!quiet) {
        b.listener(new Printer(out));
      }
      Worker worker = b.build();
      var stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    worker.close();
                    stopped.countDown();
                  },
                  "hourglass-worker-shutdown"));
      worker.start();
      out.printf(
          "hourglass worker %s started: server %s, capacity %d%n",
          worker.workerId(), conn.server(), capacity);
      out.flush();
      stopped.await();
      return 0;
    }
  }

  /**
   * Registers the user's handlers and, unless --no-builtins, the built-in ones. A user's task type
   * that is also a built-in one is refused rather than silently shadowed either way.
   */
  private void register(Worker.Builder b, Map<String, JobHandler> user) {
    if (task != null && handlerClass == null) {
      throw new IllegalArgumentException(
          "--task names the task type of a --handler-class"
              + " JobHandler; give --handler-class too");
    }
    if (!noBuiltins) {
      Map<String, JobHandler> builtins = new BuiltinHandlers().handlers();
      for (String t : user.keySet()) {
        if (builtins.containsKey(t)) {
          throw new IllegalArgumentException(
              "the handler for task \""
                  + t
                  + "\" from "
                  + (handlerClass != null ? handlerClass : handlerJar)
                  + " has the name of a"
                  + " built-in demo handler ("
                  + String.join(", ", builtins.keySet())
                  + "); pass"
                  + " --no-builtins to run yours");
        }
      }
      builtins.forEach(b::handler);
    } else if (user.isEmpty()) {
      throw new IllegalArgumentException(
          "--no-builtins leaves this worker without handlers:"
              + " give --handler-jar or --handler-class");
    }
    user.forEach(b::handler);
  }

  /** The user's handlers by task type, from --handler-class or the jar's service list. */
  private Map<String, JobHandler> userHandlers() throws IOException {
    var out = new LinkedHashMap<String, JobHandler>();
    if (handlerJar == null && handlerClass == null) {
      return out;
    }
    ClassLoader loader = getClass().getClassLoader();
    if (handlerJar != null) {
      if (!Files.isReadable(handlerJar)) {
        throw new IllegalArgumentException(
            "--handler-jar " + handlerJar + " is not a readable" + " file");
      }
      loader = new URLClassLoader(new URL[] {handlerJar.toUri().toURL()}, loader);
    }
    if (handlerClass != null) {
      switch (instantiate(loader)) {
        case HandlerProvider p -> addAll(out, p, handlerClass);
        case JobHandler j -> {
          if (task == null) {
            throw new IllegalArgumentException(
                "--handler-class "
                    + handlerClass
                    + " is a"
                    + " JobHandler: name its task type with --task");
          }
          out.put(task, j);
        }
        default ->
            throw new IllegalArgumentException(
                "--handler-class "
                    + handlerClass
                    + " implements neither HandlerProvider nor JobHandler");
      }
      return out;
    }
    int found = 0;
    try {
      for (HandlerProvider p : ServiceLoader.load(HandlerProvider.class, loader)) {
        if (!(p instanceof BuiltinHandlers)) {
          addAll(out, p, p.getClass().getName());
          found++;
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new IllegalArgumentException(
          "--handler-jar "
              + handlerJar
              + ": a HandlerProvider"
              + " listed in META-INF/services/"
              + HandlerProvider.class.getName()
              + " cannot be"
              + " loaded: "
              + e.getMessage()
              + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
    }
    if (found == 0) {
      throw new IllegalArgumentException(
          "--handler-jar "
              + handlerJar
              + " lists no"
              + " HandlerProvider in META-INF/services/"
              + HandlerProvider.class.getName()
              + "; add one, or name the class with --handler-class");
    }
    return out;
  }

  /** A new instance of --handler-class; every way that can fail is a message. */
  private Object instantiate(ClassLoader loader) {
    String where = handlerJar == null ? " on the classpath" : " in " + handlerJar;
    try {
      return Class.forName(handlerClass, true, loader).getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "--handler-class "
              + handlerClass
              + " was not found"
              + where
              + "; check the name (package included) and the jar");
    } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
      throw new IllegalArgumentException(
          "--handler-class "
              + handlerClass
              + where
              + " needs a"
              + " public no-argument constructor and must be a public, concrete class ("
              + e
              + ")");
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          "--handler-class " + handlerClass + ": its" + " constructor threw " + e.getCause());
    } catch (LinkageError e) {
      throw new IllegalArgumentException(
          "--handler-class "
              + handlerClass
              + where
              + " cannot"
              + " be loaded: "
              + e
              + "; are its dependencies in the jar (or on the classpath)?");
    }
  }

  private static void addAll(Map<String, JobHandler> out, HandlerProvider p, String name) {
    Map<String, JobHandler> hs;
    try {
      hs = p.handlers();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("HandlerProvider " + name + " failed to set up: " + e);
    }
    if (hs == null || hs.isEmpty()) {
      throw new IllegalArgumentException("HandlerProvider " + name + " returned no handlers");
    }
    hs.forEach(
        (t, h) -> {
          if (out.putIfAbsent(t, h) != null) {
            throw new IllegalArgumentException(
                "task \""
                    + t
                    + "\" has a handler in more than one"
                    + " HandlerProvider (the second is "
                    + name
                    + "); keep one");
          }
        });
  }

  /** One line per job event. */
  private record Printer(PrintStream out) implements WorkerListener {
    @Override
    public void onLeased(JobContext ctx) {
      out.printf(
          "%s started %s (%s, generation %d)%n",
          ctx.workerId(), ctx.jobId(), ctx.task(), ctx.generation());
    }

    @Override
    public void onCompleted(JobContext ctx, Object result) {
      out.printf("%s completed %s%n", ctx.workerId(), ctx.jobId());
    }

    @Override
    public void onFailed(JobContext ctx, Throwable error, JobState state) {
      out.printf(
          "%s failed %s: %s -> %s%n", ctx.workerId(), ctx.jobId(), error.getMessage(), state);
    }

    @Override
    public void onLeaseLost(JobContext ctx, HourglassException refusal) {
      out.printf("%s lost the lease of %s: %s%n", ctx.workerId(), ctx.jobId(), refusal.codeName());
    }

    @Override
    public void onCancelled(JobContext ctx, Cancellation c) {
      out.printf(
          "%s stopped %s: %s%n",
          ctx.workerId(),
          ctx.jobId(),
          c.cause() == Cancellation.Cause.CANCELLED
              ? "cancelled by user: " + c.reason()
              : c.reason());
    }

    @Override
    public void onReleased(JobContext ctx) {
      out.printf("%s released %s at shutdown%n", ctx.workerId(), ctx.jobId());
    }
  }
}
