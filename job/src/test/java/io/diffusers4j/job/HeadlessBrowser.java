// Test helper: a real headless Chromium/Chrome, when one is installed (Debian: apt-get install chromium).
package io.diffusers4j.job;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds a Chromium-family browser ({@code CHROME_BIN}, else chromium / chromium-browser / google-chrome on the
 * PATH) and runs it headless with a fresh profile, no network services and no sandbox (CI runs as root).
 */
final class HeadlessBrowser {
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome",
            "google-chrome-stable", "chrome");

    private HeadlessBrowser() {
    }

    /** The browser binary, or null when none is installed. */
    static Path find() {
        String env = System.getenv("CHROME_BIN");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : NAMES) {
            for (String d : path.split(File.pathSeparator)) {
                Path p = Path.of(d.isEmpty() ? "." : d, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Screenshot of {@code page} at {@code width x height} CSS pixels (device scale 1) into {@code png}. */
    static void screenshot(Path browser, Path page, Path png, int width, int height, Path work) throws Exception {
        List<String> args = base(browser, work);
        args.add("--hide-scrollbars");
        args.add("--window-size=" + width + "," + height);
        args.add("--screenshot=" + png.toAbsolutePath());
        args.add(page.toUri().toString());
        String out = run(args, work, "screenshot");
        if (!Files.isRegularFile(png)) {
            throw new AssertionError("the browser wrote no screenshot:\n" + out);
        }
    }

    /** The DOM of {@code page} after loading, as the browser serialises it. */
    static String dumpDom(Path browser, Path page, Path work) throws Exception {
        List<String> args = base(browser, work);
        args.add("--dump-dom");
        args.add(page.toUri().toString());
        return run(args, work, "dom");
    }

    private static List<String> base(Path browser, Path work) throws IOException {
        Path profile = Files.createTempDirectory(work, "profile-");
        return new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--force-device-scale-factor=1",
                "--user-data-dir=" + profile.toAbsolutePath()));
    }

    private static String run(List<String> args, Path work, String name) throws Exception {
        Path stdout = work.resolve(name + ".out");
        Path stderr = work.resolve(name + ".err");
        Process p = new ProcessBuilder(args).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the browser did not finish in 90 s: " + args);
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("the browser exited with " + p.exitValue() + ": " + args + "\n"
                    + Files.readString(stderr, StandardCharsets.UTF_8));
        }
        return out;
    }
}
