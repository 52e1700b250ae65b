package dev.hourglass.spring;

import dev.hourglass.client.worker.JobContext;
import java.lang.reflect.Type;

/**
 * Turns a job's payload into a handler's parameter, and a handler's return value into what the SDK
 * reports. Thread-safe.
 */
interface PayloadBinding {
  /**
   * The payload bound to the parameter's type.
   *
   * @throws dev.hourglass.client.worker.NonRetryableException if it does not fit the type
   */
  Object read(JobContext ctx, Type type);

  /** The result in a form the SDK writes as JSON unchanged. */
  Object write(Object result);

  /**
   * Without Jackson 3 in the application: the SDK's own binding ({@link JobContext#payloadAs},
   * Jackson 2, snake_case), by the parameter's raw class; results go to the SDK as they are.
   */
  final class Sdk implements PayloadBinding {
    @Override
    public Object read(JobContext ctx, Type type) {
      return ctx.payloadAs(raw(type));
    }

    @Override
    public Object write(Object result) {
      return result;
    }

    private static Class<?> raw(Type type) {
      if (type instanceof Class<?> c) {
        return c;
      }
      if (type instanceof java.lang.reflect.ParameterizedType p) {
        return raw(p.getRawType());
      }
      return Object.class;
    }
  }
}
