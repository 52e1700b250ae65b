package dev.hourglass.spring;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;

/**
 * Wraps every run of an {@link HourglassHandler} method, on the job's own thread: for metrics,
 * tracing, logging context. Declare one as a bean; several run in {@link
 * org.springframework.core.annotation.Order} order, the first outermost. Thread-safe: handlers run
 * concurrently.
 */
@FunctionalInterface
public interface HandlerInterceptor {
  /**
   * Runs the handler, with whatever is wrapped around it.
   *
   * @param ctx the job
   * @param next the rest of the chain; call it once and return (or transform) its result
   * @return the job's result
   * @throws Exception what the handler threw, or the interceptor's own failure (fails the attempt)
   */
  Object around(JobContext ctx, JobHandler next) throws Exception;
}
