package dev.hourglass.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.TraceContext;
import dev.hourglass.core.id.Ids;
import dev.hourglass.core.id.JobIds;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * Turns a wire job request into the engine's {@link JobSpec} or {@link ScheduleSpec}: defaults,
 * time fields (epoch milliseconds or RFC 3339 text), and the checks that only the wire form can
 * make (both {@code delay_ms} and {@code run_at}, a payload over the limit). Everything else is
 * validated by the engine, which refuses a bad spec without changing anything. Stateless.
 */
final class JobSpecs {
  private JobSpecs() {}

  /** A one-off job; {@code where} prefixes messages (e.g. "jobs[3]: ") inside a batch. */
  static JobSpec job(Wire.JobRequest r, JobIds ids, long nowMillis, Limits limits, String where) {
    return job(r, r.jobId() != null ? r.jobId() : ids.next(), nowMillis, limits, where);
  }

  /** A one-off job with the id {@code jobId} (the client's, or one generated for it). */
  static JobSpec job(Wire.JobRequest r, String jobId, long nowMillis, Limits limits, String where) {
    if (r.cron() != null
        || r.timeZone() != null
        || r.scheduleId() != null
        || r.overlap() != null
        || r.catchUp() != null
        || r.catchUpWindowMs() != null) {
      throw bad(
          where
              + "cron, time_zone, schedule_id, overlap, catch_up and catch_up_window_ms"
              + " belong to a schedule: give \"cron\" on POST /api/v1/jobs or use /api/v1/schedules;"
              + " a batch cannot create schedules");
    }
    if (r.delayMs() != null && r.runAt() != null) {
      throw bad(where + "give either delay_ms or run_at, not both");
    }
    checkPartitionKey(r, where);
    long runAt = 0;
    if (r.delayMs() != null) {
      if (r.delayMs() < 0) {
        throw bad(where + "delay_ms=" + r.delayMs() + " must not be negative");
      }
      if (r.delayMs() > Long.MAX_VALUE - nowMillis) {
        throw bad(
            where
                + "delay_ms="
                + r.delayMs()
                + " reaches past the end of time; give a"
                + " delay of at most "
                + (Long.MAX_VALUE - nowMillis)
                + " ms");
      }
      runAt = r.delayMs() == 0 ? 0 : nowMillis + r.delayMs();
    } else if (r.runAt() != null) {
      runAt = time(r.runAt(), "run_at", where);
    }
    return base(r, jobId, limits, where)
        .withRunAt(runAt)
        .withDependsOn(Http.names(r.dependsOn(), where + "depends_on"))
        .withIdempotencyKey(r.idempotencyKey());
  }

  /** A partition key is a key like an idempotency key: 1 to 200 UTF-8 bytes, no controls. */
  static void checkPartitionKey(Wire.JobRequest r, String where) {
    if (r.partitionKey() != null) {
      String problem = Ids.keyProblem(where + "partition_key", r.partitionKey());
      if (problem != null) {
        throw bad(problem);
      }
    }
  }

  /** A schedule from a request that carries {@code cron}. */
  static ScheduleSpec schedule(Wire.JobRequest r, JobIds ids, Limits limits) {
    if (r.cron() == null) {
      throw bad("cron is missing: a schedule needs a cron expression such as \"*/5 * * * *\"");
    }
    if (r.delayMs() != null
        || r.runAt() != null
        || r.dependsOn() != null
        || r.idempotencyKey() != null
        || r.jobId() != null
        || r.partitionKey() != null) {
      throw bad(
          "a schedule takes no delay_ms, run_at, depends_on, idempotency_key, job_id or"
              + " partition_key: each firing creates the job <schedule_id>@<fire time>, in the"
              + " schedule's partition (a schedule_id \"<key>~name\" shares the partition of"
              + " partition_key \"<key>\")");
    }
    String id = r.scheduleId() != null ? r.scheduleId() : "schedule-" + ids.next();
    JobSpec template = base(r, id, limits, "");
    return new ScheduleSpec(
        id,
        r.cron(),
        r.timeZone() == null ? "UTC" : r.timeZone(),
        template,
        r.overlap() == null
            ? ScheduleSpec.Overlap.ALLOW
            : policy(ScheduleSpec.Overlap.class, r.overlap(), "overlap"),
        r.catchUp() == null
            ? ScheduleSpec.CatchUp.ONCE
            : policy(ScheduleSpec.CatchUp.class, r.catchUp(), "catch_up"),
        r.catchUpWindowMs() == null ? 0 : r.catchUpWindowMs());
  }

