package dev.hourglass.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code hourglass.*} settings. Unknown keys under {@code hourglass} fail the start-up, so a
 * misspelt key is not silently ignored; values out of range fail it with the SDK's message. Not
 * thread-safe: bound once at start-up.
 */
@ConfigurationProperties(prefix = "hourglass", ignoreUnknownFields = false)
public class HourglassProperties {
  /** The server's base URL; for a cluster, one per replica (the client fails over). */
  private List<String> url = new ArrayList<>(List.of("http://127.0.0.1:7070"));

  /** Bearer token sent with every call; none when empty. */
  private String token;

  /** How long to wait for a connection. */
  private Duration connectTimeout = Duration.ofSeconds(5);

  /** How long to wait for an answer; a long poll waits its wait on top. */
  private Duration requestTimeout = Duration.ofSeconds(30);

  /** How long one call keeps moving between a cluster's replicas while none accepts it. */
  private Duration failoverTimeout = Duration.ofSeconds(10);

  private final Worker worker = new Worker();

  public List<String> getUrl() {
    return url;
  }

  public void setUrl(List<String> url) {
    this.url = url;
  }

  public String getToken() {
    return token;
  }

  public void setToken(String token) {
    this.token = token;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  public Duration getRequestTimeout() {
    return requestTimeout;
  }

  public void setRequestTimeout(Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
  }

  public Duration getFailoverTimeout() {
    return failoverTimeout;
  }

  public void setFailoverTimeout(Duration failoverTimeout) {
    this.failoverTimeout = failoverTimeout;
  }

  public Worker getWorker() {
    return worker;
  }

  /** The {@code hourglass.worker.*} settings. */
  public static class Worker {
    /** Whether to run a worker for the application's @HourglassHandler methods. */
    private boolean enabled;

    /** The worker's id, unique among live workers; default: host name and process id. */
    private String id;

    /** Jobs run at once, 1 to 10,000. */
    private int capacity = 4;

    /** The queues to serve; empty serves all. */
    private List<String> queues = new ArrayList<>();

    /** Each lease's length; heartbeats extend it while the handler runs. At least 100 ms. */
    private Duration lease = Duration.ofSeconds(30);

    /**
     * How long one long poll waits for a job, 1 ms to 60 s. An idle worker makes one request per
     * wait and poller (two from capacity 2 up), and shutdown may wait this long for the parked
     * polls to end.
     */
    private Duration pollWait = Duration.ofSeconds(5);

    /**
     * How long shutdown lets running handlers finish before giving their jobs back (they return to
     * READY without spending an attempt). Default: spring.lifecycle.timeout-per-shutdown-phase less
     * 2 s, which leaves time to release jobs and deregister within the phase.
     */
    private Duration shutdownTimeout;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getId() {
      return id;
    }

    public void setId(String id) {
      this.id = id;
    }

    public int getCapacity() {
      return capacity;
    }

    public void setCapacity(int capacity) {
      this.capacity = capacity;
    }

    public List<String> getQueues() {
      return queues;
    }

    public void setQueues(List<String> queues) {
      this.queues = queues;
    }

    public Duration getLease() {
      return lease;
    }

    public void setLease(Duration lease) {
      this.lease = lease;
    }

    public Duration getPollWait() {
      return pollWait;
    }

    public void setPollWait(Duration pollWait) {
      this.pollWait = pollWait;
    }

    public Duration getShutdownTimeout() {
      return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
    }
  }
}
