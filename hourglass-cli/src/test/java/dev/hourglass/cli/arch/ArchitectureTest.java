package dev.hourglass.cli.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.time.Clock;
import java.util.Timer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module graph, checked on the compiled classes (this module's tests see every product module).
 * Maven keeps a module from depending on one it does not declare; these rules also catch what Maven
 * cannot: core reading a clock, starting a thread or touching the disk or network (which would
 * break deterministic replay), and the server reaching Raft types through the cluster module. Plain
 * JUnit tests calling {@code rule.check}; each rule was seen to fail once against a deliberate
 * violation. docs/ARCHITECTURE.md draws the graph these rules keep.
 */
class ArchitectureTest {
  private static final String CORE = "dev.hourglass.core..";
  private static JavaClasses classes;

  @BeforeAll
  static void importProductClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.hourglass");
  }

  @Test
  void coreReadsNoClock() {
    // An access, not only a call: System::currentTimeMillis passed as a clock is a reference.
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .accessTargetWhere(
                DescribedPredicate.describe(
                    "System.currentTimeMillis, System.nanoTime or a java.time now()",
                    (JavaAccess<?> access) ->
                        readsClock(access.getTargetOwner().getName(), access.getName())))
            .orShould()
            .dependOnClassesThat()
            .areAssignableTo(Clock.class)
            .because("the engine's time is the command's timestamp; a clock read breaks replay");
    rule.check(classes);
  }

  private static boolean readsClock(String owner, String method) {
    return owner.equals(System.class.getName())
            && (method.equals("currentTimeMillis") || method.equals("nanoTime"))
        || owner.startsWith("java.time.") && method.equals("now");
  }

  @Test
  void coreStartsNoThread() {
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .dependOnClassesThat()
            .areAssignableTo(Thread.class)
            .orShould()
            .dependOnClassesThat()
            .areAssignableTo(ExecutorService.class)
            .orShould()
            .dependOnClassesThat()
            .areAssignableTo(ThreadFactory.class)
            .orShould()
            .dependOnClassesThat()
            .belongToAnyOf(Executors.class, Timer.class)
            .because("the engine is confined to its caller's thread; the shells own threads");
    rule.check(classes);
  }

  @Test
  void coreTouchesNoFilesAndNoNetwork() {
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("java.nio.file..", "java.net..")
            .orShould()
            .dependOnClassesThat()
            .belongToAnyOf(
                File.class, FileInputStream.class, FileOutputStream.class, RandomAccessFile.class)
            .because("durability and transport are the shells' (wal, runtime, cluster, server)");
    rule.check(classes);
  }

  @Test
  void coreLogsNothing() {
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.slf4j..")
            .because("core returns events and the shell logs them");
    rule.check(classes);
  }

  @Test
  void coreDependsOnNothingOfOurs() {
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage(CORE)
            .should()
            .dependOnClassesThat(
                resideInAPackage("dev.hourglass..").and(not(resideInAPackage(CORE))));
    rule.check(classes);
  }

  @Test
  void runtimeDependsOnNoShell() {
    mayNotUse(
        "dev.hourglass.runtime..",
        "the loop is shared by every shell; HTTP, JSON and Raft" + " stay in theirs",
        "dev.hourglass.server..",
        "dev.hourglass.cluster..",
        "dev.hourglass.cli..",
        "dev.hourglass.node..",
        "dev.hourglass.client..",
        "dev.hourglass.bench..",
        "io.helidon..",
        "com.fasterxml.jackson..",
        "org.apache.ratis..");
  }

  @Test
  void walDependsOnCoreAlone() {
    mayNotUse(
        "dev.hourglass.wal..",
        "the log serves every shell that keeps one; it knows only the" + " engine",
        "dev.hourglass.runtime..",
        "dev.hourglass.cluster..",
        "dev.hourglass.server..",
        "dev.hourglass.cli..",
        "dev.hourglass.node..",
        "dev.hourglass.client..",
        "dev.hourglass.bench..");
  }

  @Test
  void clusterUsesNoServerAndNoClient() {
    mayNotUse(
        "dev.hourglass.cluster..",
        "a replica is a backend of the server's loop; the server"
            + " depends on the cluster, never the other way round",
        "dev.hourglass.server..",
        "dev.hourglass.cli..",
        "dev.hourglass.node..",
        "dev.hourglass.client..",
        "dev.hourglass.bench..");
  }

  @Test
  void clientUsesNoEngineModule() {
    mayNotUse(
        "dev.hourglass.client..",
        "workers and applications see the HTTP API only, never the" + " engine or the server",
        "dev.hourglass.core..",
        "dev.hourglass.wal..",
        "dev.hourglass.runtime..",
        "dev.hourglass.cluster..",
        "dev.hourglass.server..",
        "dev.hourglass.node..",
        "dev.hourglass.cli..",
        "dev.hourglass.bench..");
  }

  @Test
  void onlyTheCliUsesTheServer() {
    ArchRule rule =
        noClasses()
            .that()
            .resideOutsideOfPackages(
                "dev.hourglass.server..",
                "dev.hourglass.cli..",
                "dev.hourglass.bench..",
                "dev.hourglass.testkit..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.hourglass.server..")
            .because(
                "the server is a shell of the engine; other modules run the engine through"
                    + " hourglass-runtime");
    rule.check(classes);
  }

  @Test
  void noProductClassUsesTheBench() {
    ArchRule rule =
        noClasses()
            .that()
            .resideOutsideOfPackage("dev.hourglass.bench..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.hourglass.bench..")
            .because("hourglass-bench (benchmarks and their peers) ships in no product jar");
    rule.check(classes);
  }

  @Test
  void noProductClassUsesTheTestkit() {
    // The testkit is on this module's test classpath, so its own classes are imported too.
    ArchRule rule =
        noClasses()
            .that()
            .resideOutsideOfPackage("dev.hourglass.testkit..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.hourglass.testkit..")
            .because(
                "hourglass-testkit (local replica processes, workloads) is for tests and"
                    + " benchmarks and ships in no product jar; the demo has its own ReplicaProcesses");
    rule.check(classes);
  }

  @Test
  void serverUsesNoRaftType() {
    mayNotUse(
        "dev.hourglass.server..",
        "a replica is hourglass-cluster's ReplicatedBackend; the"
            + " server sees only EngineBackend",
        "org.apache.ratis..");
  }

  /** Checks that no class in {@code module} depends on a class in any of {@code forbidden}. */
  private static void mayNotUse(String module, String because, String... forbidden) {
    noClasses()
        .that()
        .resideInAPackage(module)
        .should()
        .dependOnClassesThat(resideInAnyPackage(forbidden))
        .because(because)
        .check(classes);
  }
}