  private static JobSpec base(Wire.JobRequest r, String jobId, Limits limits, String where) {
    String payload = payload(r.payload(), limits, where);
    long deadline =
        r.deadline() == null ? JobSpec.NO_DEADLINE : time(r.deadline(), "deadline", where);
    long backoffBase = r.backoffMs() == null ? Backoff.DEFAULT.baseMillis() : r.backoffMs();
    long backoffCap =
        r.backoffMaxMs() != null
            ? r.backoffMaxMs()
            : Math.max(Backoff.DEFAULT.capMillis(), backoffBase);
    Backoff backoff;
    try {
      // Jitter is on unless turned off: jobs that fail together should not retry together.
      backoff = Backoff.of(backoffBase, backoffCap, r.backoffJitter() == null || r.backoffJitter());
    } catch (IllegalArgumentException e) {
      throw bad(
          where
              + "backoff_ms="
              + backoffBase
              + " and backoff_max_ms="
              + backoffCap
              + " must not be negative");
    }
    return new JobSpec(
        jobId,
        r.queue() == null ? JobSpec.DEFAULT_QUEUE : r.queue(),
        r.task(),
        payload,
        r.priority() == null ? 0 : r.priority(),
        deadline,
        0,
        List.of(),
        r.maxAttempts() == null ? JobSpec.DEFAULT_MAX_ATTEMPTS : r.maxAttempts(),
        backoff,
        r.timeoutMs() == null ? 0 : r.timeoutMs(),
        null,
        trace(r, where),
        r.fairnessKey());
  }

  /** The W3C trace context, checked strictly: a malformed value is refused, never repaired. */
  private static TraceContext trace(Wire.JobRequest r, String where) {
    String problem = TraceContext.problem(r.traceparent(), r.tracestate());
    if (problem != null) {
      throw bad(where + problem);
    }
    return r.traceparent() == null ? null : new TraceContext(r.traceparent(), r.tracestate());
  }

  /** Any JSON value, kept as its JSON text; absent and null are both "no payload". */
  static String payload(JsonNode node, Limits limits, String where) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    String text = node.toString();
    if (text.length() * 3L > limits.payloadBytesMax()
        && text.getBytes(StandardCharsets.UTF_8).length > limits.payloadBytesMax()) {
      throw new ApiException(
          413,
          "PAYLOAD_TOO_LARGE",
          "Content too large",
          (where
                  + "payload is larger than payloadBytesMax=%d bytes; nothing was applied; store large"
                  + " data elsewhere and pass a reference")
              .formatted(limits.payloadBytesMax()));
    }
    return text;
  }

  /**
   * Epoch milliseconds (a non-negative integer) or an RFC 3339 instant such as
   * 2030-01-01T00:00:00Z.
   */
  static long time(JsonNode node, String field, String where) {
    if (node.isIntegralNumber() && node.canConvertToLong() && node.asLong() >= 0) {
      return node.asLong();
    }
    if (node.isTextual()) {
      try {
        return Instant.parse(node.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        // fall through to the one message below
      }
    }
    throw bad(
        where
            + field
            + "="
            + abbreviate(node.toString())
            + " is neither epoch"
            + " milliseconds (a non-negative integer) nor an RFC 3339 instant such as"
            + " \"2030-01-01T00:00:00Z\"");
  }

  private static <E extends Enum<E>> E policy(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw bad(
          field
              + "=\""
              + abbreviate(value)
              + "\" is not one of "
              + List.of(type.getEnumConstants()).toString().toLowerCase(Locale.ROOT));
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

  private static ApiException bad(String detail) {
    return ApiException.badRequest("INVALID_ARGUMENT", detail + "; nothing was applied");
  }
}
