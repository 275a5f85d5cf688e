package dev.llmmeter.serve.http;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;

/**
 * Debian's chromium, headless, driven through chromium-driver with a fresh profile; for the dashboard's browser
 * tests here and in app/ (test-jar). The flags keep it off the network, which this machine closes.
 */
public final class HeadlessChromium implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final Path profile;
    private final WebDriver browser;

    /** Whether this machine has chromium (CI installs it; a test skips without it). */
    public static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    public HeadlessChromium() throws IOException {
        profile = Files.createTempDirectory("serve-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        browser = new ChromeDriver(service, options);
    }

    public void open(String url) {
        browser.get(url);
    }

    /** Types {@code text} into the page's prompt once it shows one, and accepts it. */
    public void answerPrompt(String text, java.time.Duration within) {
        org.openqa.selenium.Alert prompt = org.awaitility.Awaitility.await().atMost(within).ignoreException(org.openqa.selenium.NoAlertPresentException.class)
                .until(() -> browser.switchTo().alert(), java.util.Objects::nonNull);
        prompt.sendKeys(text);
        prompt.accept();
    }

    /** The address the page shows now. */
    public String currentUrl() {
        return browser.getCurrentUrl();
    }

    /** The text of the element with this id. */
    public String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    /** The text of each element matching a CSS selector. */
    public List<String> texts(String css) {
        return browser.findElements(By.cssSelector(css)).stream().map(WebElement::getText).toList();
    }

    /**
     * Runs {@code js} in the page as a function body ({@code arguments[i]} are {@code args}): the value of its
     * {@code return ...} (a string for a string, as Selenium converts the rest).
     */
    public Object script(String js, Object... args) {
        return ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(js, args);
    }

    /** Saves what the page shows now as a PNG. */
    public void screenshot(Path target) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() throws IOException {
        try {
            browser.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
