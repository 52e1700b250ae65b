package dev.hourglass.examples.springboot;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/** {@code POST /greetings} submits a job; {@code GET /greetings/{id}} shows how it went. */
@RestController
public class GreetingController {
  private final HourglassClient hourglass;
  private final JsonMapper json;

  public GreetingController(HourglassClient hourglass, JsonMapper json) {
    this.hourglass = hourglass;
    this.json = json;
  }

  @PostMapping("/greetings")
  @ResponseStatus(HttpStatus.ACCEPTED)
  public Map<String, String> submit(@RequestBody GreetingHandler.Greeting greeting) {
    String id =
        hourglass
            .submit(JobRequest.builder("send-greeting").payload(greeting).maxAttempts(3).build())
            .jobId();
    return Map.of("job_id", id);
  }

  @GetMapping("/greetings/{id}")
  public Map<String, Object> status(@PathVariable String id) {
    Job job = hourglass.job(id);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("job_id", job.jobId());
    out.put("state", job.state().name());
    out.put("result", job.result() == null ? null : json.readTree(job.result()));
    return out;
  }

  /** The server's refusal, passed on: 404 for an unknown job, 400 for a bad field, and so on. */
  @ExceptionHandler(HourglassException.class)
  public ResponseEntity<Map<String, Object>> refused(HourglassException e) {
    int status = e.status() >= 400 && e.status() < 600 ? e.status() : 502;
    return ResponseEntity.status(status)
        .body(Map.of("code", e.codeName(), "detail", String.valueOf(e.detail())));
  }
}
