package dev.hourglass.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as the handler of one task type; the auto-configured worker
 * ({@code hourglass.worker.enabled=true}) runs its jobs.
 *
 * <pre>{@code
 * @Component
 * class Mailer {
 *   @HourglassHandler("send-email")
 *   Receipt send(Email email, JobContext ctx) { ... }
 * }
 * }</pre>
 *
 * <p>The method takes at most one payload parameter (any type the application's JSON mapper binds,
 * snake_case names, as the SDK writes them) and at most one {@link
 * dev.hourglass.client.worker.JobContext}, in any order. What it returns is the job's result
 * ({@code void} stores none); what it throws fails the attempt, which is retried while attempts
 * remain ({@link dev.hourglass.client.worker.NonRetryableException} dead-letters it at once). Two
 * handlers for one task, or any other signature, fail the application's start-up with a message
 * naming the methods.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface HourglassHandler {
  /**
   * The task type, as given to {@code JobRequest.builder(task)}.
   *
   * @return the task type; not blank
   */
  String value();
}
