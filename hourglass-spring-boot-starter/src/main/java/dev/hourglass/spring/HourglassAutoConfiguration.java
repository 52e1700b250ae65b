package dev.hourglass.spring;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.worker.WorkerListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configures an {@link HourglassClient} from {@code hourglass.*}; with {@code
 * hourglass.worker.enabled=true}, a worker that runs the {@link HourglassHandler} methods; with
 * Spring Boot's health module, a health indicator ({@code hourglass}); with a Micrometer registry,
 * the worker's meters; with Jackson 3, payloads bound by the application's mapper.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure"
          + ".CompositeMeterRegistryAutoConfiguration"
    })
@EnableConfigurationProperties(HourglassProperties.class)
public class HourglassAutoConfiguration {
  /** Why 2 s: shutdown's poll grace (0.5 s), releasing jobs and deregistering, with room. */
  private static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(2);

  @Bean
  @ConditionalOnMissingBean
  HourglassClient hourglassClient(HourglassProperties p) {
    if (p.getUrl() == null || p.getUrl().isEmpty()) {
      throw new IllegalStateException(
          "hourglass.url is empty; give the server's URL, or one"
              + " per replica of a cluster, e.g. hourglass.url=http://127.0.0.1:7070");
    }
    return HourglassClient.builder(String.join(",", p.getUrl()))
        .token(p.getToken())
        .connectTimeout(p.getConnectTimeout())
        .requestTimeout(p.getRequestTimeout())
        .failoverTimeout(p.getFailoverTimeout())
        .build();
  }

  /** Static: a post-processor must exist before the beans it looks at. */
  @Bean
  static HandlerMethods hourglassHandlerMethods() {
    return new HandlerMethods();
  }

  @Bean
  @ConditionalOnProperty(prefix = "hourglass.worker", name = "enabled", havingValue = "true")
  HourglassWorkerLifecycle hourglassWorker(
      HourglassClient client,
      HourglassProperties p,
      HandlerMethods handlers,
      ObjectProvider<PayloadBinding> binding,
      ObjectProvider<WorkerListener> listeners,
      ObjectProvider<HandlerInterceptor> interceptors,
      Environment env) {
    HourglassProperties.Worker w = p.getWorker();
    String id = w.getId() != null && !w.getId().isBlank() ? w.getId() : defaultWorkerId();
    Duration shutdown = w.getShutdownTimeout();
    if (shutdown == null) {
      String phase = env.getProperty("spring.lifecycle.timeout-per-shutdown-phase", "30s");
      Duration left = DurationStyle.detectAndParse(phase).minus(SHUTDOWN_MARGIN);
      shutdown = left.isNegative() ? Duration.ZERO : left;
    }
    return new HourglassWorkerLifecycle(
        client,
        new HourglassWorkerLifecycle.Settings(w, id, shutdown),
        handlers,
        binding.getIfAvailable(PayloadBinding.Sdk::new),
        listeners.orderedStream().toList(),
        interceptors.orderedStream().toList());
  }

  /** The host name and process id: unique per process, and readable in the dashboard. */
  static String defaultWorkerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }

  /** Jackson 3, when the application has it: payloads and results in its mapper's terms. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
  static class Jackson {
    @Bean
    @ConditionalOnBean(JsonMapper.class)
    @ConditionalOnMissingBean(PayloadBinding.class)
    PayloadBinding hourglassPayloadBinding(JsonMapper mapper) {
      return new JacksonPayloadBinding(mapper);
    }
  }

  /** Actuator's health, when the application has Spring Boot's health module. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "hourglassHealthIndicator")
    HourglassHealthIndicator hourglassHealthIndicator(
        HourglassClient client, ObjectProvider<HourglassWorkerLifecycle> worker) {
      return new HourglassHealthIndicator(client, worker.getIfAvailable());
    }
  }

  /**
   * A span around each attempt, when the application has the OpenTelemetry API: through its {@code
   * OpenTelemetry} bean, else the global one (a no-op until something installs an SDK).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.opentelemetry.api.OpenTelemetry")
  @ConditionalOnProperty(prefix = "hourglass.worker", name = "enabled", havingValue = "true")
  static class Tracing {
    @Bean
    @ConditionalOnMissingBean
    TracingInterceptor hourglassTracingInterceptor(ObjectProvider<OpenTelemetry> otel) {
      return new TracingInterceptor(otel.getIfAvailable(GlobalOpenTelemetry::get));
    }
  }

  /** The worker's meters, when the application has a Micrometer registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  @ConditionalOnProperty(prefix = "hourglass.worker", name = "enabled", havingValue = "true")
  static class Metrics {
    @Bean
    @ConditionalOnBean(MeterRegistry.class)
    @ConditionalOnMissingBean
    WorkerMetrics hourglassWorkerMetrics(MeterRegistry registry) {
      return new WorkerMetrics(registry);
    }
  }
}
