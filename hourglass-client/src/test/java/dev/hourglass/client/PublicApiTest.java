package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.ScheduleSpec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The SDK's public surface is what we promise: only the API packages are exported, no Jackson type
 * appears in them, and the enums mean what the server means.
 */
class PublicApiTest {
  private static final Set<String> API_PACKAGES =
      Set.of("dev.hourglass.client", "dev.hourglass.client.worker");

  @Test
  void moduleExportsOnlyTheApiPackages() throws Exception {
    ModuleDescriptor d;
    try (InputStream in = Files.newInputStream(classesRoot().resolve("module-info.class"))) {
      d = ModuleDescriptor.read(in);
    }
    assertThat(d.name()).isEqualTo("dev.hourglass.client");
    assertThat(d.exports())
        .allMatch(e -> !e.isQualified())
        .extracting(ModuleDescriptor.Exports::source)
        .containsExactlyInAnyOrderElementsOf(API_PACKAGES);
    assertThat(d.requires())
        .filteredOn(r -> r.name().startsWith("com.fasterxml"))
        .allMatch(r -> !r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE));
    // What the SDK needs at run time: the JDK and Jackson. OpenTelemetry only if present.
    for (var r : d.requires()) {
      boolean optional = r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC);
      if (r.name().startsWith("io.opentelemetry.")) {
        assertThat(optional).as("requires static %s", r.name()).isTrue();
      } else {
        assertThat(r.name()).matches("java\\..*|com\\.fasterxml\\.jackson\\..*");
      }
    }
  }

  @Test
  void noPublicSignatureMentionsJackson() throws Exception {
    List<String> leaks = new ArrayList<>();
    for (Class<?> c : apiClasses()) {
      for (Method m : c.getDeclaredMethods()) {
        if (visible(m.getModifiers()) && !m.isSynthetic()) {
          check(c, m, m.getGenericReturnType(), leaks);
          signature(c, m, leaks);
        }
      }
      for (var k : c.getDeclaredConstructors()) {
        if (visible(k.getModifiers())) {
          signature(c, k, leaks);
        }
      }
      for (Field f : c.getDeclaredFields()) {
        if (visible(f.getModifiers())) {
          check(c, f, f.getGenericType(), leaks);
        }
      }
      check(c, "extends", c.getGenericSuperclass(), leaks);
      for (Type i : c.getGenericInterfaces()) {
        check(c, "implements", i, leaks);
      }
    }
    assertThat(leaks).isEmpty();
  }

  @Test
  void errorCodesCoverTheEnginesAndTheDocumentedOnes() throws IOException {
    for (var core : dev.hourglass.core.event.ErrorCode.values()) {
      assertThat(ErrorCode.of(core.name())).as(core.name()).isNotEqualTo(ErrorCode.UNKNOWN);
    }
    Set<String> documented = documentedCodes();
    assertThat(documented).as("codes in docs/API.md's error table").hasSizeGreaterThan(20);
    for (String code : documented) {
      assertThat(ErrorCode.of(code)).as(code).isNotEqualTo(ErrorCode.UNKNOWN);
    }
  }

  @Test
  void aCodeFromANewerServerIsUnknownButKeptAsSent() {
    var e = new HourglassException(409, "SOME_FUTURE_CODE", "Conflict", "d", null, null, null);
    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN);
    assertThat(e.codeName()).isEqualTo("SOME_FUTURE_CODE");
    assertThat(e.is(ErrorCode.UNKNOWN)).isTrue();
    assertThat(e.getMessage()).startsWith("HTTP 409 SOME_FUTURE_CODE: d");
    assertThat(
            new HourglassException(409, "STALE_GENERATION", null, "d", null, null, null)
                .is(ErrorCode.STALE_GENERATION))
        .isTrue();
    assertThat(HourglassException.unreachable("GET /x", new IOException("refused")).code())
        .isEqualTo(ErrorCode.UNREACHABLE);
    assertThat(ErrorCode.of(null)).isEqualTo(ErrorCode.UNKNOWN);
    assertThat(new LeaseSignal("j", 1, "LATER_REASON", null).code()).isEqualTo(ErrorCode.UNKNOWN);
    assertThat(new CompletionResult("j", JobState.SUCCEEDED, null, null).code()).isNull();
  }

  @Test
  void jobStatesAreTheEnginesStates() {
    assertThat(names(JobState.values()))
        .containsExactly(names(dev.hourglass.core.view.JobState.values()));
    for (var core : dev.hourglass.core.view.JobState.values()) {
      assertThat(JobState.valueOf(core.name()).isFinished())
          .as(core.name())
          .isEqualTo(core.isFinished());
    }
  }

  @Test
  void schedulePoliciesAreTheEnginesAndParseAsTheApiSpellsThem() {
    assertThat(names(Schedule.Overlap.values()))
        .containsExactlyInAnyOrder(names(ScheduleSpec.Overlap.values()));
    assertThat(names(Schedule.CatchUp.values()))
        .containsExactlyInAnyOrder(names(ScheduleSpec.CatchUp.values()));
    assertThat(Schedule.Overlap.parse("queue_one")).isEqualTo(Schedule.Overlap.QUEUE_ONE);
    assertThat(Schedule.Overlap.parse("SKIP")).isEqualTo(Schedule.Overlap.SKIP);
    assertThat(Schedule.CatchUp.parse("each_within_window"))
        .isEqualTo(Schedule.CatchUp.EACH_WITHIN_WINDOW);
    assertThatThrownBy(() -> Schedule.CatchUp.parse("twice"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("catch_up=\"twice\" is not one of [once, each_within_window, skip]");
    assertThat(
            JobRequest.builder("t")
                .cron("* * * * *")
                .overlap(Schedule.Overlap.QUEUE_ONE)
                .catchUp(Schedule.CatchUp.SKIP)
                .build()
                .toString())
        .contains("\"overlap\":\"queue_one\"")
        .contains("\"catch_up\":\"skip\"");
  }

  // ------------------------------------------------------------------------------- helpers

  private static String[] names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).toArray(String[]::new);
  }

  /** Backticked codes in the status table under "Errors" in docs/API.md. */
  private static Set<String> documentedCodes() throws IOException {
    Pattern row = Pattern.compile("^\\| \\d{3} \\| (.*?) \\|");
    Pattern code = Pattern.compile("`([A-Z][A-Z_]+)`");
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("../docs/API.md"))) {
      Matcher r = row.matcher(line);
      if (r.find()) {
        Matcher m = code.matcher(r.group(1));
        while (m.find()) {
          out.add(m.group(1));
        }
      }
    }
    return out;
  }

  private static List<Class<?>> apiClasses() throws Exception {
    Path root = classesRoot();
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        int dot = name.lastIndexOf('.');
        if (dot > 0 && API_PACKAGES.contains(name.substring(0, dot))) {
          Class<?> c = Class.forName(name, false, PublicApiTest.class.getClassLoader());
          if (visibleFromOutside(c)) {
            out.add(c);
          }
        }
      }
    }
    assertThat(out).as("API classes found").hasSizeGreaterThan(15);
    return out;
  }

  /** The SDK's compiled classes: a folder (target/classes) when the tests run. */
  private static Path classesRoot() throws Exception {
    return Path.of(
        HourglassClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static boolean visibleFromOutside(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (!Modifier.isPublic(k.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void signature(Class<?> c, Executable e, List<String> leaks) {
    for (Type t : e.getGenericParameterTypes()) {
      check(c, e, t, leaks);
    }
    for (Type t : e.getGenericExceptionTypes()) {
      check(c, e, t, leaks);
    }
  }

  private static void check(Class<?> c, Object member, Type t, List<String> leaks) {
    if (t != null && t.getTypeName().contains("com.fasterxml")) {
      leaks.add(c.getName() + " " + member + ": " + t.getTypeName());
    }
  }
}
