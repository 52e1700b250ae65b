package dev.hourglass.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A web application that submits jobs from a REST endpoint ({@link GreetingController}) and runs
 * them in the same process ({@link GreetingHandler}). The Hourglass starter configures the client
 * and the worker from {@code application.properties}.
 */
@SpringBootApplication
public class WorkerApplication {
  public static void main(String[] args) {
    SpringApplication.run(WorkerApplication.class, args);
  }
}
