package dev.chargeback.exporter.harness;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * Debian's Chromium, headless, driven by Debian's chromedriver through Selenium: no driver or
 * browser is downloaded. Tests that need it skip with {@link #missing()}'s reason where the
 * packages are not installed.
 */
public final class Browser implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  public final ChromeDriver driver;

  /** Why no browser can run here, or null when one can. */
  public static String missing() {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
      return "Chromium is not installed (apt-get install chromium chromium-driver): "
          + CHROMIUM
          + " and "
          + DRIVER
          + " are needed";
    }
    return null;
  }

  /**
   * @param width the window's width in CSS pixels (e.g. 390 for a phone)
   * @param language the browser's Accept-Language
   */
  public Browser(int width, int height, String language) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=" + width + "," + height,
        "--lang=" + language);
    options.setExperimentalOption("prefs", Map.of("intl.accept_languages", language));
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
  }

  /**
   * Clicks {@code element} and waits (at most 30 s) until the page it leads to is the one whose URL
   * satisfies {@code arrived}: a click returns before the navigation it starts has ended.
   */
  public void clickAndAwait(
      org.openqa.selenium.WebElement element, java.util.function.Predicate<String> arrived) {
    element.click();
    new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(30))
        .until(
            d ->
                arrived.test(d.getCurrentUrl())
                    && "complete"
                        .equals(
                            ((org.openqa.selenium.JavascriptExecutor) d)
                                .executeScript("return document.readyState")));
  }

  /** The console's errors since the last call (failed loads, script errors, CSP refusals). */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .toList();
  }

  /** Saves what the window shows as {@code name}.png under {@code dir}. */
  public Path screenshot(Path dir, String name) throws IOException {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.createDirectories(dir);
    return Files.copy(
        shot.toPath(),
        dir.resolve(name + ".png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() {
    driver.quit();
  }
}
