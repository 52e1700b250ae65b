package dev.hourglass.core.engine;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.TraceContext;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.Ids;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;

/** Checks a job spec's own fields, before the engine looks at any state. Pure. */
final class SpecValidator {
  private SpecValidator() {}

  /** Returns null when the spec is valid, else the rejection naming the first bad field. */
  static Rejected validate(JobSpec spec, EngineConfig config) {
    if (spec == null) {
      return invalid("job spec is missing");
    }
    Rejected r = name("job_id", spec.jobId());
    if (r == null) {
      r = name("queue", spec.queue());
    }
    if (r == null) {
      r = name("task", spec.task());
    }
    if (r != null) {
      return r;
    }
    if (spec.payload() != null && exceedsUtf8Bytes(spec.payload(), config.payloadBytesMax())) {
      return invalid(
          "payload of job %s is larger than payloadBytesMax=%d bytes; store large data"
              + " elsewhere and pass a reference",
          spec.jobId(), config.payloadBytesMax());
    }
    if (Math.abs((long) spec.priority()) > EngineConfig.PRIORITY_MAX) {
      return invalid(
          "priority=%d of job %s is outside [-%d, %d]",
          spec.priority(), spec.jobId(), EngineConfig.PRIORITY_MAX, EngineConfig.PRIORITY_MAX);
    }
    if (spec.maxAttempts() < 1 || spec.maxAttempts() > EngineConfig.ATTEMPTS_MAX) {
      return invalid(
          "max_attempts=%d of job %s is outside [1, %d]",
          spec.maxAttempts(), spec.jobId(), EngineConfig.ATTEMPTS_MAX);
    }
    if (spec.backoff() == null) {
      return invalid("backoff of job %s is missing", spec.jobId());
    }
    if (spec.timeoutMillis() < 0 || spec.runAtMillis() < 0) {
      return invalid(
          "timeout_ms=%d and run_at=%d of job %s must not be negative",
          spec.timeoutMillis(), spec.runAtMillis(), spec.jobId());
    }
    if (spec.idempotencyKey() != null) {
      String problem = Ids.keyProblem("idempotency_key", spec.idempotencyKey());
      if (problem != null) {
        return new Rejected(ErrorCode.INVALID_ARGUMENT, problem);
      }
    }
    if (spec.trace() != null) {
      String problem = TraceContext.problem(spec.trace().traceparent(), spec.trace().tracestate());
      if (problem != null || spec.trace().traceparent() == null) {
        return invalid(
            "job %s: %s",
            spec.jobId(), problem != null ? problem : "its trace context has no traceparent");
      }
    }
    if (spec.fairnessKey() != null) {
      String problem = Ids.keyProblem("fairness_key", spec.fairnessKey());
      if (problem != null) {
        return new Rejected(ErrorCode.INVALID_ARGUMENT, problem);
      }
    }
    if (spec.dependsOn().size() > EngineConfig.DEPENDENCIES_MAX) {
      return invalid(
          "job %s depends on %d jobs; at most %d are allowed",
          spec.jobId(), spec.dependsOn().size(), EngineConfig.DEPENDENCIES_MAX);
    }
    HashSet<String> seen = new HashSet<>();
    for (int i = 0; i < spec.dependsOn().size(); i++) {
      String parent = spec.dependsOn().get(i);
      if (Ids.problem("depends_on", parent) != null) { // the label only when it is needed
        return name("depends_on[" + i + "] of job " + spec.jobId(), parent);
      }
      if (parent.equals(spec.jobId())) {
        return new Rejected(
            ErrorCode.DEPENDENCY_CYCLE, "job " + spec.jobId() + " depends on itself");
      }
      if (!seen.add(parent)) {
        return invalid("job %s lists parent %s twice in depends_on", spec.jobId(), parent);
      }
    }
    return null;
  }

  /** An id or a queue or task name: the one alphabet and length of {@link Ids}. */
  static Rejected name(String field, String value) {
    String problem = Ids.problem(field, value);
    return problem == null ? null : new Rejected(ErrorCode.INVALID_ARGUMENT, problem);
  }

  /** A schedule id: an id short enough that its firings' job ids are ids too. */
  static Rejected scheduleId(String value) {
    String problem = Ids.problem("schedule_id", value, Ids.SCHEDULE_ID_BYTES_MAX);
    return problem == null ? null : new Rejected(ErrorCode.INVALID_ARGUMENT, problem);
  }

  static Rejected invalid(String format, Object... args) {
    return new Rejected(ErrorCode.INVALID_ARGUMENT, String.format(format, args));
  }

  private static boolean exceedsUtf8Bytes(String s, int max) {
    // A UTF-16 char encodes to at most 3 UTF-8 bytes, so most payloads need no encoding pass.
    return s.length() * 3L > max && s.getBytes(StandardCharsets.UTF_8).length > max;
  }
}
