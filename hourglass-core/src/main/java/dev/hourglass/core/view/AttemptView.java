package dev.hourglass.core.view;

/** One attempt of a job: who ran it, in which generation, when, and how it ended. */
public record AttemptView(
    String workerId,
    int generation,
    long startedAtMillis,
    long leaseExpiresAtMillis,
    long endedAtMillis,
    String outcome,
    String error,
    boolean acknowledged) {}
