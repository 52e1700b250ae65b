package dev.hourglass.client.internal;

/**
 * One HTTP answer as the client needs it: the status, the two headers it acts on, and the body.
 *
 * @param status the status code, 200 to 599
 * @param location the {@code Location} header, or null
 * @param retryAfter the {@code Retry-After} header, or null
 * @param body the body bytes, empty when there is none
 */
public record HttpAnswer(int status, String location, String retryAfter, byte[] body) {}
