package dev.hourglass.spring;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.Cancellation;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.client.worker.WorkerListener;
import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the application's worker: builds it from the {@link HourglassHandler} methods once every
 * singleton exists, starts it with the context's lifecycle (after the other lifecycle beans: it
 * uses the default, last phase), and stops it first at shutdown: running handlers get the shutdown
 * timeout to finish, the rest of their jobs are given back, and the worker deregisters, all within
 * {@code spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * <p>Thread-safety: start and stop are called by the context's lifecycle processor; the getters may
 * be called from any thread.
 */
public final class HourglassWorkerLifecycle implements SmartLifecycle {
  /** Settings of the worker that the lifecycle builds. */
  record Settings(
      HourglassProperties.Worker properties, String workerId, Duration shutdownTimeout) {}

  private final HourglassClient client;
  private final Settings settings;
  private final HandlerMethods handlers;
  private final PayloadBinding binding;
  private final List<WorkerListener> listeners;
  private final List<HandlerInterceptor> interceptors;
  private volatile Worker worker;
  private volatile boolean running;

  HourglassWorkerLifecycle(
      HourglassClient client,
      Settings settings,
      HandlerMethods handlers,
      PayloadBinding binding,
      List<WorkerListener> listeners,
      List<HandlerInterceptor> interceptors) {
    this.client = client;
    this.settings = settings;
    this.handlers = handlers;
    this.binding = binding;
    this.listeners = List.copyOf(listeners);
    this.interceptors = List.copyOf(interceptors);
  }

  /**
   * The running worker.
   *
   * @return the worker, or null before the context has started it
   */
  public Worker worker() {
    return worker;
  }

  /**
   * The worker's id.
   *
   * @return the id, known before the worker starts
   */
  public String workerId() {
    return settings.workerId();
  }

  @Override
  public void start() {
    Map<String, HandlerMethods.Found> found = handlers.byTask();
    if (found.isEmpty()) {
      throw new IllegalStateException(
          "hourglass.worker.enabled=true but no bean has an"
              + " @HourglassHandler method; add one, or set hourglass.worker.enabled=false");
    }
    HourglassProperties.Worker p = settings.properties();
    Worker.Builder b =
        Worker.builder(client)
            .workerId(settings.workerId())
            .capacity(p.getCapacity())
            .queues(p.getQueues())
            .lease(p.getLease())
            .pollWait(p.getPollWait())
            .shutdownTimeout(settings.shutdownTimeout())
            .listener(new FanOutListener(listeners));
    found.forEach((task, f) -> b.handler(task, intercepted(invoking(f))));
    worker = b.build().start();
    running = true;
  }

  @Override
  public void stop() {
    Worker w = worker;
    if (w != null) {
      w.shutdown(settings.shutdownTimeout());
    }
    running = false;
  }

  /** Stops on its own thread, so that the context's phase timeout bounds the wait. */
  @Override
  public void stop(Runnable callback) {
    Thread.ofPlatform()
        .name("hourglass-worker-stop")
        .start(
            () -> {
              try {
                stop();
              } finally {
                callback.run();
              }
            });
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private JobHandler intercepted(JobHandler handler) {
    JobHandler h = handler;
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      HandlerInterceptor around = interceptors.get(i);
      JobHandler next = h;
      h = ctx -> around.around(ctx, next);
    }
    return h;
  }

  private JobHandler invoking(HandlerMethods.Found f) {
    int n = f.method().getParameterCount();
    return ctx -> {
      Object[] args = new Object[n];
      if (f.payloadIndex() >= 0) {
        args[f.payloadIndex()] = binding.read(ctx, f.payloadType());
      }
      if (f.contextIndex() >= 0) {
        args[f.contextIndex()] = ctx;
      }
      return binding.write(invoke(f, args));
    };
  }

  private static Object invoke(HandlerMethods.Found f, Object[] args) throws Exception {
    try {
      return f.method().invoke(f.bean(), args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception x) {
        throw x;
      }
      if (cause instanceof Error x) {
        throw x;
      }
      throw e;
    }
  }

  /** Tells every listener; one that throws does not keep the others from hearing. */
  private record FanOutListener(List<WorkerListener> all) implements WorkerListener {
    @Override
    public void onLeased(JobContext ctx) {
      all.forEach(l -> quietly(() -> l.onLeased(ctx)));
    }

    @Override
    public void onCompleted(JobContext ctx, Object result) {
      all.forEach(l -> quietly(() -> l.onCompleted(ctx, result)));
    }

    @Override
    public void onFailed(JobContext ctx, Throwable error, JobState state) {
      all.forEach(l -> quietly(() -> l.onFailed(ctx, error, state)));
    }

    @Override
    public void onLeaseLost(JobContext ctx, HourglassException refusal) {
      all.forEach(l -> quietly(() -> l.onLeaseLost(ctx, refusal)));
    }

    @Override
    public void onCancelled(JobContext ctx, Cancellation c) {
      all.forEach(l -> quietly(() -> l.onCancelled(ctx, c)));
    }

    @Override
    public void onReleased(JobContext ctx) {
      all.forEach(l -> quietly(() -> l.onReleased(ctx)));
    }

    @Override
    public void onServerUnreachable(HourglassException error, Duration backoff) {
      all.forEach(l -> quietly(() -> l.onServerUnreachable(error, backoff)));
    }

    private static void quietly(Runnable r) {
      try {
        r.run();
      } catch (RuntimeException e) {
        System.getLogger(HourglassWorkerLifecycle.class.getName())
            .log(System.Logger.Level.WARNING, "worker listener threw; ignored", e);
      }
    }
  }
}
