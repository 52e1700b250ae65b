package dev.hourglass.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.core.command.Command.AcknowledgeAssignment;
import dev.hourglass.core.command.Command.AssignJob;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.AttemptView;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.node.ProtocolException.ErrorKind;
import java.io.IOException;
import java.util.Optional;

/**
 * The fault-tolerance messages of seeds 000/001: {@code assign_job}, {@code ack_assignment}, and
 * the {@code recovery_complete} summary. Each is one or two engine commands; nothing here keeps
 * state of its own, so a restart that rebuilds the engine from the log rebuilds all of it.
 */
final class Assignments {
  /**
   * An assignment's lease. The protocol has no heartbeats, so an assignment lasts until a higher
   * generation supersedes it; the engine saturates the lease end at {@code Long.MAX_VALUE}.
   */
  static final long ASSIGNMENT_LEASE_MILLIS = Long.MAX_VALUE;

  /** The task type of jobs that {@code assign_job} creates on first mention. */
  static final String ASSIGNED_TASK = "assigned";

  private Assignments() {}

  /**
   * Assigns a job to a worker, creating the job on first mention. Without a {@code generation}, an
   * assigned job is assigned again in its current generation (a duplicate, refused as the protocol
   * shows) and an unassigned one in the next (1 for a new job).
   */
  static ObjectNode assign(EngineHost host, Request request, long stampMillis) throws IOException {
    String jobId = request.requiredText("job_id");
    String workerId = request.requiredText("worker_id");
    int requested =
        request.field("generation") == null
            ? 0
            : (int) request.whole("generation", 0, 1, Integer.MAX_VALUE);
    Optional<JobView> job = host.queries().job(jobId);
    if (job.isEmpty()) {
      Outcome created =
          host.apply(new SubmitJob(stampMillis, JobSpec.of(jobId, ASSIGNED_TASK, null)));
      if (created instanceof Rejected r) {
        throw EngineReplies.error(r);
      }
    }
    int generation =
        requested != 0
            ? requested
            : job.filter(j -> j.state() == JobState.RUNNING).map(JobView::generation).orElse(0);
    Outcome outcome =
        host.apply(
            new AssignJob(stampMillis, jobId, workerId, generation, ASSIGNMENT_LEASE_MILLIS));
    return switch (outcome) {
      case Applied applied -> {
        ObjectNode reply = request.reply("assignment_accepted");
        reply.put("job_id", jobId);
        reply.put("worker_id", workerId);
        reply.put("generation", host.queries().job(jobId).orElseThrow().generation());
        yield reply;
      }
      case Rejected r when r.code() == ErrorCode.INVALID_ARGUMENT -> throw EngineReplies.error(r);
      case Rejected r -> rejected(host.queries(), request, jobId, r);
    };
  }

  /** The protocol's refusal: the engine's reason, and the live assignment when there is one. */
  private static ObjectNode rejected(
      EngineQueries queries, Request request, String jobId, Rejected r) {
    ObjectNode reply = request.reply("assignment_rejected");
    reply.put("reason", r.detail());
    AttemptView live = queries.job(jobId).map(JobView::liveAttempt).orElse(null);
    if (live != null) {
      ObjectNode existing = reply.putObject("existing_assignment");
      existing.put("job_id", jobId);
      existing.put("worker", live.workerId());
    }
    return reply;
  }

  /** A worker confirms an assignment; the generation defaults to the job's current one. */
  static ObjectNode acknowledge(EngineHost host, Request request, long stampMillis)
      throws IOException {
    String jobId = request.requiredText("job_id");
    String workerId = request.requiredText("worker_id");
    JobView job =
        host.queries()
            .job(jobId)
            .orElseThrow(
                () ->
                    new ProtocolException(
                        ErrorKind.KEY_DOES_NOT_EXIST,
                        "ack_assignment names job "
                            + jobId
                            + ", which the scheduler has never assigned"));
    int generation = (int) request.whole("generation", job.generation(), 1, Integer.MAX_VALUE);
    Outcome outcome =
        host.apply(new AcknowledgeAssignment(stampMillis, jobId, workerId, generation));
    if (outcome instanceof Rejected r) {
      throw EngineReplies.error(r);
    }
    ObjectNode reply = request.reply("assignment_acknowledged");
    reply.put("job_id", jobId);
    reply.put("worker_id", workerId);
    reply.put("generation", generation);
    return reply;
  }

  /**
   * What a restarted scheduler recovered: each assigned job's worker (jobs in the order they were
   * created, i.e. first assigned), and the workers still owed a notification because they have not
   * acknowledged, each once, in the order of their oldest unacknowledged assignment.
   */
  static ObjectNode recovered(EngineHost host, Request request) {
    EngineQueries queries = host.queries();
    ObjectNode reply = request.reply("recovery_complete");
    ObjectNode assignments = reply.putObject("job_assignments");
    for (JobView job : EngineReplies.oldestFirst(queries, JobState.RUNNING)) {
      assignments.put(job.jobId(), job.liveAttempt().workerId());
    }
    ArrayNode pending = reply.putArray("pending_notifications");
    queries.workersOwedNotifications().forEach(pending::add);
    return reply;
  }
}
