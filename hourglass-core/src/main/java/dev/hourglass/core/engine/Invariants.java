package dev.hourglass.core.engine;

/**
 * Checks of what must always hold. A failed check is a bug in Hourglass, not bad input: it throws
 * {@link AssertionError}, which stops the node; a restart rebuilds state from the log. Always on,
 * unlike the {@code assert} keyword, which the JVM disables by default.
 */
public final class Invariants {
  private Invariants() {}

  public static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw violated(format, args);
    }
  }

  /**
   * The error to throw for a check written as {@code if (bad) throw violated(...)}: on paths run
   * per job or per probe, where {@link #check}'s arguments would be boxed on every call.
   */
  public static AssertionError violated(String format, Object... args) {
    return new AssertionError("invariant violated: " + String.format(format, args));
  }
}
