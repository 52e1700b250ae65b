package dev.hourglass.server;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.view.TaskLimitView;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the scheduling-policy parts of requests (a lease's strategy, a queue's or task type's
 * limits, a queue's fairness) into commands, refusing anything malformed before a command is
 * proposed. The engine checks the values again; these checks only make the answer specific.
 */
final class PolicyRequests {
  private PolicyRequests() {}

  static LeaseStrategy strategy(String name) {
    for (LeaseStrategy s : LeaseStrategy.values()) {
      if (s.name().toLowerCase(Locale.ROOT).equals(name)) {
        return s;
      }
    }
    throw bad(
        "strategy=\""
            + name
            + "\" is not one of priority, fifo, round_robin, weighted;"
            + " nothing was leased");
  }

  static List<Command> queueLimits(String queue, Wire.LimitsRequest r, long now) {
    checkMaxRunning(r);
    if (r.weight() != null && (r.weight() < 1 || r.weight() > Command.SetQueueWeight.WEIGHT_MAX)) {
      throw bad(
          "weight="
              + r.weight()
              + " is outside [1, "
              + Command.SetQueueWeight.WEIGHT_MAX
              + "]; nothing was applied");
    }
    List<Command> out = new ArrayList<>(3);
    if (r.maxRunning() != null) {
      out.add(new Command.SetQueueConcurrency(now, queue, r.maxRunning()));
    }
    if (r.weight() != null) {
      out.add(new Command.SetQueueWeight(now, queue, r.weight()));
    }
    RateLimit rate = rate(r);
    if (rate != null) {
      out.add(new Command.SetQueueRate(now, queue, rate));
    }
    if (out.isEmpty()) {
      throw bad(
          "a limits body needs at least one of max_running, weight, rate_per_second;"
              + " nothing was applied");
    }
    return out;
  }

  static List<Command> taskLimits(String task, Wire.LimitsRequest r, long now) {
    if (r.weight() != null) {
      throw bad(
          "weight is a queue's share; a task type takes max_running and rate_per_second;"
              + " nothing was applied");
    }
    checkMaxRunning(r);
    List<Command> out = new ArrayList<>(2);
    if (r.maxRunning() != null) {
      out.add(new Command.SetTaskConcurrency(now, task, r.maxRunning()));
    }
    RateLimit rate = rate(r);
    if (rate != null) {
      out.add(new Command.SetTaskRate(now, task, rate));
    }
    if (out.isEmpty()) {
      throw bad("a task limits body needs max_running or rate_per_second; nothing was applied");
    }
    return out;
  }

  /** Checked here too: one body may hold several settings, applied as one command each. */
  private static void checkMaxRunning(Wire.LimitsRequest r) {
    if (r.maxRunning() != null && r.maxRunning() < 0) {
      throw bad(
          "max_running="
              + r.maxRunning()
              + " must not be negative (0 removes the limit);"
              + " nothing was applied");
    }
  }

  /**
   * The rate limit a body asks for, or null when it names none. {@code rate_per_second} is exact to
   * the thousandth (no rounding: a finer rate is refused); 0 removes the limit; {@code burst}
   * defaults to the rate rounded up (at least 1).
   */
  private static RateLimit rate(Wire.LimitsRequest r) {
    if (r.ratePerSecond() == null) {
      if (r.burst() != null) {
        throw bad("burst=" + r.burst() + " needs rate_per_second; nothing was applied");
      }
      return null;
    }
    BigDecimal milli = r.ratePerSecond().movePointRight(3);
    if (r.ratePerSecond().signum() < 0
        || milli.stripTrailingZeros().scale() > 0
        || milli.compareTo(BigDecimal.valueOf(1_000_000_000L)) > 0) {
      throw bad(
          "rate_per_second="
              + r.ratePerSecond().toPlainString()
              + " must be 0 (no limit)"
              + " or between 0.001 and 1000000 in steps of 0.001; nothing was applied");
    }
    long perSecondMilli = milli.longValueExact();
    if (perSecondMilli == 0) {
      if (r.burst() != null) {
        throw bad(
            "burst="
                + r.burst()
                + " with rate_per_second=0 (which removes the limit);"
                + " nothing was applied");
      }
      return RateLimit.NONE;
    }
    int burst = r.burst() != null ? r.burst() : (int) Math.max(1, (perSecondMilli + 999) / 1000);
    if (burst < 1 || burst > RateLimit.BURST_MAX) {
      throw bad(
          "burst="
              + burst
              + " is outside [1, "
              + RateLimit.BURST_MAX
              + "]; nothing was"
              + " applied");
    }
    return new RateLimit(perSecondMilli, burst);
  }

  static Command fairness(String queue, Wire.PolicyRequest r, long now) {
    if (r.fairness() == null) {
      throw bad(
          "field \"fairness\" is required in a policy body: \"round_robin\" or \"none\";"
              + " nothing was applied");
    }
    boolean fair =
        switch (r.fairness()) {
          case "round_robin" -> true;
          case "none" -> false;
          default ->
              throw bad(
                  "fairness=\""
                      + r.fairness()
                      + "\" is not one of round_robin, none;"
                      + " nothing was applied");
        };
    Map<String, Integer> weights = r.keyWeights() == null ? Map.of() : r.keyWeights();
    if (!fair && !weights.isEmpty()) {
      throw bad("key_weights need fairness \"round_robin\"; nothing was applied");
    }
    for (var e : weights.entrySet()) {
      if (e.getValue() == null) {
        throw bad(
            "key_weights["
                + e.getKey()
                + "] is null; give a whole number of jobs per"
                + " turn; nothing was applied");
      }
    }
    return new Command.SetQueueFairness(now, queue, fair, new LinkedHashMap<>(weights));
  }

  /** A worker's reserved slots by queue; null values are refused here, the rest by the engine. */
  static Map<String, Integer> reserve(Map<String, Integer> reserve) {
    if (reserve == null) {
      return Map.of();
    }
    for (var e : reserve.entrySet()) {
      if (e.getValue() == null) {
        throw bad(
            "reserve["
                + e.getKey()
                + "] is null; give a number of slots; nothing was"
                + " applied");
      }
    }
    return reserve;
  }

  /** A task type's limits as the limits call answers them. */
  static Map<String, Object> task(TaskLimitView t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("task", t.task());
    out.put("max_running", t.maxRunning());
    out.put("running", t.running());
    out.put("rate_per_second", t.rate().isNone() ? null : t.rate().milliPerSecond() / 1000.0);
    out.put("burst", t.rate().isNone() ? null : t.rate().burst());
    return out;
  }

  /**
   * One task type's limits over every partition: each holds a share of a limit, and the shares add
   * up to what the user set (rates in exact thousandths, so the sum is exact too).
   */
  static Map<String, Object> task(List<TaskLimitView> partitions) {
    return task(partitions.stream().reduce(PartitionViews::sum).orElseThrow());
  }

  private static ApiException bad(String detail) {
    return ApiException.badRequest("INVALID_ARGUMENT", detail);
  }
}
