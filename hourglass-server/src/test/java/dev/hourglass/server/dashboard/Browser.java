package dev.hourglass.server.dashboard;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Function;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium driven through Debian's chromedriver (both installed by .ci/run);
 * nothing is downloaded. A fresh profile directory per browser, deleted on close. Not thread-safe:
 * one test thread drives it.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  /** Where reviewers find one PNG per page (surefire runs in the module directory). */
  static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");

  /** Why: generous for a loaded 2-core machine; the page itself polls once a second. */
  static final Duration WAIT = Duration.ofSeconds(20);

  final ChromeDriver driver;
  private final Path profile;

  private Browser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts chromium, or fails with what to install (CI installs it; a test never skips). */
  static Browser start() throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException(
          ("the dashboard browser test needs Debian's chromium and"
                  + " chromedriver: chromium=%s (%s) chromedriver=%s (%s); install them with"
                  + " `apt-get install -y chromium chromium-driver` (.ci/run does this)")
              .formatted(
                  CHROMIUM,
                  Files.isExecutable(CHROMIUM) ? "found" : "missing",
                  CHROMEDRIVER,
                  Files.isExecutable(CHROMEDRIVER) ? "found" : "missing"));
    }
    Path profile = Files.createTempDirectory("hourglass-chromium-");
    var options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--user-data-dir=" + profile);
    var service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    try {
      return new Browser(new ChromeDriver(service, options), profile);
    } catch (RuntimeException e) {
      deleteTree(profile);
      throw e;
    }
  }

  void open(String url) {
    driver.get(url);
  }

  /**
   * Waits until the condition answers non-null and non-false; returns the answer. Live pages
   * replace their rows as data changes, so an element gone stale mid-check means "try again".
   */
  <T> T until(Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  WebElement find(String testid) {
    return until(
        d ->
            d.findElements(By.cssSelector("[data-testid='" + testid + "']")).stream()
                .filter(WebElement::isDisplayed)
                .findFirst()
                .orElse(null));
  }

  Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  void screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temp profile is harmless; the test's outcome does not depend on it
    }
  }
}
