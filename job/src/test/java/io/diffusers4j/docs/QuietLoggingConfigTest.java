// The quiet log4j2 configs silence what a user cannot act on (Spark's plan-truncation warning among them).
package io.diffusers4j.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the log4j2 properties files the launcher, {@code scripts/submit.sh} and the tests use, and resolves a
 * logger's level the way log4j2 does for this format: the {@code logger.<key>.name} with the longest dotted prefix
 * of the logger's name wins, else {@code rootLogger.level}.
 */
class QuietLoggingConfigTest {
    private static final List<Path> CONFIGS = List.of(Path.of("..", "conf", "log4j2.properties"),
            Path.of("src", "test", "resources", "log4j2-test.properties"));
    private static final List<String> LEVELS = List.of("all", "trace", "debug", "info", "warn", "error", "fatal",
            "off");

    @Test
    void sparksPlanTruncationWarningIsSilenced() throws IOException {
        // "WARN SparkStringUtils: Truncated the string representation of a plan since it was too large. ..."
        for (Path config : CONFIGS) {
            String level = effectiveLevel(load(config), "org.apache.spark.sql.catalyst.util.SparkStringUtils");
            assertTrue(LEVELS.indexOf(level) > LEVELS.indexOf("warn"), config + ": SparkStringUtils logs at " + level);
        }
    }

    @Test
    void theJobsOwnInfoLinesStay() throws IOException {
        for (Path config : CONFIGS) {
            assertEquals("info", effectiveLevel(load(config), "io.diffusers4j.job.DiffusionJob"), config.toString());
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    static String effectiveLevel(Properties p, String logger) {
        String best = null;
        String level = p.getProperty("rootLogger.level");
        for (String key : p.stringPropertyNames()) {
            if (!key.startsWith("logger.") || !key.endsWith(".name")) {
                continue;
            }
            String name = p.getProperty(key).trim();
            boolean matches = logger.equals(name) || logger.startsWith(name + ".");
            if (matches && (best == null || name.length() > best.length())) {
                best = name;
                level = p.getProperty(key.substring(0, key.length() - ".name".length()) + ".level");
            }
        }
        return level.trim().toLowerCase(Locale.ROOT);
    }
}
