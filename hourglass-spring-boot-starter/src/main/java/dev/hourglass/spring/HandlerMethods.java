package dev.hourglass.spring;

import dev.hourglass.client.worker.JobContext;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;

/**
 * Finds the {@link HourglassHandler} methods of every bean as the context creates it, and checks
 * them at once: an unsupported signature, a blank task, or a second handler for a task fails the
 * bean's creation, and so the start-up, with a message naming the methods. The worker reads the
 * collected handlers when it starts, after every singleton exists.
 *
 * <p>Thread-safety: the context may create beans on several threads; the map is guarded by {@code
 * this}.
 */
final class HandlerMethods implements BeanPostProcessor {
  /** A checked handler method: where its payload and JobContext go (-1: not taken). */
  record Found(
      String task,
      String beanName,
      Object bean,
      Method method,
      int payloadIndex,
      Type payloadType,
      int contextIndex) {
    String describe() {
      return HandlerMethods.describe(method) + " of bean '" + beanName + "'";
    }
  }

  private final Map<String, Found> byTask = new LinkedHashMap<>();

  /** Classes known to have no handler, so each is introspected once (as Spring's @Scheduled). */
  private final Set<Class<?>> plain = ConcurrentHashMap.newKeySet();

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> type = AopUtils.getTargetClass(bean);
    if (plain.contains(type) || !AnnotationUtils.isCandidateClass(type, HourglassHandler.class)) {
      return bean;
    }
    Map<Method, HourglassHandler> annotated =
        MethodIntrospector.selectMethods(
            type,
            (MethodIntrospector.MetadataLookup<HourglassHandler>)
                m -> AnnotatedElementUtils.findMergedAnnotation(m, HourglassHandler.class));
    if (annotated.isEmpty()) {
      plain.add(type);
      return bean;
    }
    annotated.forEach(
        (m, a) ->
            add(
                check(
                    a.value(),
                    beanName,
                    bean,
                    AopUtils.selectInvocableMethod(m, bean.getClass()),
                    m)));
    return bean;
  }

  /** The handlers found so far, by task, in the order their beans were created. */
  synchronized Map<String, Found> byTask() {
    return Map.copyOf(byTask);
  }

  private synchronized void add(Found f) {
    Found before = byTask.putIfAbsent(f.task(), f);
    if (before == null
        || (before.beanName().equals(f.beanName()) && before.method().equals(f.method()))) {
      return; // new, or the same prototype bean made again
    }
    throw new IllegalStateException(
        "two @HourglassHandler methods for task \""
            + f.task()
            + "\": "
            + before.describe()
            + " and "
            + f.describe()
            + "; a task has one handler:"
            + " remove one, or give it another task name");
  }

  private static Found check(
      String task, String beanName, Object bean, Method invocable, Method declared) {
    if (task == null || task.isBlank()) {
      throw new IllegalStateException(
          "@HourglassHandler on "
              + describe(declared)
              + " of bean '"
              + beanName
              + "' names no task; give one, e.g. @HourglassHandler(\"send-email\")");
    }
    int payload = -1;
    int context = -1;
    Class<?>[] params = declared.getParameterTypes();
    for (int i = 0; i < params.length; i++) {
      boolean isContext = params[i] == JobContext.class;
      if (isContext ? context >= 0 : payload >= 0) {
        throw new IllegalStateException(
            "@HourglassHandler(\""
                + task
                + "\") "
                + describe(declared)
                + " of bean '"
                + beanName
                + "' has an unsupported signature:"
                + " a handler takes at most one payload parameter and at most one JobContext, in"
                + " any order");
      }
      if (isContext) {
        context = i;
      } else {
        payload = i;
      }
    }
    if (!Modifier.isPublic(invocable.getModifiers())
        || !Modifier.isPublic(invocable.getDeclaringClass().getModifiers())) {
      invocable.setAccessible(true);
    }
    Type payloadType = payload < 0 ? null : declared.getGenericParameterTypes()[payload];
    return new Found(task, beanName, bean, invocable, payload, payloadType, context);
  }

  static String describe(Method m) {
    return m.getDeclaringClass().getName()
        + "."
        + m.getName()
        + "("
        + Arrays.stream(m.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(", "))
        + ")";
  }
}
