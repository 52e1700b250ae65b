package dev.hourglass.examples.springboot;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.spring.HourglassHandler;
import org.springframework.stereotype.Component;

/** Runs {@code send-greeting} jobs: any bean method annotated with the task it handles. */
@Component
public class GreetingHandler {
  /** The job's payload, bound from JSON with the application's mapper. */
  public record Greeting(String name) {}

  /** The job's result, stored by the server and shown by {@code GET /greetings/{id}}. */
  public record Sent(String text, int attempt) {}

  @HourglassHandler("send-greeting")
  public Sent send(Greeting greeting, JobContext ctx) {
    if (greeting.name() == null || greeting.name().isBlank()) {
      // Retrying cannot fix a bad payload: straight to the dead-letter queue.
      throw new dev.hourglass.client.worker.NonRetryableException("a greeting needs a name");
    }
    return new Sent("Hello, " + greeting.name() + "!", ctx.attempt());
  }
}
