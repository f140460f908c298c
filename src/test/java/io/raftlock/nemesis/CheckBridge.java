package io.raftlock.nemesis;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;

/**
 * Calls {@code io.raftlock.nemesis.check.Checker.check(runDir)} (spec §5) through reflection, so
 * the harness builds and runs whether or not the checker is on the classpath yet.
 */
public final class CheckBridge {
  private CheckBridge() {}

  /**
   * The checker's verdict. {@code ran} is false when the checker class is absent (then
   * {@code error} says so); {@code summary} is the checker's own summary object.
   */
  public record Outcome(boolean ran, boolean ok, List<?> violations, Object summary, String error) {
    static Outcome notRun(String why) {
      return new Outcome(false, false, List.of(), null, why);
    }
  }

  static boolean available() {
    try {
      Class.forName("io.raftlock.nemesis.check.Checker");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  static Outcome check(Path runDir) {
    try {
      Class<?> checker = Class.forName("io.raftlock.nemesis.check.Checker");
      Object report = checker.getMethod("check", Path.class).invoke(null, runDir);
      boolean ok = (Boolean) call(report, "ok");
      Object violations = call(report, "violations");
      Object summary = call(report, "summary");
      return new Outcome(true, ok, violations instanceof List<?> l ? l : List.of(violations), summary, null);
    } catch (ClassNotFoundException e) {
      return Outcome.notRun("the checker (io.raftlock.nemesis.check.Checker) is not on the classpath");
    } catch (InvocationTargetException e) {
      return new Outcome(true, false, List.of("the checker threw: " + e.getCause()), null, String.valueOf(e.getCause()));
    } catch (ReflectiveOperationException | ClassCastException e) {
      return Outcome.notRun("the checker's entry point does not match the contract: " + e);
    }
  }

  private static Object call(Object target, String method) throws ReflectiveOperationException {
    Method m = target.getClass().getMethod(method);
    m.setAccessible(true);
    return m.invoke(target);
  }
}
